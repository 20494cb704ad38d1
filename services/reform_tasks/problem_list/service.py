"""Unit-filed problem lists (三张清单, 备案).

Seed 003_fe0a5556b3029276.txt: "形成问题清单、原因清单、措施清单。各有关部门和县(市、区)、
开发区要将问题清单及时报市创优营商环境组备案" and "逐一明确责任单位和责任人". A unit writes its own
list (each line a problem, its cause, the measure, a responsible person and a deadline), submits
it, and the office accepts it for the record (备案) or returns it with a reason; a returned list is
edited and submitted again. On acceptance every line becomes a problem of the problem list
(services/reform_tasks/problem, source self_check, the unit responsible), closed there one by one
(对单销号) like every other problem: one problem lifecycle, not two. The line keeps the
responsible person and points at its problem."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.message.service import notify
from services.reform_tasks.problem import service as problems
from services.reform_tasks.problem.schemas import ProblemIn
from services.reform_tasks.problem_list import xlsx
from services.reform_tasks.problem_list.repository import ProblemListRepository
from services.reform_tasks.problem_list.schemas import (
    ImportResult,
    ItemIn,
    ItemOut,
    ProblemListDetail,
    ProblemListIn,
    ProblemListOut,
    ReturnIn,
)
from shared import audit
from shared.auth import Principal
from shared.clock import SHANGHAI, now_utc, today_shanghai
from shared.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from shared.models import ProblemList, ProblemListItem, ProblemListStatus, ProblemSource, Programme
from shared.pagination import Page, PageParams

EDITABLE = (ProblemListStatus.draft, ProblemListStatus.returned)
STATUS_LABELS = {
    ProblemListStatus.draft: "草稿",
    ProblemListStatus.submitted: "已报送",
    ProblemListStatus.accepted: "已备案",
    ProblemListStatus.returned: "已退回",
}


def to_out(problem_list: ProblemList) -> ProblemListOut:
    return ProblemListOut(
        id=problem_list.id,
        unit=problem_list.unit.code,
        unit_name=problem_list.unit.short_name,
        title=problem_list.title,
        status=problem_list.status,
        item_count=len(problem_list.items),
        created_by=problem_list.created_by,
        submitted_at=problem_list.submitted_at,
        submitted_by=problem_list.submitted_by,
        decided_at=problem_list.decided_at,
        decided_by=problem_list.decided_by,
        return_reason=problem_list.return_reason,
        updated_at=problem_list.updated_at,
    )


async def _detail(session: AsyncSession, problem_list: ProblemList) -> ProblemListDetail:
    linked = await ProblemListRepository(session).problems_of(
        item.problem_id for item in problem_list.items
    )
    items = []
    for item in problem_list.items:
        number, status = linked.get(item.problem_id or 0, (None, None))
        items.append(
            ItemOut(
                position=item.position,
                problem=item.problem,
                cause=item.cause,
                measure=item.measure,
                responsible_person=item.responsible_person,
                due_on=item.due_on,
                problem_number=number,
                problem_status=status,
            )
        )
    return ProblemListDetail(**to_out(problem_list).model_dump(), items=items)


async def _get(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    list_id: int,
    *,
    lock: bool = False,
) -> ProblemList:
    found = await ProblemListRepository(session).get_readable(
        principal, programme.id, list_id, lock=lock
    )
    if found is None:
        raise NotFound(f"问题清单 {list_id} 不存在或无权查看")
    return found


async def _fresh(
    session: AsyncSession, principal: Principal, programme: Programme, list_id: int
) -> ProblemListDetail:
    """The list as written by this request (read again: timestamps and lines as stored)."""
    return await _detail(session, await _get(session, principal, programme, list_id, lock=True))


async def _own(
    session: AsyncSession, principal: Principal, programme: Programme, list_id: int
) -> ProblemList:
    """The unit's own list, locked, while it may still be edited (draft or returned)."""
    problem_list = await _get(session, principal, programme, list_id, lock=True)
    if principal.unit_code != problem_list.unit.code:
        raise Forbidden("问题清单由填报单位自行修改和报送")
    if problem_list.status not in EDITABLE:
        raise Conflict(f"清单{STATUS_LABELS[problem_list.status]}，不能修改或重复报送")
    return problem_list


def _items(programme: Programme, problem_list: ProblemList, lines: list[ItemIn]) -> list[Any]:
    return [
        ProblemListItem(
            programme_id=programme.id,
            list_id=problem_list.id,
            position=position,
            **line.model_dump(),
        )
        for position, line in enumerate(lines, start=1)
    ]


