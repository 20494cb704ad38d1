"""Scores, explanations and rankings as the office and units read them.

Seed 001_643c54550577dac0.txt: a real-time evaluation platform; quarterly notices praise the best
and name the worst (docs/RULES.md: "Each quarter the best are praised and the worst named").
Seed 002_c95ffdd180ea7e81.txt: the heads of a department in the bottom five of the half-yearly
enterprise survey twice in a row are held accountable (docs/RULES.md: "A department in the bottom
five of the enterprise survey (万企评机关) twice in a row is flagged for accountability").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.ledger import engine
from services.evaluation.ledger import service as ledger
from services.evaluation.ledger.repository import LedgerRepository
from services.evaluation.programme.repository import ProgrammeRepository
from services.evaluation.rule_set.schemas import (
    DeductionComponent,
    DeliveryRateComponent,
    HotlineComponent,
    RankingGroup,
    RatingComponent,
    RuleSetBody,
    SurveyComponent,
    TourComponent,
)
from services.evaluation.score.ranks import competition_ranks, placings
from services.evaluation.score.repository import ScoreRepository
from services.evaluation.score.schemas import (
    ComponentOut,
    ExplainComponent,
    ExplainEntry,
    Explanation,
    HotlineBoard,
    HotlineBoardItem,
    Ranking,
    RankingGroupOut,
    RankingItem,
    ScoreOut,
)
from services.evaluation.survey_results import ranking as survey_ranking
from shared.auth import Principal
from shared.errors import NotFound, ValidationFailed
from shared.events import (
    WorkOrderClosed,
    WorkOrderOverdue,
    WorkOrderResponded,
    WorkOrderResponseExpired,
    WorkOrderVisited,
    WorkOrderVisitOverturned,
    parse_data,
)
from shared.models.evaluation import FinalResult, Score
from shared.office_files import append_row
from shared.periods import Period, business_day, parse_period, period_containing, today
from shared.validation import ascii_number

# unit code → (kind, score, rule-set version), as `ledger.compute_scores` answers
Scored = dict[str, tuple[str, engine.UnitScore, int]]


def period_or_422(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc


def _visible_components(principal: Principal, unit_code: str, items: list[Any]) -> list[Any]:
    """Totals and ranks are public inside the platform; the breakdown is the unit's own."""
    return items if principal.can_read_unit(unit_code) else []


async def list_scores(
    session: AsyncSession,
    principal: Principal,
    programme: str,
    period: Period,
    *,
    as_of: date | None,
    kind: str | None,
) -> list[ScoreOut]:
    repo = ScoreRepository(session)
    frozen = await ProgrammeRepository(session).results(programme, period.id) if not as_of else []
    if frozen:
        return _frozen_scores_out(principal, frozen, kind)
    names = await repo.unit_names()
    if as_of is None:
        rows = await repo.live(programme, period.id, kind)
        live = [
            _stored_out(principal, r, names.get(r.unit_code, r.unit_code), r.updated_at)
            for r in rows
        ]
        # Units no fact has touched yet have no live row: they stand at full marks.
        kinds = await LedgerRepository(session).unit_kinds()
        have = {r.unit_code for r in rows}
        missing = [
            c
            for c, k in kinds.items()
            if c not in have and (kind is None or (k == "district") == (kind == "district"))
        ]
        book = await ledger.rule_book(session, programme)
        computed = await ledger.compute_scores(
            session, book, programme, missing, period, kinds=kinds
        )
        live.extend(_score_out(principal, names, period, computed))
        return sorted(live, key=lambda s: (-s.total, s.unit_code))
    book = await ledger.rule_book(session, programme)
    kinds = await LedgerRepository(session).unit_kinds()
    wanted = [
        c for c, k in kinds.items() if kind is None or (k == "district") == (kind == "district")
    ]
    computed = await ledger.compute_scores(
        session, book, programme, wanted, period, as_of=as_of, kinds=kinds
    )
    return sorted(
        _score_out(principal, names, period, computed), key=lambda s: (-s.total, s.unit_code)
    )


def _stored_out(
    principal: Principal, row: Score | FinalResult, unit_name: str, updated_at: datetime | None
) -> ScoreOut:
    """A stored score (live or frozen at closing) as answered; the breakdown is the unit's."""
    return ScoreOut(
        unit_code=row.unit_code,
        unit_name=unit_name,
        unit_kind=row.unit_kind,
        period=row.period,
        total=row.total,
        max_total=row.max_total,
        grade=row.grade,
        rule_set_version=row.rule_set_version,
        updated_at=updated_at,
        components=_visible_components(
            principal, row.unit_code, [ComponentOut(**c) for c in row.components]
        ),
    )


