"""万企评机关 results published (issue #27; seed 002_c95ffdd180ea7e81.txt: "每半年组织企业家对涉企
部门及重点处室、基层站所进行满意度评议，公布满意度排名"; "对在“万企评机关”活动中连续两次处于后五位的
部门和处室负责人进行严肃问责处理"; docs/RULES.md: "The survey ranking is published …",
"A unit or sub-unit in the bottom five of two consecutive survey rounds …").

- A round is a half-year period with survey results; its ranking ranks the units, and the
  处室 / 站所 when the sheet carried them (`ranking.py` for the rules).
- The office publishes a round; until then only the office and viewers read it (a unit gets 404).
- Publishing a round proposes accountability (问责建议) for every unit and sub-unit in the
  bottom five of it and of the round before: a decision item the office adopts or dismisses
  with a note, audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.inputs.schemas import SurveyIn
from services.evaluation.ledger import service as ledger
from services.evaluation.survey_results import ranking
from services.evaluation.survey_results.repository import SurveyResultsRepository
from services.evaluation.survey_results.schemas import (
    PublishResult,
    RankedSubUnit,
    RankedUnit,
    SurveyDecisionIn,
    SurveyDecisionOut,
    SurveyRanking,
    SurveyRound,
)
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import SurveyDecision, SurveyDecisionStatus
from shared.periods import parse_period, today

NOT_PUBLISHED = "该轮万企评机关结果尚未公布"


async def record_sub_results(
    session: AsyncSession, principal: Principal, rows: Sequence[tuple[SurveyIn, str]]
) -> None:
    """A survey sheet's 处室 / 站所 rows (a re-import replaces a sub-unit's score). They are
    published in the ranking, never scored: the unit's own row is what scores."""
    if not rows:
        return
    for programme in sorted({str(parse_period(s.period).start.year) for s, _ in rows}):
        await ledger.ensure_open(session, programme, "录入万企评机关处室、站所结果")
    for survey, _ in rows:
        if parse_period(survey.period).start > today():
            raise ValidationFailed("该半年度尚未开始，不能录入评议结果")
    await SurveyResultsRepository(session).save_sub_results(
        [
            {
                "programme": str(parse_period(s.period).start.year),
                "period": s.period,
                "unit_code": s.unit_code,
                "sub_unit": sub_unit,
                "score": s.score,
                "respondents": s.respondents,
                "recorded_by": principal.username,
            }
            for s, sub_unit in rows
        ]
    )
    await audit.record(
        session,
        actor=principal,
        action="survey.sub_results_imported",
        entity_type="survey_round",
        entity_id=",".join(sorted({s.period for s, _ in rows})),
        after={"rows": len(rows)},
    )


def _sees_unpublished(principal: Principal) -> bool:
    """The office and viewers read a round before it is published; units only after."""
    return principal.can_read_unit(None)


async def rounds(session: AsyncSession, principal: Principal) -> list[SurveyRound]:
    repo = SurveyResultsRepository(session)
    published = await repo.publications()
    subs = await repo.sub_unit_counts()
    found = [
        SurveyRound(
            period=period,
            programme=programme,
            units=units,
            sub_units=subs.get(period, 0),
            published_at=published[period].published_at if period in published else None,
            published_by=published[period].published_by if period in published else None,
        )
        for period, programme, units in await repo.rounds()
    ]
    if not _sees_unpublished(principal):
        found = [r for r in found if r.published_at is not None]
    return found[::-1]


async def survey_ranking(session: AsyncSession, principal: Principal, period: str) -> SurveyRanking:
    """The round's ranking (404 for a unit before it is published, or for a round without
    results)."""
    repo = SurveyResultsRepository(session)
    publication = await repo.publication(period)
    if publication is None and not _sees_unpublished(principal):
        raise NotFound(NOT_PUBLISHED)
    units = await repo.unit_results(period)
    if not units:
        raise NotFound(f"没有 {period} 的万企评机关结果")
    subs = await repo.sub_results(period)
    names = await repo.unit_names({r.unit_code for r in units} | {r.unit_code for r in subs})
    n = await _bottom_n(session, units[0].programme)
    unit_scores = {r.unit_code: r.score for r in units}
    unit_ranks, unit_bottom = ranking.ranks(unit_scores), ranking.bottom(unit_scores, n)
    sub_scores = {(r.unit_code, r.sub_unit): r.score for r in subs}
    sub_ranks, sub_bottom = ranking.ranks(sub_scores), ranking.bottom(sub_scores, n)
    previous = parse_period(period).previous().id
    ranked_units = [
        RankedUnit(
            rank=unit_ranks[r.unit_code],
            unit_code=r.unit_code,
            unit_name=names.get(r.unit_code, r.unit_code),
            score=r.score,
            respondents=r.respondents,
            bottom_five=r.unit_code in unit_bottom,
        )
        for r in units
    ]
    ranked_subs = [
        RankedSubUnit(
            rank=sub_ranks[(r.unit_code, r.sub_unit)],
            unit_code=r.unit_code,
            unit_name=names.get(r.unit_code, r.unit_code),
            sub_unit=r.sub_unit,
            score=r.score,
            respondents=r.respondents,
            bottom_five=(r.unit_code, r.sub_unit) in sub_bottom,
        )
        for r in subs
    ]
    return SurveyRanking(
        period=period,
        programme=units[0].programme,
        published_at=publication.published_at if publication else None,
        previous_period=previous if await repo.has_results(previous) else None,
        units=sorted(ranked_units, key=lambda u: (u.rank, u.unit_code)),
        sub_units=sorted(ranked_subs, key=lambda s: (s.rank, s.unit_code, s.sub_unit)),
    )