def check_due_dates(due_dates: list[date], today: date) -> None:
    """A line's deadline is not in the past when the list is filed (it becomes a problem found
    that day, due then)."""
    errors = [
        FieldError(loc=["body", "items", index, "due_on"], msg="完成时限已过", type="value")
        for index, due in enumerate(due_dates)
        if due < today
    ]
    if errors:
        rows = "、".join(str(int(e.loc[2]) + 1) for e in errors)
        raise ValidationFailed(f"第 {rows} 条的完成时限早于今天", errors=errors)


async def create(
    session: AsyncSession, principal: Principal, programme: Programme, body: ProblemListIn
) -> ProblemListDetail:
    """A unit starts its own list (a draft); the office does not file for a unit."""
    if not principal.is_unit or principal.unit_code is None:
        raise Forbidden("问题清单由各单位自行填报")
    repository = ProblemListRepository(session)
    unit = await repository.unit_by_code(principal.unit_code)
    if unit is None:
        raise Forbidden("账号未关联单位")
    check_due_dates([line.due_on for line in body.items], today_shanghai())
    problem_list = await repository.add(
        ProblemList(
            programme_id=programme.id,
            unit_id=unit.id,
            title=body.title,
            status=ProblemListStatus.draft,
            created_by=principal.username,
            items=[],
        )
    )
    await repository.replace_items(problem_list, _items(programme, problem_list, body.items))
    await audit.record(
        session,
        actor=principal,
        action="problem_list.created",
        entity_type="problem_list",
        entity_id=problem_list.id,
        after=body.model_dump(),
    )
    return await _fresh(session, principal, programme, problem_list.id)


async def get(
    session: AsyncSession, principal: Principal, programme: Programme, list_id: int
) -> ProblemListDetail:
    return await _detail(session, await _get(session, principal, programme, list_id))


async def list_lists(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    *,
    status: ProblemListStatus | None,
    unit: str | None,
) -> Page[ProblemListOut]:
    rows, total = await ProblemListRepository(session).readable_page(
        principal, programme.id, page, status=status, unit=unit
    )
    return Page[ProblemListOut](items=[to_out(r) for r in rows], total=total)


async def _replace(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    problem_list: ProblemList,
    body: ProblemListIn,
    action: str,
) -> ProblemListDetail:
    before = [line.problem for line in problem_list.items]
    problem_list.title = body.title
    await ProblemListRepository(session).replace_items(
        problem_list, _items(programme, problem_list, body.items)
    )
    await audit.record(
        session,
        actor=principal,
        action=action,
        entity_type="problem_list",
        entity_id=problem_list.id,
        before={"items": before},
        after=body.model_dump(),
    )
    return await _fresh(session, principal, programme, problem_list.id)


async def update(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    list_id: int,
    body: ProblemListIn,
) -> ProblemListDetail:
    """The unit rewrites its draft or returned list (title and every line)."""
    problem_list = await _own(session, principal, programme, list_id)
    check_due_dates([line.due_on for line in body.items], today_shanghai())
    return await _replace(session, principal, programme, problem_list, body, "problem_list.updated")


async def submit(
    session: AsyncSession, principal: Principal, programme: Programme, list_id: int
) -> ProblemListDetail:
    """The unit files its list with the office (报备案): at least one line, no deadline past."""
    problem_list = await _own(session, principal, programme, list_id)
    if not problem_list.items:
        message = "清单没有任何条目，不能报送"
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "items"], msg=message, type="value")]
        )
    check_due_dates([item.due_on for item in problem_list.items], today_shanghai())
    before = problem_list.status
    problem_list.status = ProblemListStatus.submitted
    problem_list.submitted_at, problem_list.submitted_by = now_utc(), principal.username
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="problem_list.submitted",
        entity_type="problem_list",
        entity_id=problem_list.id,
        before={"status": before},
        after={"status": problem_list.status, "items": len(problem_list.items)},
    )
    return await _fresh(session, principal, programme, problem_list.id)


async def _submitted(
    session: AsyncSession, principal: Principal, programme: Programme, list_id: int
) -> ProblemList:
    problem_list = await _get(session, principal, programme, list_id, lock=True)
    if problem_list.status is not ProblemListStatus.submitted:
        raise Conflict(f"清单{STATUS_LABELS[problem_list.status]}，只有已报送的清单可以备案或退回")
    return problem_list


