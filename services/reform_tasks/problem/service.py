"""Problem lists (问题清单): each problem with its cause and measure, a responsible unit and a
due date, progress, and close-out item by item (seeds 002_c95ffdd180ea7e81.txt 对单销号 and
003_fe0a5556b3029276.txt problem / cause / measure lists)."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from services.reform_tasks.problem.schemas import NoteIn, ProblemIn, ProblemOut, ProblemUpdate
from services.reform_tasks.timeline import service as timeline
from services.reform_tasks.timeline.schemas import TimelineEntryOut
from shared import audit, outbox
from shared.auth import Principal
from shared.clock import today_shanghai
from shared.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from shared.models import Problem, ProblemSource, ProblemStatus, Programme, Unit
from shared.pagination import Page, PageParams


def to_out(problem: Problem) -> ProblemOut:
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
        overdue=problem.status is ProblemStatus.open and problem.due_on < today_shanghai(),
        version=problem.version,
        updated_at=problem.updated_at,
    )


def readable(principal: Principal, programme: Programme) -> Select[Problem]:
    statement = (
        select(Problem)
        .options(joinedload(Problem.responsible_unit))
        .where(Problem.programme_id == programme.id)
    )
    if principal.can_read_unit(None):
        return statement
    unit_id = select(Unit.id).where(Unit.code == (principal.unit_code or "")).scalar_subquery()
    return statement.where(Problem.responsible_unit_id == unit_id)


async def get_problem(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    *,
    lock: bool = False,
) -> Problem:
    statement = readable(principal, programme).where(Problem.number == number)
    if lock:
        statement = statement.with_for_update(of=Problem)
    problem = (await session.execute(statement)).scalars().unique().one_or_none()
    if problem is None:
        raise NotFound(f"问题 {number} 不存在或无权查看")
    return problem


async def _unit(session: AsyncSession, code: str) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise ValidationFailed(f"单位 {code} 不存在")
    return unit


async def create(
    session: AsyncSession, principal: Principal, programme: Programme, body: ProblemIn
) -> ProblemOut:
    if body.due_on < body.found_on:
        raise ValidationFailed("整改期限不能早于发现日期")
    unit = await _unit(session, body.responsible_unit)
    # Serialise numbering per programme.
    await session.execute(
        select(Programme.id).where(Programme.id == programme.id).with_for_update()
    )
    number = (
        int(
            await session.scalar(
                select(func.coalesce(func.max(Problem.number), 0)).where(
                    Problem.programme_id == programme.id
                )
            )
            or 0
        )
        + 1
    )
    problem = Problem(
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
    session.add(problem)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="problem.created",
        entity_type="problem",
        entity_id=f"{programme.code}/{number}",
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
    return to_out(await get_problem(session, principal, programme, number))


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
    statement = readable(principal, programme)
    if status:
        statement = statement.where(Problem.status == status)
    if unit:
        statement = statement.where(
            Problem.responsible_unit_id.in_(select(Unit.id).where(Unit.code == unit))
        )
    if source:
        statement = statement.where(Problem.source == source)
    if q:
        pattern = f"%{q}%"
        statement = statement.where(
            (Problem.problem + " " + Problem.cause + " " + Problem.measure).ilike(pattern)
        )
    total = int(
        await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
        or 0
    )
    rows = (
        (
            await session.execute(
                statement.order_by(Problem.number).limit(page.limit).offset(page.offset)
            )
        )
        .scalars()
        .unique()
        .all()
    )
    return Page[ProblemOut](items=[to_out(p) for p in rows], total=total)


async def update(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    body: ProblemUpdate,
    if_match: str | None,
) -> ProblemOut:
    problem = await get_problem(session, principal, programme, number, lock=True)
    if if_match is None or if_match.strip('W/"') != str(problem.version):
        raise PreconditionFailed("问题已被他人修改或缺少 If-Match 版本号，请刷新后重试")
    if problem.status is ProblemStatus.closed:
        raise Conflict("问题已销号，不能修改")
    before = to_out(problem).model_dump(mode="json")
    changes = body.model_dump(exclude_unset=True)
    if "responsible_unit" in changes:
        problem.responsible_unit_id = (await _unit(session, changes.pop("responsible_unit"))).id
    for key, value in changes.items():
        setattr(problem, key, value)
    await session.flush()
    session.expire(problem)
    updated = await get_problem(session, principal, programme, number)
    await audit.record(
        session,
        actor=principal,
        action="problem.updated",
        entity_type="problem",
        entity_id=f"{programme.code}/{number}",
        before=before,
        after=to_out(updated).model_dump(mode="json"),
    )
    return to_out(updated)


async def add_progress(
    session: AsyncSession, principal: Principal, programme: Programme, number: int, body: NoteIn
) -> list[TimelineEntryOut]:
    problem = await get_problem(session, principal, programme, number)
    if not (principal.is_office or principal.unit_code == problem.responsible_unit.code):
        raise Forbidden("只有责任单位或改革办可以报送整改进展")
    if problem.status is ProblemStatus.closed:
        raise Conflict("问题已销号")
    await timeline.append(
        session, "problem", problem.id, "problem.progress", body.note, actor=principal
    )
    await audit.record(
        session,
        actor=principal,
        action="problem.progress",
        entity_type="problem",
        entity_id=f"{programme.code}/{number}",
        after={"note": body.note},
    )
    return await problem_timeline(session, principal, programme, number)


async def close_out(
    session: AsyncSession, principal: Principal, programme: Programme, number: int, body: NoteIn
) -> ProblemOut:
    problem = await get_problem(session, principal, programme, number, lock=True)
    if problem.status is ProblemStatus.closed:
        raise Conflict("问题已销号")
    today = today_shanghai()
    problem.status, problem.closed_on = ProblemStatus.closed, today
    await session.flush()
    on_time = today <= problem.due_on
    await outbox.enqueue(
        session,
        "problem.closed",
        {
            "problem_number": number,
            "found_on": problem.found_on,
            "due_on": problem.due_on,
            "closed_on": today,
            "on_time": on_time,
        },
        programme=programme.code,
        unit_code=problem.responsible_unit.code,
    )
    await audit.record(
        session,
        actor=principal,
        action="problem.closed",
        entity_type="problem",
        entity_id=f"{programme.code}/{number}",
        after={"closed_on": today, "note": body.note},
    )
    await timeline.append(
        session,
        "problem",
        problem.id,
        "problem.closed",
        f"改革办销号：{body.note}",
        actor=principal,
    )
    return to_out(await get_problem(session, principal, programme, number))


async def problem_timeline(
    session: AsyncSession, principal: Principal, programme: Programme, number: int
) -> list[TimelineEntryOut]:
    problem = await get_problem(session, principal, programme, number)
    return [
        TimelineEntryOut.model_validate(e)
        for e in await timeline.entries(session, "problem", problem.id)
    ]
