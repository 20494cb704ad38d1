"""Inputs the office enters itself, each recorded as a fact, then applied like any event:

- inspection findings (督查, 四不两直 spot checks; seed 001_643c54550577dac0.txt; docs/RULES.md:
  "Inspections (including unannounced 四不两直 checks) and their findings feed …");
- the half-yearly enterprise survey (万企评机关; seed 002_c95ffdd180ea7e81.txt; docs/RULES.md:
  "Enterprises rate departments every half-year (万企评机关) …");
- external indicator ranks (国评/省评; seed 000_09317301cc05ec06.txt: the province has its cities
  evaluated by a third party and ranks them; seed 001: what a leading rank earns; docs/RULES.md:
  "An indicator in the national top 10 or first in the province …")."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.event.repository import FactRepository
from services.evaluation.event.service import CONSUMER
from services.evaluation.inputs.repository import InputsRepository
from services.evaluation.inputs.schemas import (
    ExternalRankIn,
    ExternalRankOut,
    InspectionIn,
    SurveyIn,
)
from services.evaluation.ledger import service as ledger
from services.evaluation.ledger.repository import LedgerRepository
from services.evaluation.rule_set.schemas import RuleSetBody
from services.evaluation.survey_results import service as survey_results
from shared import audit
from shared.auth import Principal
from shared.clock import SHANGHAI
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.events import EventEnvelope, is_sent_to, parse_data
from shared.models import ExternalRank, Inspection, ParkedEvent, SurveyResult
from shared.periods import parse_period, today


async def _require_unit(session: AsyncSession, code: str, field: str) -> None:
    if code not in await LedgerRepository(session).unit_kinds([code]):
        raise ValidationFailed(
            f"单位 {code} 不存在",
            errors=[FieldError(loc=["body", field], msg="单位不存在", type="unknown")],
        )


async def _record(
    session: AsyncSession,
    principal: Principal,
    event_type: str,
    unit_code: str,
    programme: str,
    occurred_at: datetime,
    data: dict[str, Any],
) -> EventEnvelope:
    await ledger.ensure_open(session, programme, "录入成绩数据")
    recorded = parse_data(event_type, {**data, "recorded_by": principal.username})
    envelope = EventEnvelope(
        id=uuid.uuid4(),
        type=event_type,
        occurred_at=occurred_at,
        programme=programme,
        unit_code=unit_code,
        data=recorded.model_dump(mode="json"),
    )
    await FactRepository(session).insert_many([envelope])
    await ledger.consume(session, envelope)
    await audit.record(
        session,
        actor=principal,
        action=event_type,
        entity_type="fact",
        entity_id=str(envelope.id),
        after=envelope.data,
    )
    return envelope


def _not_in_the_future(day: date, field: str, message: str) -> None:
    """An input records what happened: its date (or period) cannot lie ahead (422 on the field).
    The programme is the date's year, so a date is always inside its own programme."""
    if day > today():
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", field], msg=message, type="future_date")]
        )


async def record_inspection(
    session: AsyncSession, principal: Principal, body: InspectionIn
) -> Inspection:
    _not_in_the_future(body.inspected_on, "inspected_on", "督查日期不能晚于今天")
    await _require_unit(session, body.unit_code, "unit_code")
    moment = datetime.combine(body.inspected_on, time(12), tzinfo=SHANGHAI).astimezone(UTC)
    envelope = await _record(
        session,
        principal,
        "inspection.recorded",
        body.unit_code,
        str(body.inspected_on.year),
        moment,
        body.model_dump(mode="json"),
    )
    row = await InputsRepository(session).inspection_of(envelope.id)
    assert row is not None
    return row


async def list_inspections(
    session: AsyncSession, principal: Principal, programme: str
) -> Sequence[Inspection]:
    return await InputsRepository(session).inspections(principal, programme)


async def record_survey(session: AsyncSession, principal: Principal, body: SurveyIn) -> None:
    half = parse_period(body.period)
    _not_in_the_future(half.start, "period", "该半年度尚未开始，不能录入评议结果")
    await _require_unit(session, body.unit_code, "unit_code")
    # A half-year's survey is known at its end.
    moment = datetime.combine(half.end, time(18), tzinfo=SHANGHAI).astimezone(UTC)
    await _record(
        session,
        principal,
        "survey.result",
        body.unit_code,
        str(half.start.year),
        moment,
        body.model_dump(mode="json"),
    )