async def accept(
    session: AsyncSession, principal: Principal, programme: Programme, list_id: int
) -> ProblemListDetail:
    """The office accepts the list for the record (备案): each line becomes a problem of the
    unit's, found the day the list was filed, due by the line's deadline, closed one by one."""
    problem_list = await _submitted(session, principal, programme, list_id)
    assert problem_list.submitted_at is not None
    filed_on = problem_list.submitted_at.astimezone(SHANGHAI).date()
    for item in problem_list.items:
        created = await problems.create(
            session,
            principal,
            programme,
            ProblemIn(
                source=ProblemSource.self_check,
                problem=item.problem,
                cause=item.cause,
                measure=item.measure,
                responsible_unit=problem_list.unit.code,
                found_on=min(filed_on, item.due_on),
                due_on=item.due_on,
            ),
        )
        item.problem_id = await ProblemListRepository(session).problem_id(
            programme.id, created.number
        )
    problem_list.status = ProblemListStatus.accepted
    problem_list.decided_at, problem_list.decided_by = now_utc(), principal.username
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="problem_list.accepted",
        entity_type="problem_list",
        entity_id=problem_list.id,
        before={"status": ProblemListStatus.submitted},
        after={"status": problem_list.status, "problems": len(problem_list.items)},
    )
    await notify(
        session,
        problem_list.unit_id,
        "problem_list",
        f"【问题清单】“{problem_list.title}”已备案",
        f"{len(problem_list.items)}条问题已列入问题清单，请按期整改并报送进展。",
        link=f"/problem-lists/{problem_list.id}",
        dedupe_key=f"problem_list:{problem_list.id}:accepted",
    )
    return await _fresh(session, principal, programme, problem_list.id)


async def return_list(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    list_id: int,
    body: ReturnIn,
) -> ProblemListDetail:
    """The office returns the list with its reason; the unit edits it and submits it again."""
    problem_list = await _submitted(session, principal, programme, list_id)
    problem_list.status = ProblemListStatus.returned
    problem_list.return_reason = body.reason
    problem_list.decided_at, problem_list.decided_by = now_utc(), principal.username
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="problem_list.returned",
        entity_type="problem_list",
        entity_id=problem_list.id,
        before={"status": ProblemListStatus.submitted},
        after={"status": problem_list.status, "reason": body.reason},
    )
    await notify(
        session,
        problem_list.unit_id,
        "problem_list",
        f"【问题清单】“{problem_list.title}”被退回",
        f"退回理由：{body.reason}",
        link=f"/problem-lists/{problem_list.id}",
        dedupe_key=f"problem_list:{problem_list.id}:returned:{problem_list.decided_at}",
    )
    return await _fresh(session, principal, programme, problem_list.id)


async def export_xlsx(
    session: AsyncSession, principal: Principal, programme: Programme, list_id: int
) -> tuple[str, bytes]:
    problem_list = await _get(session, principal, programme, list_id)
    rows = [
        {
            "problem": i.problem,
            "cause": i.cause,
            "measure": i.measure,
            "responsible_person": i.responsible_person,
            "due_on": i.due_on,
        }
        for i in problem_list.items
    ]
    content = xlsx.render(problem_list.title, problem_list.unit.short_name, rows)
    return f"{problem_list.unit.short_name}问题清单{problem_list.id}.xlsx", content


def _parsed_lines(content: bytes) -> list[ItemIn]:
    """The workbook's lines as validated items; every bad cell named by row and column (422)."""
    try:
        lines, errors = xlsx.read(content)
    except xlsx.WorkbookRejected as exc:
        message = str(exc)
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "file"], msg=message, type="file")]
        ) from exc
    failures = [
        FieldError(loc=["问题清单", e.row, e.column], msg=e.message, type="value") for e in errors
    ]
    items: list[ItemIn] = []
    for line in lines:
        if line["due_on"] is None:
            continue
        try:
            items.append(ItemIn.model_validate({k: v for k, v in line.items() if k != "row"}))
        except ValidationError as exc:
            for error in exc.errors():
                column = {v: k for k, v in xlsx.FIELDS.items()}.get(str(error["loc"][0]), "")
                failures.append(
                    FieldError(
                        loc=["问题清单", line["row"], column], msg=error["msg"], type="value"
                    )
                )
    if failures:
        raise ValidationFailed(f"清单中有 {len(failures)} 处错误，未导入任何内容", errors=failures)
    if not items:
        raise ValidationFailed("清单中没有任何条目")
    return items


async def import_items(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    list_id: int,
    content: bytes,
) -> ImportResult:
    """The unit fills its list from a workbook (the export's columns): all lines replace the
    draft's, or nothing changes."""
    problem_list = await _own(session, principal, programme, list_id)
    items = _parsed_lines(content)
    check_due_dates([item.due_on for item in items], today_shanghai())
    body = ProblemListIn(title=problem_list.title, items=items)
    detail = await _replace(
        session, principal, programme, problem_list, body, "problem_list.imported"
    )
    return ImportResult(imported=len(items), list=detail)
