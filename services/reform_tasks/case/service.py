"""The register of typical cases (典型案例).

Seed 002_c95ffdd180ea7e81.txt: "每季度至少通报一次破坏营商环境的典型案例，并通过媒体向社会公开" and
"坚持“一案双查”…既要严肃追究直接责任人责任，又要…严肃追究失职失责党组织和领导干部的主体责任、监督
责任和领导责任"; also "每年评选一批全市优化营商环境示范案例" (good-practice cases). The office
registers each case with its facts, the unit concerned, the handling and — for a case that
damaged the business environment — the 一案双查 results for the people and for the unit; the
quarter it is notified in; and whether it is public. The quarterly notice lists the quarter's
cases (the public edition only the public ones: `cases_of_quarter`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.case.repository import CaseRepository
from services.reform_tasks.case.schemas import CaseIn, CaseOut
from shared import audit
from shared.auth import Principal
from shared.clock import today_shanghai
from shared.errors import FieldError, NotFound, ValidationFailed
from shared.models import CaseKind, Programme, TypicalCase, Unit
from shared.pagination import Page, PageParams
from shared.periods import parse_period

KIND_LABELS = {CaseKind.negative: "破坏营商环境典型案例", CaseKind.positive: "优化营商环境示范案例"}


def to_out(case: TypicalCase) -> CaseOut:
    return CaseOut(
        id=case.id,
        kind=case.kind,
        title=case.title,
        facts=case.facts,
        unit=case.unit.code,
        unit_name=case.unit.short_name,
        handling=case.handling,
        people_accountability=case.people_accountability,
        unit_accountability=case.unit_accountability,
        quarter=case.quarter,
        public=case.public,
        created_by=case.created_by,
        updated_at=case.updated_at,
    )


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        message, errors=[FieldError(loc=["body", field], msg=message, type="value")]
    )


def check_case(body: CaseIn, programme: Programme, today: date) -> None:
    """一案双查 applies to a case that damaged the business environment: a good-practice case
    carries no accountability result. The quarter is one of the programme's year that has
    begun."""
    if body.kind is CaseKind.positive and (body.people_accountability or body.unit_accountability):
        raise _invalid("people_accountability", "示范案例不适用“一案双查”，不能填写追责结果")
    try:
        quarter = parse_period(body.quarter)
    except ValueError as exc:
        raise _invalid("quarter", str(exc)) from exc
    if quarter.start.year != programme.year:
        raise _invalid("quarter", f"季度 {body.quarter} 不在改革工程 {programme.code} 年度内")
    if quarter.start > today:
        raise _invalid("quarter", f"季度 {body.quarter} 尚未开始")


async def _unit(session: AsyncSession, code: str) -> Unit:
    unit = await CaseRepository(session).unit_by_code(code)
    if unit is None:
        raise _invalid("unit", f"单位 {code} 不存在")
    return unit


def _values(body: CaseIn, unit: Unit) -> dict[str, Any]:
    values = body.model_dump(exclude={"unit"})
    return {**values, "unit_id": unit.id}


async def _get(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    case_id: int,
    *,
    fresh: bool = False,
) -> TypicalCase:
    found = await CaseRepository(session).get_readable(
        principal, programme.id, case_id, fresh=fresh
    )
    if found is None:
        raise NotFound(f"案例 {case_id} 不存在或无权查看")
    return found


async def _fresh(
    session: AsyncSession, principal: Principal, programme: Programme, case_id: int
) -> CaseOut:
    return to_out(await _get(session, principal, programme, case_id, fresh=True))


async def create(
    session: AsyncSession, principal: Principal, programme: Programme, body: CaseIn
) -> CaseOut:
    """The office registers a case."""
    check_case(body, programme, today_shanghai())
    unit = await _unit(session, body.unit)
    case = await CaseRepository(session).add(
        TypicalCase(programme_id=programme.id, created_by=principal.username, **_values(body, unit))
    )
    await audit.record(
        session,
        actor=principal,
        action="case.created",
        entity_type="case",
        entity_id=case.id,
        after=body.model_dump(),
    )
    return await _fresh(session, principal, programme, case.id)


async def update(
    session: AsyncSession, principal: Principal, programme: Programme, case_id: int, body: CaseIn
) -> CaseOut:
    """The office rewrites a case (all fields, PUT)."""
    case = await _get(session, principal, programme, case_id)
    check_case(body, programme, today_shanghai())
    unit = await _unit(session, body.unit)
    before = {**to_out(case).model_dump(exclude={"updated_at", "unit_name"})}
    await CaseRepository(session).update(case, _values(body, unit))
    await audit.record(
        session,
        actor=principal,
        action="case.updated",
        entity_type="case",
        entity_id=case.id,
        before=before,
        after=body.model_dump(),
    )
    return await _fresh(session, principal, programme, case.id)


async def get(
    session: AsyncSession, principal: Principal, programme: Programme, case_id: int
) -> CaseOut:
    return to_out(await _get(session, principal, programme, case_id))


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    *,
    quarter: str | None,
    kind: CaseKind | None,
    public: bool | None,
) -> Page[CaseOut]:
    rows, total = await CaseRepository(session).readable_page(
        principal, programme.id, page, quarter=quarter, kind=kind, public=public
    )
    return Page[CaseOut](items=[to_out(c) for c in rows], total=total)


async def cases_of_quarter(
    session: AsyncSession, programme: Programme, quarter: str
) -> list[dict[str, Any]]:
    """The quarter's cases for the quarterly notice's snapshot (negative first), each with its
    public flag (the public edition lists only the public ones)."""
    return [
        {
            "id": c.id,
            "kind": c.kind.value,
            "kind_label": KIND_LABELS[c.kind],
            "title": c.title,
            "unit": c.unit.short_name,
            "unit_code": c.unit.code,
            "facts": c.facts,
            "handling": c.handling,
            "people_accountability": c.people_accountability,
            "unit_accountability": c.unit_accountability,
            "public": c.public,
        }
        for c in await CaseRepository(session).of_quarter(programme.id, quarter)
    ]