async def list_surveys(
    session: AsyncSession, principal: Principal, programme: str
) -> Sequence[SurveyResult]:
    """The office and viewers read every unit's survey result; a unit only its own."""
    return await InputsRepository(session).surveys(principal, programme)


HEAD_EXCELLENT = "牵头部门和部门主要负责人年终考核定为优秀等次"


async def record_external_rank(
    session: AsyncSession, principal: Principal, body: ExternalRankIn, programme: str
) -> ExternalRankOut:
    """Seed 001_643c54550577dac0.txt: an indicator's national or provincial rank bears on its
    lead department (市直部门绩效考核成绩与营商环境国评、省评直接挂钩): a district is not an
    indicator's lead (docs/RULES.md: "An indicator in the national top 10 or first in the
    province …")."""
    _not_in_the_future(date(body.year, 1, 1), "year", "国评、省评结果的年度不能晚于今年")
    await _require_unit(session, body.lead_unit, "lead_unit")
    kinds = await LedgerRepository(session).unit_kinds([body.lead_unit])
    if kinds.get(body.lead_unit) == "district":
        message = "国评、省评指标的牵头单位应为市直部门"
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "lead_unit"], msg=message, type="kind")]
        )
    if body.national_rank is None and body.provincial_rank is None:
        raise ValidationFailed("国评名次和省评名次至少填写一项")
    await _record(
        session,
        principal,
        "external_rank.recorded",
        body.lead_unit,
        programme,
        datetime.now(UTC),
        body.model_dump(mode="json"),
    )
    return _rank_out(body, await _rules_today(session, programme))


def _rank_out(row: ExternalRankIn | ExternalRank, rules: RuleSetBody) -> ExternalRankOut:
    """A rank with what it earns under `rules` (seed 001_643c54550577dac0.txt: national top 10
    or provincial first → the lead department's full marks and 优秀, and its head's 优秀; that a
    year's rank counts in the next year's assessment is the office's reading)."""
    national, provincial = rules.external_rank.national_top, rules.external_rank.provincial_top
    leads = (row.national_rank is not None and row.national_rank <= national) or (
        row.provincial_rank is not None and row.provincial_rank <= provincial
    )
    return ExternalRankOut(
        year=row.year,
        indicator=row.indicator,
        lead_unit=row.lead_unit,
        national_rank=row.national_rank,
        provincial_rank=row.provincial_rank,
        full_marks=leads,
        consequence=(
            f"{row.year + 1}年考核：牵头部门营商环境考核直接得满分；{HEAD_EXCELLENT}"
            if leads
            else ""
        ),
    )


async def _rules_today(session: AsyncSession, programme: str) -> RuleSetBody:
    _, rules = (await ledger.rule_book(session, programme)).at(today())
    return rules


async def list_external_ranks(session: AsyncSession, programme: str) -> list[ExternalRankOut]:
    rows = await InputsRepository(session).external_ranks(programme)
    rules = await _rules_today(session, programme)
    return [_rank_out(row, rules) for row in rows]


async def list_parked(session: AsyncSession) -> Sequence[ParkedEvent]:
    return await InputsRepository(session).parked()


async def replay_parked(session: AsyncSession, principal: Principal, parked_id: int) -> ParkedEvent:
    """After the unit exists (or was mapped), apply the parked event as if it had just arrived."""
    parked = await InputsRepository(session).parked_for_update(parked_id)
    if parked is None:
        raise NotFound("暂存事件不存在")
    if parked.replayed_at is not None:
        raise Conflict("该事件已重新处理")
    envelope = EventEnvelope.model_validate(parked.envelope)
    if not is_sent_to(envelope.type, CONSUMER):
        raise Conflict(f"事件类型 {envelope.type} 不是发给评估服务的事件，不能重新处理")
    data = ledger.typed_data(envelope)
    if isinstance(data, str):
        raise Conflict(f"该事件仍无法处理：{data}")
    named = ledger.named_units(envelope.unit_code, data) | {envelope.unit_code or ""}
    missing = named - set(await LedgerRepository(session).unit_kinds(named))
    if missing:
        raise Conflict(f"单位仍不存在：{'、'.join(sorted(missing))}")
    day = ledger.fact_day(envelope.occurred_at, data)
    programme = ledger.programme_of(envelope.programme, day)
    await ledger.ensure_open(session, programme, "重新处理暂存事件")
    parked.replayed_at = datetime.now(UTC)
    await session.flush()
    await ledger.consume_many(session, [envelope])
    await audit.record(
        session,
        actor=principal,
        action="parked_event.replayed",
        entity_type="fact",
        entity_id=str(envelope.id),
    )
    return parked