async def _bottom_n(session: AsyncSession, programme: str) -> int:
    """The rule set's `survey_bottom_n` in force today (the seed's 后五位: 5 by default)."""
    _, rules = (await ledger.rule_book(session, programme)).at(today())
    return rules.survey_bottom_n


def _proposals(
    current: SurveyRanking, previous: SurveyRanking, existing: set[tuple[str, str]]
) -> list[SurveyDecision]:
    """Decision items for the bottom five of both rounds (units, then sub-units)."""
    found: list[SurveyDecision] = []
    pairs: list[tuple[Sequence[RankedUnit], Sequence[RankedUnit]]] = [
        (current.units, previous.units),
        (current.sub_units, previous.sub_units),
    ]
    for now_rows, before_rows in pairs:
        now = {_key(r): r for r in now_rows}
        before = {_key(r): r for r in before_rows}
        # The bottom five as each round's ranking shows it (its `bottom_five` flags).
        repeat = {k for k, r in now.items() if r.bottom_five} & {
            k for k, r in before.items() if r.bottom_five
        }
        found.extend(
            SurveyDecision(
                programme=current.programme,
                period=current.period,
                previous_period=previous.period,
                unit_code=key[0],
                sub_unit=key[1],
                rank=now[key].rank,
                previous_rank=before[key].rank,
                ranked=len(now),
                status=SurveyDecisionStatus.proposed,
                note="",
            )
            for key in sorted(repeat - existing)
        )
    return found


def _key(row: RankedUnit) -> tuple[str, str]:
    return (row.unit_code, row.sub_unit if isinstance(row, RankedSubUnit) else "")


async def publish(session: AsyncSession, principal: Principal, period: str) -> PublishResult:
    """Publish a round (once; 409 again) and propose accountability for those in the bottom five
    of it and of the round held before it."""
    repo = SurveyResultsRepository(session)
    current = await survey_ranking(session, principal, period)
    await ledger.ensure_open(session, current.programme, "公布万企评机关结果")
    if current.published_at is not None:
        raise Conflict(f"{period} 的万企评机关结果已公布")
    publication = await repo.publish(period, current.programme, principal.username)
    proposals: list[SurveyDecision] = []
    if current.previous_period is not None:
        previous = await survey_ranking(session, principal, current.previous_period)
        proposals = _proposals(current, previous, await repo.decision_keys(period))
        await repo.add_decisions(proposals)
    await audit.record(
        session,
        actor=principal,
        action="survey.published",
        entity_type="survey_round",
        entity_id=period,
        after={"proposals": [[p.unit_code, p.sub_unit] for p in proposals]},
    )
    names = {u.unit_code: u.unit_name for u in current.units}
    return PublishResult(
        period=period,
        published_at=publication.published_at,
        proposals=[_decision_out(p, names) for p in proposals],
    )


def _decision_out(row: SurveyDecision, names: dict[str, str]) -> SurveyDecisionOut:
    out = SurveyDecisionOut.model_validate(row)
    out.unit_name = names.get(row.unit_code, row.unit_code)
    return out


async def decisions(
    session: AsyncSession, *, period: str | None, status: SurveyDecisionStatus | None
) -> list[SurveyDecisionOut]:
    repo = SurveyResultsRepository(session)
    rows = await repo.decisions(period=period, status=status)
    names = await repo.unit_names({r.unit_code for r in rows})
    return [_decision_out(r, names) for r in rows]


async def decide(
    session: AsyncSession, principal: Principal, decision_id: int, body: SurveyDecisionIn
) -> SurveyDecisionOut:
    """The office adopts or dismisses (with its reason) a proposal, once (409 after)."""
    repo = SurveyResultsRepository(session)
    row = await repo.decision_for_update(decision_id)
    if row is None:
        raise NotFound("问责建议不存在")
    await ledger.ensure_open(session, row.programme, "决定问责建议")
    if row.status != SurveyDecisionStatus.proposed:
        raise Conflict("该问责建议已有决定")
    before: dict[str, Any] = {"status": row.status.value, "note": row.note}
    row.status = SurveyDecisionStatus(body.status)
    row.note = body.note.strip()
    row.decided_by = principal.username
    row.decided_at = datetime.now(UTC)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action=f"survey_decision.{body.status}",
        entity_type="survey_decision",
        entity_id=str(row.id),
        before=before,
        after={"status": row.status.value, "note": row.note},
    )
    return _decision_out(row, await repo.unit_names([row.unit_code]))


def ranking_xlsx(found: SurveyRanking) -> bytes:
    """The ranking as the office circulates it: units, then 处室 / 站所; values only (blocking:
    run in a thread)."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from shared.office_files import append_row

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "单位排名"
    append_row(sheet, [f"万企评机关满意度排名（{found.period}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, ["名次", "单位代码", "单位名称", "得分", "参评企业数", "后五位"])
    for u in found.units:
        row = [u.rank, u.unit_code, u.unit_name, u.score, u.respondents]
        append_row(sheet, [*row, "是" if u.bottom_five else ""])
    if found.sub_units:
        subs = book.create_sheet("处室站所排名")
        append_row(subs, [f"万企评机关处室、站所满意度排名（{found.period}）"])
        subs["A1"].font = Font(bold=True, size=14)
        append_row(subs, ["名次", "单位名称", "处室/站所", "得分", "参评企业数", "后五位"])
        for s in found.sub_units:
            row = [s.rank, s.unit_name, s.sub_unit, s.score, s.respondents]
            append_row(subs, [*row, "是" if s.bottom_five else ""])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