def _frozen_scores_out(
    principal: Principal, frozen: Sequence[FinalResult], kind: str | None
) -> list[ScoreOut]:
    """A closed programme's scores as they stood at closing (`final_results`, best first)."""
    return [
        _stored_out(principal, r, r.unit_name, r.scored_at)
        for r in frozen
        if kind is None or (r.unit_kind == "district") == (kind == "district")
    ]


def frozen_score(row: FinalResult) -> tuple[str, engine.UnitScore, int]:
    """A frozen result as the scoring engine's answer (for rankings, the 红黑榜 and explain)."""
    components = [
        engine.ComponentScore(
            c["key"], c["name"], c["points"], c["max"], c["detail"], c.get("no_data", False)
        )
        for c in row.components
        if c["key"] != "override"
    ]
    override = next((c["name"] for c in row.components if c["key"] == "override"), None)
    score = engine.UnitScore(row.total, row.max_total, row.grade, components, override)
    return row.unit_kind, score, row.rule_set_version


async def scores_of(
    session: AsyncSession, book: ledger.RuleBook, programme: str, units: list[str], period: Period
) -> Scored:
    """The units' scores for a period: frozen if the programme was closed, else computed."""
    frozen = await ProgrammeRepository(session).results(programme, period.id)
    if frozen:
        wanted = set(units)
        return {r.unit_code: frozen_score(r) for r in frozen if r.unit_code in wanted}
    return await ledger.compute_scores(session, book, programme, units, period)


def _score_out(
    principal: Principal,
    names: dict[str, str],
    period: Period,
    computed: dict[str, tuple[str, Any, int]],
) -> list[ScoreOut]:
    return [
        ScoreOut(
            unit_code=code,
            unit_name=names.get(code, code),
            unit_kind=unit_kind,
            period=period.id,
            total=score.total,
            max_total=score.max_total,
            grade=score.grade,
            rule_set_version=version,
            components=_visible_components(
                principal,
                code,
                [ComponentOut.model_validate(c) for c in ledger.components_json(score)],
            ),
        )
        for code, (unit_kind, score, version) in computed.items()
    ]


def formula(component: Any, weight: float) -> str:
    if isinstance(component, DeductionComponent):
        rules = "；".join(f"{rule} {points:+g}分/次" for rule, points in component.rules.items())
        return f"满分{weight:g}分，按事件扣分（{rules or '按督查认定的扣分'}），最低0分"
    if isinstance(component, DeliveryRateComponent):
        return (
            f"{weight:g} × 按期完成率（按期完成的节点 ÷ 计入的节点；本期完成的节点按是否按期计入，"
            "期末仍滞后、严重滞后的节点计为未按期；牵头单位每个节点计"
            f"{component.lead_weight:g}，责任单位计{component.responsible_weight:g}）"
        )
    if isinstance(component, RatingComponent):
        return f"牵头单位评分平均值 ÷ 评分满分 × {weight:g}（无评分时得满分）"
    if isinstance(component, HotlineComponent):
        closing = (
            f" + 按时办结率×{component.on_time_closing_share:g}"
            if component.on_time_closing_share
            else ""
        )
        return (
            f"{weight:g} ×（响应率×{component.response_share:g} + 解决率×"
            f"{component.resolution_share:g} + 满意率×{component.satisfaction_share:g}{closing}）"
            "（工单按受理日计入期间；某率尚无计入的工单时按100%计）"
        )
    if isinstance(component, SurveyComponent):
        return f"万企评机关得分 ÷ 100 × {weight:g}（无调查结果时得满分）"
    if isinstance(component, TourComponent):
        return (
            f"{weight:g} × 本期各轮“4+2”项目观摩得分率的平均值（得分 ÷ 评分表满分；"
            "按观摩日期计入期间；本期无观摩时得满分）"
        )
    return ""


def _tour_rule(data: dict[str, Any]) -> str:
    """A published 观摩 round as explain lists it (`shared.events.TourPublished`'s fields)."""
    return (
        f"{data['round_name']}：{data['total']:g} / {data['max_total']:g} 分，"
        f"第{data['rank']}名（共{data['districts']}个区县）"
    )