SURVEY_HEADERS = {"考核期": "period", "单位": "unit", "得分": "score", "参评企业数": "respondents"}
# Optional (issue #27): a row naming a 处室 / 站所 scores that sub-unit of the unit, not the unit.
SUB_UNIT_HEADERS = ("处室/站所", "处室站所", "处室", "站所")
MAX_SURVEY_ROWS = 2000


def parse_survey_xlsx(content: bytes) -> list[dict[str, Any]]:
    """Rows of the survey sheet (考核期, 单位, 得分, 参评企业数, optionally 处室/站所) under its
    header row, which may sit below a title. Blocking: call it in a thread."""
    import zipfile
    from io import BytesIO

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            if sum(i.file_size for i in archive.infolist()) > 20 * 1024 * 1024:
                raise ValidationFailed("文件解压后过大，请检查是否为正常的调查结果表")
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
        if not book.worksheets:
            raise ValidationFailed("工作簿中没有工作表")
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True, max_row=MAX_SURVEY_ROWS + 10))
    except ValidationFailed:
        raise
    except Exception as exc:  # openpyxl raises many kinds for broken parts
        raise ValidationFailed("不是有效的 xlsx 文件") from exc
    headers = [[str(c).strip() if c is not None else "" for c in row or ()] for row in rows[:10]]
    index = next((i for i, header in enumerate(headers) if "单位" in header), None)
    if index is None:
        raise ValidationFailed("未找到表头（考核期、单位、得分、参评企业数）")
    header = headers[index]
    missing = [h for h in SURVEY_HEADERS if h not in header]
    if missing:
        raise ValidationFailed(
            f"缺少列：{'、'.join(missing)}",
            errors=[FieldError(loc=[sheet.title, index + 1], msg="缺少列", type="missing_column")],
        )
    columns = {key: header.index(label) for label, key in SURVEY_HEADERS.items()}
    sub_label = next((label for label in SUB_UNIT_HEADERS if label in header), None)
    if sub_label is not None:
        columns["sub_unit"] = header.index(sub_label)
    return [
        {
            "row": number,
            **{key: row[col] if col < len(row) else None for key, col in columns.items()},
        }
        for number, row in enumerate(rows[index + 1 :], start=index + 2)
        if row and any(c not in (None, "") for c in row)
    ]


async def import_surveys(
    session: AsyncSession, principal: Principal, content: bytes, *, dry_run: bool
) -> int:
    """All or nothing: one bad row and nothing is recorded; every error names its row and column
    (seed 002_c95ffdd180ea7e81.txt: departments rated half-yearly by enterprises; docs/RULES.md:
    "Enterprises rate departments every half-year (万企评机关) …")."""
    import asyncio

    from pydantic import ValidationError

    rows = await asyncio.to_thread(parse_survey_xlsx, content)
    lookup = await InputsRepository(session).unit_names()
    labels = {"period": "考核期", "score": "得分", "respondents": "参评企业数"}
    valid: list[SurveyIn] = []
    sub_units: list[tuple[SurveyIn, str]] = []
    errors: list[FieldError] = []
    for row in rows:
        sub_unit = str(row.get("sub_unit") or "").strip()
        if len(sub_unit) > 64:
            errors.append(
                FieldError(loc=["sheet", row["row"], "处室/站所"], msg="名称过长", type="too_long")
            )
            continue
        unit = lookup.get(str(row["unit"] or "").strip())
        if unit is None:
            errors.append(
                FieldError(
                    loc=["sheet", row["row"], "单位"],
                    msg=f"未知单位“{row['unit']}”",
                    type="unknown_unit",
                )
            )
            continue
        try:
            survey = SurveyIn(
                period=str(row["period"] or "").strip(),
                unit_code=unit,
                score=row["score"],
                respondents=row["respondents"] or 0,
            )
            if sub_unit:
                sub_units.append((survey, sub_unit))
            else:
                valid.append(survey)
        except ValidationError as exc:
            errors.extend(
                FieldError(
                    loc=["sheet", row["row"], labels.get(str(e["loc"][0]), "?")],
                    msg="取值无效",
                    type=str(e["type"]),
                )
                for e in exc.errors()
            )
    if errors:
        raise ValidationFailed(f"共 {len(errors)} 处错误，未导入任何数据", errors=errors)
    if not dry_run:
        for survey in valid:
            await record_survey(session, principal, survey)
        await survey_results.record_sub_results(session, principal, sub_units)
    return len(valid) + len(sub_units)
