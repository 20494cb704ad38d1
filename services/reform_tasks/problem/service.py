"""Problem lists (问题清单): problems found by inspections, hotline typical cases, surveys or the
units themselves, each with its cause and its measure, a responsible unit and a due date; progress
is reported against it and the office closes it out item by item (对单销号).
Seeds 003_fe0a5556b3029276.txt (the three lists: problem / cause / measure; docs/RULES.md: "Each
problem records the problem, its cause and the measure (三张清单)") and 002_c95ffdd180ea7e81.txt (a
problem list with a responsible party for each, closed item by item by a deadline and supervised;
docs/RULES.md: "Problems are listed with a responsible unit and closed item by item by a due
date")."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.message.service import notify
from services.reform_tasks.problem.repository import ProblemRepository
from services.reform_tasks.problem.schemas import NoteIn, ProblemIn, ProblemOut, ProblemUpdate
from services.reform_tasks.timeline import service as timeline
from services.reform_tasks.timeline.schemas import TimelineEntryOut
from shared import audit, outbox
from shared.auth import Principal
from shared.clock import now_utc, today_shanghai
from shared.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from shared.models import Problem, ProblemSource, ProblemStatus, Programme, Unit
from shared.pagination import Page, PageParams


def to_out(problem: Problem, today: date | None = None) -> ProblemOut:
    today = today or today_shanghai()
    return ProblemOut(
        number=problem.number,
        source=problem.source,
        problem=problem.problem,
        cause=problem.cause,
        measure=problem.measure,
        responsible_unit=problem.responsible_unit.code,
        responsible_unit_name=problem.responsible_unit.name,
        found_on=problem.found_on,
        due_on=problem.due_on,
        status=problem.status,
        closed_on=problem.closed_on,
        overdue=problem.status is ProblemStatus.open and problem.due_on < today,
        version=problem.version,
        updated_at=problem.updated_at,
    )


def _entity(programme: Programme, number: int) -> str:
    return f"{programme.code}/{number}"


async def _get(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    *,
    lock: bool = False,
) -> Problem:
    problem = await ProblemRepository(session).get_readable(
        principal, programme.id, number, lock=lock
    )
    if problem is None:
        raise NotFound(f"问题 {number} 不存在或无权查看")
    return problem


async def _unit(session: AsyncSession, code: str) -> Unit:
    unit = await ProblemRepository(session).unit_by_code(code)
    if unit is None:
        raise ValidationFailed(
            f"单位 {code} 不存在",
            errors=[FieldError(loc=["body", "responsible_unit"], msg="单位不存在", type="value")],
        )
    return unit


def _check_dates(found_on: date, due_on: date) -> None:
    if due_on < found_on:
        raise ValidationFailed(
            "整改期限不能早于发现日期",
            errors=[
                FieldError(loc=["body", "due_on"], msg="整改期限不能早于发现日期", type="value")
            ],
        )


async def _tell_unit(
    session: AsyncSession,
    programme: Programme,
    problem: Problem,
    unit: Unit,
    step: str,
    what: str,
) -> None:
    """A message in the responsible unit's inbox; `step` keeps a retried request from sending
    it twice."""
    await notify(
        session,
        unit.id,
        "problem",
        f"【问题整改】问题{problem.number}{what}",
        f"{problem.problem}\n整改措施：{problem.measure}\n整改期限：{problem.due_on}",
        link=f"/problems/{problem.number}",
        dedupe_key=f"problem:{programme.code}:{problem.number}:{step}:{unit.code}",
    )


async def create(
    session: AsyncSession, principal: Principal, programme: Programme, body: ProblemIn
) -> ProblemOut:
    """The office registers a problem with its cause and measure (seed 003_fe0a5556b3029276.txt: the
    problem, cause and measure lists; docs/RULES.md: "Each problem records the problem, its cause
    and the measure (三张清单)") and assigns it to a responsible unit with a due date."""
    _check_dates(body.found_on, body.due_on)
    unit = await _unit(session, body.responsible_unit)
    repository = ProblemRepository(session)
    number = await repository.next_number(programme)
    problem = await repository.add(
        Problem(
            programme_id=programme.id,
            number=number,
            source=body.source,
            problem=body.problem,
            cause=body.cause,
            measure=body.measure,
            responsible_unit_id=unit.id,
            found_on=body.found_on,
            due_on=body.due_on,
        )
    )
    await audit.record(
        session,
        actor=principal,
        action="problem.created",
        entity_type="problem",
        entity_id=_entity(programme, number),
        after=body.model_dump(),
    )
    await timeline.append(
        session,
        "problem",
        problem.id,
        "problem.created",
        f"改革办登记问题，责任单位：{unit.short_name}，整改期限 {body.due_on}",
        actor=principal,
    )
    await _tell_unit(session, programme, problem, unit, "assigned", "已交办本单位整改")
    return to_out(await _get(session, principal, programme, number))


async def get(
    session: AsyncSession, principal: Principal, programme: Programme, number: int
) -> ProblemOut:
    return to_out(await _get(session, principal, programme, number))


async def list_problems(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    *,
    status: ProblemStatus | None,
    unit: str | None,
    source: ProblemSource | None,
    q: str | None,
) -> Page[ProblemOut]:
    rows, total = await ProblemRepository(session).readable_page(
        principal, programme.id, page, status=status, unit=unit, source=source, q=q
    )
    today = today_shanghai()
    return Page[ProblemOut](items=[to_out(p, today) for p in rows], total=total)


def _snapshot(problem: Problem) -> dict[str, Any]:
    return {
        "problem": problem.problem,
        "cause": problem.cause,
        "measure": problem.measure,
        "responsible_unit": problem.responsible_unit.code,
        "due_on": problem.due_on,
        "version": problem.version,
    }


async def update(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    body: ProblemUpdate,
    if_match: str | None,
) -> ProblemOut:
    """The office corrects an open problem; the caller must name the version it read
    (If-Match), so two edits cannot silently overwrite each other."""
    problem = await _get(session, principal, programme, number, lock=True)
    if if_match is None:
        raise PreconditionFailed("修改问题需要携带 If-Match 版本号（先读取问题获得 ETag）")
    if if_match.strip().removeprefix("W/").strip('"') != str(problem.version):
        raise PreconditionFailed(
            f"问题 {number} 已被他人修改（当前版本 {problem.version}），请刷新后重试"
        )
    if problem.status is ProblemStatus.closed:
        raise Conflict("问题已销号，不能修改")
    before = _snapshot(problem)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    new_unit = None
    if "responsible_unit" in changes:
        code = changes.pop("responsible_unit")
        if code != problem.responsible_unit.code:
            new_unit = await _unit(session, code)
            problem.responsible_unit_id = new_unit.id
    _check_dates(problem.found_on, changes.get("due_on", problem.due_on))
    for key, value in changes.items():
        setattr(problem, key, value)
    await session.flush()
    updated = await _get(session, principal, programme, number, lock=True)
    after = _snapshot(updated)
    changed = [k for k in after if k != "version" and after[k] != before[k]]
    await audit.record(
        session,
        actor=principal,
        action="problem.updated",
        entity_type="problem",
        entity_id=_entity(programme, number),
        before=before,
        after=after,
    )
    if changed:
        await timeline.append(
            session,
            "problem",
            updated.id,
            "problem.updated",
            "改革办修改问题：" + "、".join(FIELD_LABELS[k] for k in changed),
            actor=principal,
            data={
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
            },
        )
    if new_unit is not None:
        await _tell_unit(
            session,
            programme,
            updated,
            new_unit,
            f"reassigned-v{updated.version}",
            "已改由本单位整改",
        )
    return to_out(updated)


FIELD_LABELS = {
    "problem": "问题",
    "cause": "原因",
    "measure": "整改措施",
    "responsible_unit": "责任单位",
    "due_on": "整改期限",
}


async def add_progress(
    session: AsyncSession, principal: Principal, programme: Programme, number: int, body: NoteIn
) -> list[TimelineEntryOut]:
    """The responsible unit (or the office) reports rectification progress on an open problem."""
    problem = await _get(session, principal, programme, number)
    if not (principal.is_office or principal.unit_code == problem.responsible_unit.code):
        raise Forbidden("只有责任单位或改革办可以报送整改进展")
    if problem.status is ProblemStatus.closed:
        raise Conflict("问题已销号，不能再报送进展")
    await timeline.append(
        session, "problem", problem.id, "problem.progress", body.note, actor=principal
    )
    await audit.record(
        session,
        actor=principal,
        action="problem.progress",
        entity_type="problem",
        entity_id=_entity(programme, number),
        after={"note": body.note},
    )
    return await problem_timeline(session, principal, programme, number)


async def close_out(
    session: AsyncSession, principal: Principal, programme: Programme, number: int, body: NoteIn
) -> ProblemOut:
    """Seed 002_c95ffdd180ea7e81.txt (对单销号): the office strikes a rectified problem off the
    list; evaluation learns whether it was closed by its due date (`problem.closed`; docs/RULES.md:
    "Problems are listed with a responsible unit and closed item by item by a due date")."""
    problem = await _get(session, principal, programme, number, lock=True)
    if problem.status is ProblemStatus.closed:
        raise Conflict(f"问题 {number} 已于 {problem.closed_on} 销号")
    today = today_shanghai()
    problem.status, problem.closed_on = ProblemStatus.closed, today
    await session.flush()
    on_time = today <= problem.due_on
    unit = problem.responsible_unit
    await outbox.enqueue(
        session,
        "problem.closed",
        {
            "problem_number": number,
            "unit": unit.code,
            "source": problem.source,
            "found_on": problem.found_on,
            "due_on": problem.due_on,
            "closed_on": today,
            "on_time": on_time,
        },
        programme=programme.code,
        unit_code=unit.code,
        occurred_at=now_utc(),
    )
    await audit.record(
        session,
        actor=principal,
        action="problem.closed",
        entity_type="problem",
        entity_id=_entity(programme, number),
        before={"status": ProblemStatus.open},
        after={"status": ProblemStatus.closed, "closed_on": today, "note": body.note},
    )
    await timeline.append(
        session,
        "problem",
        problem.id,
        "problem.closed",
        f"改革办销号{'' if on_time else '（逾期整改）'}：{body.note}",
        actor=principal,
        data={"on_time": on_time},
    )
    await _tell_unit(session, programme, problem, unit, "closed", "已销号")
    return to_out(await _get(session, principal, programme, number))


async def problem_timeline(
    session: AsyncSession, principal: Principal, programme: Programme, number: int
) -> list[TimelineEntryOut]:
    problem = await _get(session, principal, programme, number)
    return [
        TimelineEntryOut.model_validate(e)
        for e in await timeline.entries(session, "problem", problem.id)
    ]