NO_DATA = {
    "full": "。本期无数据，按满分计（规则集：no_data = full）",
    "redistribute": (
        "。本期无数据，其权重按比例分摊到有数据的评分项（规则集：no_data = redistribute）"
    ),
}
OUTCOME_LABELS = {
    "on_time": "按期完成",
    "late": "逾期完成",
    "lagging": "滞后未完成",
    "seriously_lagging": "严重滞后未完成",
}


def _delivery_entries(
    unit_code: str, histories: list[list[engine.MilestoneFact]], start: date, end: date
) -> list[ExplainEntry]:
    """Every milestone counted in the unit's delivery rate, with its outcome and the event that
    decided it (points 0: a milestone moves the rate, not a fixed number of points)."""
    return [
        ExplainEntry(
            event_id=fact.event_id,
            event_type=fact.event_type,
            day=fact.day,
            rule=(
                f"任务{fact.task_number}第{fact.milestone}个时间节点"
                f"（{'牵头' if fact.lead_unit == unit_code else '责任'}）："
                f"{OUTCOME_LABELS[outcome]}"
            ),
            points=0,
        )
        for fact, outcome in engine.milestone_outcomes(histories, start, end)
    ]


async def explain(
    session: AsyncSession,
    principal: Principal,
    programme: str,
    unit_code: str,
    period: Period,
    as_of: date | None,
) -> Explanation:
    if not principal.can_read_unit(unit_code):
        raise NotFound(f"单位 {unit_code} 的得分明细不存在或无权查看")
    as_of = as_of or today()
    end = min(period.end, as_of)
    book = await ledger.rule_book(session, programme)
    # One load of the unit's inputs for the score and for the milestones explain lists.
    daily = await LedgerRepository(session).daily_inputs(programme, [unit_code], period.start, end)
    computed = await ledger.compute_scores(
        session, book, programme, [unit_code], period, as_of=as_of, daily=daily
    )
    if end == period.end:
        # A closed programme's period explains the numbers frozen at closing; the ledger it
        # lists the facts from no longer changes (late facts are parked).
        frozen = await ProgrammeRepository(session).results(programme, period.id)
        for row in (r for r in frozen if r.unit_code == unit_code):
            frozen_kind, held, version = frozen_score(row)
            if unit_code in computed:
                live = computed[unit_code][1].components
                held = replace(held, components=_in_engine_order(held.components, live))
            computed[unit_code] = (frozen_kind, held, version)
    if unit_code not in computed:
        raise NotFound(f"单位 {unit_code} 不存在")
    kind, score, _version = computed[unit_code]
    _, rules = book.at(end)
    repo = ScoreRepository(session)
    entries = await repo.entries(programme, unit_code, period.start, end)
    names = await repo.unit_names()
    side = "district" if kind == "district" else "unit"
    by_key: dict[str, Any] = {c.key: c for c in rules.components}
    components = []
    for c in score.components:
        rule_component = by_key[c.key]
        explained = [
            ExplainEntry(
                event_id=str(e.event_id),
                event_type=e.event_type,
                day=e.day,
                rule=e.rule,
                points=e.points,
            )
            for e in entries
            if e.component == c.key
        ]
        if isinstance(rule_component, DeliveryRateComponent):
            explained = _delivery_entries(unit_code, daily.milestone_histories, period.start, end)
        if isinstance(rule_component, TourComponent):
            explained = [
                ExplainEntry(
                    event_id=str(f.event_id),
                    event_type=f.type,
                    day=business_day(f.occurred_at),
                    rule=_tour_rule(f.data),
                    points=0,
                )
                for f in await repo.tour_facts(programme, unit_code, period.start, end)
            ]
        if isinstance(rule_component, HotlineComponent):
            explained = [
                ExplainEntry(
                    event_id=str(f.event_id),
                    event_type=f.type,
                    day=business_day(f.occurred_at),
                    rule=_hotline_reason(f.type, f.data),
                    points=0,
                )
                for f in await repo.hotline_against(
                    unit_code, period.start, end, engine.hotline_options(rules)
                )
            ]
        components.append(
            ExplainComponent(
                key=c.key,
                name=c.name,
                points=c.points,
                max=c.max,
                formula=formula(rule_component, float(getattr(rule_component.weight, side)))
                + (NO_DATA[rules.no_data] if c.no_data else ""),
                detail=c.detail,
                no_data=c.no_data,
                entries=explained,
            )
        )
    return Explanation(
        unit_code=unit_code,
        unit_name=names.get(unit_code, unit_code),
        period=period.id,
        as_of=as_of,
        total=score.total,
        max_total=score.max_total,
        grade=score.grade,
        override=score.override,
        components=components,
    )


