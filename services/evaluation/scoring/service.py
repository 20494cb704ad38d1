"""Applying facts and keeping live scores (the incremental path), and rebuilding everything from
facts (the full recompute). Both go through `engine.effects` and `engine.score_unit`, so they
agree by construction except for the bulk SQL of hotline counters, which the property test pins."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.rule_set.schemas import RuleSetBody, default_rule_set
from services.evaluation.scoring import engine
from services.evaluation.scoring.periods import (
    Period,
    business_day,
    parse_period,
    period_containing,
    periods_containing,
)
from services.evaluation.scoring.repository import ScoringRepository
from shared.events import EventEnvelope
from shared.models import (
    ExternalRank,
    Fact,
    Inspection,
    InspectionMode,
    ParkedEvent,
    RuleSet,
    RuleSetStatus,
    SurveyResult,
)


@dataclass
class RuleBook:
    """The programme's published rule sets, each in force from its `effective_from`."""

    versions: list[tuple[date, int, RuleSetBody]] = field(default_factory=list)

    def at(self, day: date) -> tuple[int, RuleSetBody]:
        chosen = (0, default_rule_set())
        for effective_from, version, body in self.versions:
            if effective_from <= day:
                chosen = (version, body)
        return chosen

    def latest(self) -> tuple[int, RuleSetBody]:
        return self.at(date.max)


async def rule_book(session: AsyncSession, programme: str) -> RuleBook:
    rows = await ScoringRepository(session).published_rule_sets(programme)
    return RuleBook(
        [
            (r.effective_from or date.min, r.version, RuleSetBody.model_validate(r.body))
            for r in rows
        ]
    )


def programme_of(envelope_programme: str | None, day: date) -> str:
    """Events from the hotline carry no programme: the programme is the year's (code = year)."""
    return envelope_programme or str(day.year)


@dataclass(frozen=True, slots=True)
class ScoreChange:
    programme: str
    period: str
    unit_code: str
    total: float
    grade: str


async def _park(session: AsyncSession, event: EventEnvelope, reason: str) -> None:
    await session.execute(
        insert(ParkedEvent)
        .values(
            event_id=event.id,
            type=event.type,
            envelope=event.model_dump(mode="json"),
            reason=reason,
        )
        .on_conflict_do_nothing(index_elements=[ParkedEvent.event_id])
    )


async def _store_office_input(session: AsyncSession, programme: str, event: EventEnvelope) -> None:
    """Inspections, surveys and external ranks keep a row of their own (for lists and the
    override); rebuilding it from the fact keeps recompute a pure replay."""
    data = event.data
    if event.type == "inspection.recorded":
        await session.execute(
            insert(Inspection)
            .values(
                programme=programme,
                unit_code=event.unit_code,
                inspected_on=date.fromisoformat(str(data["inspected_on"])),
                mode=InspectionMode(str(data.get("mode", "scheduled"))),
                finding=str(data.get("finding", "")),
                deduction=float(data["deduction"]),
                event_id=event.id,
                recorded_by=str(data.get("recorded_by", "")),
            )
            .on_conflict_do_nothing(index_elements=[Inspection.event_id])
        )
    elif event.type == "survey.result":
        stmt = insert(SurveyResult).values(
            programme=programme,
            period=str(data["period"]),
            unit_code=event.unit_code,
            score=float(data["score"]),
            respondents=int(data.get("respondents", 0)),
            event_id=event.id,
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["programme", "period", "unit_code"],
                set_={
                    "score": stmt.excluded.score,
                    "respondents": stmt.excluded.respondents,
                    "event_id": stmt.excluded.event_id,
                },
            )
        )
    elif event.type == "external_rank.recorded":
        stmt2 = insert(ExternalRank).values(
            programme=programme,
            year=int(data["year"]),
            indicator=str(data["indicator"]),
            lead_unit=event.unit_code,
            national_rank=data.get("national_rank"),
            provincial_rank=data.get("provincial_rank"),
            event_id=event.id,
        )
        await session.execute(
            stmt2.on_conflict_do_update(
                index_elements=["programme", "year", "indicator"],
                set_={
                    "lead_unit": stmt2.excluded.lead_unit,
                    "national_rank": stmt2.excluded.national_rank,
                    "provincial_rank": stmt2.excluded.provincial_rank,
                    "event_id": stmt2.excluded.event_id,
                },
            )
        )


async def apply_effects(
    session: AsyncSession, book: RuleBook, event: EventEnvelope, *, counters: bool = True
) -> set[str]:
    """Write what one fact does; returns the units whose scores it moves."""
    repo = ScoringRepository(session)
    day = business_day(event.occurred_at)
    programme = programme_of(event.programme, day)
    _version, rules = book.at(day)
    await _store_office_input(session, programme, event)
    touched = {event.unit_code} if event.unit_code else set()
    for effect in engine.effects(event.type, event.unit_code or "", event.data, rules):
        if isinstance(effect, engine.LedgerEffect):
            await repo.add_entry(
                programme=programme,
                unit_code=effect.unit_code,
                day=day,
                component=effect.component,
                rule=effect.rule,
                points=effect.points,
                event_id=event.id,
                event_type=event.type,
            )
        elif isinstance(effect, engine.CounterEffect):
            if not counters:
                continue
            await repo.add_counter(
                programme=programme,
                unit_code=effect.unit_code,
                day=day,
                name=effect.name,
                value=effect.value,
            )
        else:
            await repo.put_rating(
                programme=programme,
                day=day,
                event_id=event.id,
                window=effect.window,
                task_number=effect.task_number,
                rated_unit=effect.rated_unit,
                rater_unit=effect.rater_unit,
                score=effect.score,
                scale_max=effect.scale_max,
                version=effect.version,
            )
        touched.add(
            effect.unit_code if not isinstance(effect, engine.RatingEffect) else effect.rated_unit
        )
    return touched