def _in_engine_order(
    frozen: list[engine.ComponentScore], live: list[engine.ComponentScore]
) -> list[engine.ComponentScore]:
    """Frozen components with each detail's keys in the order the engine gives them (a live
    score row keeps them in jsonb's order; explain shows the engine's)."""
    order = {c.key: list(c.detail) for c in live}
    return [
        replace(
            c,
            detail={
                **{k: c.detail[k] for k in order.get(c.key, []) if k in c.detail},
                **c.detail,
            },
        )
        for c in frozen
    ]


def _hotline_reason(event_type: str, raw: dict[str, Any]) -> str:
    """Why an order counts against the unit's rates (`hotline_against` returns only those)."""
    data = parse_data(event_type, raw)  # facts were checked against the catalogue when consumed
    match data:
        case WorkOrderResponded():
            return f"工单{data.order_no}未在签收时限内签收"
        case WorkOrderResponseExpired():
            return f"工单{data.order_no}签收时限（{data.limit}）届满未签收"
        case WorkOrderVisited(resolved=False):
            return f"工单{data.order_no}回访未解决"
        case WorkOrderVisited():
            return f"工单{data.order_no}回访不满意"
        case WorkOrderClosed():
            return f"工单{data.order_no}超过办理期限办结"
        case WorkOrderOverdue():
            return f"工单{data.order_no}超过办理期限{data.working_days_over}个工作日未办结"
        case WorkOrderVisitOverturned():
            return (
                f"工单{data.order_no}的不满意评价经申诉改判，不计入满意率"
                f"（申诉{data.appeal_id}：{data.reason}）"
            )
    raise ValueError(f"{event_type} does not count against a unit's rates")


async def rankings(
    session: AsyncSession, programme: str, period: Period, group: str | None
) -> Ranking:
    """One ranking group of the rule set in force at the period's end (office default groups:
    市直部门, 区县, 中央驻市单位及公用企业): tied totals share a rank, praise and naming take
    whole tie groups, naming only below the group's median by more than the margin
    (`ranks.py`; docs/RULES.md: "Units are ranked within groups …")."""
    book = await ledger.rule_book(session, programme)
    _, rules = book.at(period.end)
    chosen = _ranking_group(rules, group)
    current, names, flagged = await _group_scores(session, book, programme, period, rules, chosen)
    previous_period = period.previous()
    previous = (
        await scores_of(
            session, book, str(previous_period.start.year), list(current), previous_period
        )
        if str(previous_period.start.year) == programme
        else {}
    )
    placed = placings(
        {code: score.total for code, (_k, score, _v) in current.items()},
        rules.top_n,
        rules.bottom_n,
        rules.naming_margin,
    )
    previous_rank = competition_ranks(
        {code: score.total for code, (_k, score, _v) in previous.items()}
    )
    last_year = await year_earlier(session, programme, period, set(current))
    items = []
    for code, (unit_kind, score, _v) in current.items():
        place, before = placed[code], previous_rank.get(code)
        year_ago = last_year.get(code)
        items.append(
            RankingItem(
                rank=place.rank,
                unit_code=code,
                unit_name=names.get(code, code),
                unit_kind=unit_kind,
                total=score.total,
                max_total=score.max_total,
                grade=score.grade,
                previous_rank=before,
                previous_total=previous[code][1].total if code in previous else None,
                rank_change=(before - place.rank) if before else None,
                previous_year_rank=year_ago[0] if year_ago else None,
                previous_year_total=year_ago[1] if year_ago else None,
                top=place.top,
                bottom=place.bottom,
                survey_accountability=code in flagged,
            )
        )
    items.sort(key=lambda item: (item.rank, item.unit_code))
    return Ranking(
        programme=programme,
        period=period.id,
        previous_period=previous_period.id,
        previous_year_period=year_earlier_period(period).id,
        items=items,
        **_group_fields(rules, chosen),
    )


async def _group_scores(
    session: AsyncSession,
    book: ledger.RuleBook,
    programme: str,
    period: Period,
    rules: RuleSetBody,
    chosen: RankingGroup,
) -> tuple[Scored, dict[str, str], set[str]]:
    """(scores, unit names, units flagged by the survey) of a ranking group's units for a
    period: as frozen at closing if the programme is closed (docs/RULES.md: "A closed
    programme's scores are frozen …"), else live."""
    frozen = await ProgrammeRepository(session).results(programme, period.id)
    if frozen:
        members = [r for r in frozen if r.ranking_group == chosen.key]
        return (
            {r.unit_code: frozen_score(r) for r in members},
            {r.unit_code: r.unit_name for r in frozen},
            {r.unit_code for r in members if r.survey_accountability},
        )
    current = await ledger.compute_scores(
        session, book, programme, await _units_of(session, chosen), period
    )
    names = await ScoreRepository(session).unit_names()
    return current, names, await survey_accountability(session, programme, period, rules)


def previous_programme(programme: str) -> str | None:
    """The programme one year earlier: a code is its year or starts with it (2027 → 2026,
    2027-pilot → 2026-pilot; rule_set.service.year_start)."""
    year = programme[:4]
    return f"{int(year) - 1}{programme[4:]}" if ascii_number(year) else None


def year_earlier_period(period: Period) -> Period:
    """The same period one year earlier (2027-Q3 → 2026-Q3, 2027 → 2026, 2027-10 → 2026-10)."""
    return period_containing(date(period.start.year - 1, period.start.month, 1), period.kind)


async def year_earlier(
    session: AsyncSession, programme: str, period: Period, units: set[str]
) -> dict[str, tuple[int, float]]:
    """unit → (rank in its ranking group, total) in the same period one year earlier, in the
    programme that starts a year earlier: its final results if it was closed, else its live
    scores; nothing when evaluation has no such programme (docs/RULES.md: "Rankings show last
    year's rank and total for the same period …")."""
    earlier_programme = previous_programme(programme)
    if earlier_programme is None:
        return {}
    earlier = year_earlier_period(period)
    repo = ProgrammeRepository(session)
    frozen = await repo.results(earlier_programme, earlier.id)
    if frozen:
        return {
            r.unit_code: (r.rank, r.total)
            for r in frozen
            if r.unit_code in units and r.rank is not None
        }
    if not await repo.known(earlier_programme):
        return {}
    book = await ledger.rule_book(session, earlier_programme)
    _, rules = book.at(earlier.end)
    kinds = await LedgerRepository(session).unit_kinds()
    computed = await ledger.compute_scores(
        session, book, earlier_programme, kinds, earlier, kinds=kinds
    )
    found: dict[str, tuple[int, float]] = {}
    for group in rules.ranking_groups:
        totals = {
            code: score.total
            for code, (kind, score, _v) in computed.items()
            if kind in group.unit_kinds
        }
        for code, rank in competition_ranks(totals).items():
            if code in units:
                found[code] = (rank, totals[code])
    return found


def _group_fields(rules: RuleSetBody, chosen: RankingGroup) -> dict[str, Any]:
    """What a ranking and the hotline board say of the group and the rule set's naming."""
    return {
        "group": chosen.key,
        "group_name": chosen.name,
        "groups": [
            RankingGroupOut(key=g.key, name=g.name, unit_kinds=list(g.unit_kinds))
            for g in rules.ranking_groups
        ],
        "top_n": rules.top_n,
        "bottom_n": rules.bottom_n,
        "naming_margin": rules.naming_margin,
    }


def _ranking_group(rules: RuleSetBody, group: str | None) -> RankingGroup:
    """The rule set's ranking group `group` (None: its first)."""
    chosen = next((g for g in rules.ranking_groups if group is None or g.key == group), None)
    if chosen is None:
        known = "、".join(f"{g.key}（{g.name}）" for g in rules.ranking_groups)
        raise ValidationFailed(f"排名分组 {group} 不存在，可选：{known}")
    return chosen


async def _units_of(session: AsyncSession, group: RankingGroup) -> list[str]:
    kinds = await LedgerRepository(session).unit_kinds()
    return [code for code, kind in kinds.items() if kind in group.unit_kinds]