async def compute_scores(
    session: AsyncSession,
    book: RuleBook,
    programme: str,
    units: Iterable[str],
    period: Period,
    *,
    as_of: date | None = None,
) -> dict[str, tuple[str, engine.UnitScore, int]]:
    """unit code → (kind, score, rule-set version) for one period as of a date (default: end)."""
    repo = ScoringRepository(session)
    kinds = await repo.unit_kinds(units)
    codes = sorted(kinds)
    if not codes:
        return {}
    end = min(period.end, as_of) if as_of else period.end
    version, rules = book.at(end)
    inputs = await repo.inputs(programme, codes, period.start, end)
    full = await repo.external_full_marks(
        programme,
        period.start.year - 1,
        end,
        rules.external_rank.national_top,
        rules.external_rank.provincial_top,
    )
    result = {}
    for code in codes:
        unit_inputs = inputs[code]
        unit_inputs.external_full_marks = full.get(code, [])
        result[code] = (kinds[code], engine.score_unit(rules, kinds[code], unit_inputs), version)
    return result


def components_json(score: engine.UnitScore) -> list[dict[str, object]]:
    items: list[dict[str, object]] = [
        {"key": c.key, "name": c.name, "points": c.points, "max": c.max, "detail": c.detail}
        for c in score.components
    ]
    if score.override:
        items.append(
            {"key": "override", "name": score.override, "points": 0, "max": 0, "detail": {}}
        )
    return items


async def refresh_scores(
    session: AsyncSession,
    book: RuleBook,
    programme: str,
    units: Iterable[str],
    periods: Iterable[Period],
) -> list[ScoreChange]:
    repo = ScoringRepository(session)
    unit_list = list(units)
    changes: list[ScoreChange] = []
    for period in periods:
        computed = await compute_scores(session, book, programme, unit_list, period)
        for code, (kind, score, version) in computed.items():
            await repo.upsert_score(
                programme=programme,
                period=period.id,
                unit_code=code,
                unit_kind=kind,
                total=score.total,
                max_total=score.max_total,
                grade=score.grade,
                components=components_json(score),
                rule_set_version=version,
            )
            changes.append(ScoreChange(programme, period.id, code, score.total, score.grade))
    return changes


async def consume(session: AsyncSession, event: EventEnvelope) -> list[ScoreChange]:
    """Apply one new fact (its inbox claim is already made in this transaction)."""
    day = business_day(event.occurred_at)
    programme = programme_of(event.programme, day)
    repo = ScoringRepository(session)
    named = {event.unit_code} if event.unit_code else set()
    district = event.data.get("district_code")
    if isinstance(district, str) and district:
        named.add(district)
    known = await repo.unit_kinds(named)
    unknown = sorted(named - set(known))
    if not event.unit_code or unknown:
        await _park(session, event, f"未知单位：{'、'.join(unknown) or '（空）'}")
        return []
    book = await rule_book(session, programme)
    touched = await apply_effects(session, book, event)
    return await refresh_scores(session, book, programme, touched, periods_containing(day))


async def recompute(
    session: AsyncSession, programme: str, progress: Callable[[str, int, int], None] | None = None
) -> int:
    """Rebuild ledger, counters, ratings and scores of a programme from its facts alone."""
    repo = ScoringRepository(session)
    book = await rule_book(session, programme)
    parked = set(
        (
            await session.execute(
                select(ParkedEvent.event_id).where(ParkedEvent.replayed_at.is_(None))
            )
        )
        .scalars()
        .all()
    )
    await repo.clear_derived(programme)
    await repo.bulk_hotline_counters(programme)
    facts = [f for f in await repo.non_hotline_facts(programme) if f.event_id not in parked]
    for index, fact in enumerate(facts, start=1):
        await apply_effects(session, book, envelope_of(fact), counters=False)
        if progress and index % 200 == 0:
            progress("facts", index, len(facts))
    kinds = await repo.unit_kinds()
    year = int(programme[:4]) if programme[:4].isdigit() else date.today().year
    periods = [parse_period(f"{year}")] + [
        period_containing(date(year, month, 1), kind)
        for kind in ("half", "quarter", "month")
        for month in range(1, 13)
    ]
    unique = list({p.id: p for p in periods}.values())
    for index, period in enumerate(unique, start=1):
        await refresh_scores(session, book, programme, kinds, [period])
        if progress:
            progress("scores", index, len(unique))
    return len(facts)


def envelope_of(fact: Fact) -> EventEnvelope:
    return EventEnvelope(
        id=fact.event_id,
        type=fact.type,
        occurred_at=fact.occurred_at,
        programme=fact.programme,
        unit_code=fact.unit_code,
        data=fact.data,
    )


async def ensure_default_rule_set(
    session: AsyncSession, programme: str, starts_on: date, actor: str
) -> RuleSet:
    """A programme without rules gets the default set, published from its first day."""
    existing = (
        (
            await session.execute(
                select(RuleSet)
                .where(RuleSet.programme == programme)
                .order_by(RuleSet.version.desc())
            )
        )
        .scalars()
        .first()
    )
    if existing is not None:
        return existing
    rule_set = RuleSet(
        programme=programme,
        version=1,
        status=RuleSetStatus.published,
        body=default_rule_set().model_dump(mode="json"),
        note="默认评分规则（种子文件001：区县80分）",
        effective_from=starts_on,
        created_by=actor,
        published_by=actor,
        published_at=datetime.now().astimezone(),
    )
    session.add(rule_set)
    await session.flush()
    return rule_set


def new_event_id() -> uuid.UUID:
    return uuid.uuid4()