async def hotline_board(
    session: AsyncSession, programme: str, period: Period, group: str | None
) -> HotlineBoard:
    """12345 红黑榜 (issue #26) of one ranking group: the units any order counts for in the
    period, by the hotline component's share of its weight (the rates as the score counted
    them: shared.hotline_rates). Red: the top N; black: the bottom N more than the naming margin
    (percentage points) below the median — whole tie groups, as the rankings (docs/RULES.md:
    "12345 红黑榜: …")."""
    book = await ledger.rule_book(session, programme)
    _, rules = book.at(period.end)
    chosen = _ranking_group(rules, group)
    current, names, _flagged = await _group_scores(session, book, programme, period, rules, chosen)
    hotline = {
        code: c
        for code, (_kind, score, _v) in current.items()
        for c in score.components
        if c.key == "hotline" and not c.no_data and c.max > 0
    }
    shares = {code: round(c.points / c.max * 100, 2) for code, c in hotline.items()}
    placed = placings(shares, rules.top_n, rules.bottom_n, rules.naming_margin)
    escalated = await ScoreRepository(session).escalated(period.start, period.end)
    items = sorted(
        (
            HotlineBoardItem(
                rank=placed[code].rank,
                unit_code=code,
                unit_name=names.get(code, code),
                score=shares[code],
                orders=int(c.detail.get("orders") or 0),
                response_rate=c.detail.get("response_rate"),
                resolution_rate=c.detail.get("resolution_rate"),
                satisfaction_rate=c.detail.get("satisfaction_rate"),
                on_time_closing_rate=c.detail.get("on_time_closing_rate"),
                red=placed[code].top,
                black=placed[code].bottom,
                escalated=escalated.get(code, 0),
            )
            for code, c in hotline.items()
        ),
        key=lambda item: (item.rank, item.unit_code),
    )
    return HotlineBoard(
        programme=programme,
        period=period.id,
        items=items,
        **_group_fields(rules, chosen),
    )


async def survey_accountability(
    session: AsyncSession, programme: str, period: Period, rules: RuleSetBody
) -> set[str]:
    """Departments in the survey's bottom N in two consecutive half-years up to this period
    (seed 002_c95ffdd180ea7e81.txt: "连续两次处于后五位"; docs/RULES.md: "A department in the
    bottom five of the enterprise survey (万企评机关) twice in a row …")."""
    rows = await ScoreRepository(session).survey_results()
    by_half: dict[str, list[tuple[float, str]]] = {}
    for half, unit, score in rows:
        if parse_period(half).end <= period.end:
            by_half.setdefault(half, []).append((score, unit))
    halves = sorted(by_half, key=lambda h: parse_period(h).start)
    flagged: set[str] = set()
    for earlier, later in pairwise(halves):
        if parse_period(later).previous().id != earlier:
            continue
        # One rule with the published survey ranking's decision items (issue #27): ties at the
        # edge count whole, and a half-year ranking N or fewer has no bottom N.
        flagged |= survey_ranking.repeat_bottom(
            {u: s for s, u in by_half[earlier]},
            {u: s for s, u in by_half[later]},
            rules.survey_bottom_n,
        )
    return flagged


def ranking_xlsx(ranking: Ranking) -> bytes:
    """The ranking as one sheet, the way the office circulates it (blocking: run in a thread)."""
    return rankings_xlsx([ranking])


def rankings_xlsx(rankings: list[Ranking]) -> bytes:
    """One sheet per ranking (the year-end results list: one per ranking group), values only —
    no formulas (blocking: run in a thread)."""
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for ranking in rankings:
        name = re.sub(r"[\[\]:*?/\\]", "", ranking.group_name)[:31] or ranking.group
        _ranking_sheet(book, ranking, "排名" if len(rankings) == 1 else name)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ranking_sheet(book: Any, ranking: Ranking, title_text: str) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = book.create_sheet(title_text)
    title = f"{ranking.programme}年营商环境评价{ranking.group_name}排名（{ranking.period}）"
    append_row(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=11)
    header = [
        "名次",
        "单位代码",
        "单位名称",
        "得分",
        "满分",
        "等次",
        "上期名次",
        "名次变化",
        "备注",
        "去年同期名次",
        "去年同期得分",
    ]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for item in ranking.items:
        notes = []
        if item.top:
            notes.append("通报表扬")
        if item.bottom:
            notes.append("通报批评")
        if item.survey_accountability:
            notes.append("万企评机关连续末位，启动问责")
        append_row(
            sheet,
            [
                item.rank,
                item.unit_code,
                item.unit_name,
                round(item.total, 2),
                item.max_total,
                item.grade,
                item.previous_rank,
                item.rank_change,
                "；".join(notes),
                item.previous_year_rank,
                None if item.previous_year_total is None else round(item.previous_year_total, 2),
            ],
        )
    widths = (6, 14, 34, 8, 8, 8, 10, 10, 30, 12, 12)
    for column, width in zip("ABCDEFGHIJK", widths, strict=True):
        sheet.column_dimensions[column].width = width
