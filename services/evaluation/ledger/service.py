"""Applying facts and keeping live scores (the incremental path), and rebuilding everything from
facts (the full recompute). Both go through `engine.effects` and `engine.score_unit`, so they
agree by construction except for the bulk SQL of hotline counters, which the property test pins."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.ledger import engine, repeats
from services.evaluation.ledger.repository import HotlineWindow, LedgerRepository
from services.evaluation.programme.repository import ProgrammeRepository
from services.evaluation.rule_set.repository import RuleSetRepository
from services.evaluation.rule_set.schemas import RuleSetBody, default_rule_set
from shared.errors import Conflict
from shared.events import (
    EVENTS,
    OFFICE_INPUTS,
    EventData,
    EventEnvelope,
    ExternalRankRecorded,
    MilestoneRef,
    ProblemClosed,
    ProblemOverdue,
    SupervisionEscalated,
    WorkOrderFacts,
    parse_data,
)
from shared.models import (
    Fact,
    RuleSet,
    RuleSetStatus,
)
from shared.periods import (
    Period,
    business_day,
    parse_period,
    period_containing,
    periods_containing,
    today,
)
from shared.validation import ascii_number


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

    def hotline_windows(self) -> list[HotlineWindow]:
        """The days each version is in force, with its hotline options (for the bulk SQL)."""
        starts = sorted({date.min, *(effective for effective, _, _ in self.versions)})
        return [
            HotlineWindow(start, *engine.hotline_options(self.at(start)[1])) for start in starts
        ]


async def rule_book(session: AsyncSession, programme: str) -> RuleBook:
    rows = await RuleSetRepository(session).in_force(programme)
    return RuleBook(
        [
            (r.effective_from or date.min, r.version, RuleSetBody.model_validate(r.body))
            for r in rows
        ]
    )


def fact_day(occurred_at: datetime, data: EventData) -> date:
    """The day a fact counts on: a work order's receipt day (an order counts in the period it
    was received, whenever it is signed, visited or closed: shared.hotline_rates), any other
    fact's own business day."""
    return data.received_on if isinstance(data, WorkOrderFacts) else business_day(occurred_at)


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


async def park(session: AsyncSession, event: EventEnvelope, reason: str) -> None:
    """Keep an event that cannot be applied, with why, for the office (never dropped)."""
    await LedgerRepository(session).park(
        event.id, event.type, event.model_dump(mode="json"), reason
    )


def closed_reason(programme: str) -> str:
    return f"改革工程 {programme} 已结束，成绩已定格"


async def ensure_open(session: AsyncSession, programme: str, doing: str) -> None:
    """409 for anything that would change a closed programme's scores (recompute, rule-set
    edits, office inputs, replays): its results are frozen (issue #21; docs/RULES.md: "A closed
    programme's scores are frozen …"). Holds the programme's lock (shared) to the end of the
    transaction, so it cannot be closed half-way through the change."""
    repo = ProgrammeRepository(session)
    await repo.lock([programme])
    if await repo.closed([programme]):
        raise Conflict(f"{closed_reason(programme)}，不能{doing}")


async def park_closed(
    session: AsyncSession, typed: list[tuple[EventEnvelope, EventData]]
) -> list[tuple[EventEnvelope, EventData]]:
    """Facts of a closed programme that still arrive (a late 12345 order of its year, an input
    dated in it) are kept, not applied: parked with the reason, the frozen results unchanged
    (docs/RULES.md: "Facts of a closed programme that still arrive are parked …"). Takes the
    programmes' locks (shared) before any unit lock; returns the facts to apply."""
    programmes = {e.id: programme_of(e.programme, fact_day(e.occurred_at, d)) for e, d in typed}
    repo = ProgrammeRepository(session)
    await repo.lock(programmes.values())
    closed = await repo.closed(programmes.values())
    applicable = []
    for event, data in typed:
        if programmes[event.id] in closed:
            await park(session, event, closed_reason(programmes[event.id]))
        else:
            applicable.append((event, data))
    return applicable


@dataclass
class Touched:
    """Whose scores a fact moves, and in which periods."""

    units: set[str] = field(default_factory=set)
    days: set[date] = field(default_factory=set)
    # An external rank applies to every period of the year ending on or after it was recorded.
    from_day_on: date | None = None
    # Tasks whose milestone events moved: every unit they have named is refreshed too.
    tasks: set[int] = field(default_factory=set)

    def add(self, other: Touched) -> None:
        self.units |= other.units
        self.days |= other.days
        self.tasks |= other.tasks
        if other.from_day_on is not None:
            self.from_day_on = min(other.from_day_on, self.from_day_on or date.max)

    def periods(self) -> list[Period]:
        found = {p.id: p for day in self.days for p in periods_containing(day)}
        if self.from_day_on is not None:
            # Periods that have begun: a later one has no live score to keep (it is computed
            # when asked for), so in daily use this is the few periods containing today.
            year, now = self.from_day_on.year, today()
            for month in range(1, 13):
                for kind in ("month", "quarter", "half", "year"):
                    period = period_containing(date(year, month, 1), kind)
                    if period.end >= self.from_day_on and period.start <= now:
                        found[period.id] = period
        return list(found.values())


@dataclass
class HotlineBatch:
    """The 12345 side of a batch, read and written set-wise: the link facts of its orders (read
    once: whether an order is a repeat) and its counter changes, summed per programme, unit and
    day and written in one statement (`LedgerRepository.add_counters`) before the refresh."""

    links: repeats.Links
    sums: dict[tuple[str, str, date], dict[str, int]] = field(default_factory=dict)

    def add(self, programme: str, day: date, effect: engine.CounterEffect) -> None:
        row = self.sums.setdefault((programme, effect.unit_code, day), {})
        row[effect.name] = row.get(effect.name, 0) + int(effect.value)


async def apply_effects(
    session: AsyncSession,
    book: RuleBook,
    event: EventEnvelope,
    data: EventData,
    *,
    hotline: HotlineBatch | None,
    pending: Collection[uuid.UUID] = (),
) -> Touched:
    """Write what one fact (`data`: its data as the catalogue's model) does; returns whose
    scores it moves and in which periods. `hotline`: where a 12345 fact's counters go (None in
    the full recompute, which sums them from the facts in SQL). `pending`: the facts of its
    batch applied after it (a repeat request's link sees only those before: ledger.repeats)."""
    repo = LedgerRepository(session)
    day = fact_day(event.occurred_at, data)
    programme = programme_of(event.programme, day)
    _version, rules = book.at(day)
    touched = Touched(days={day})
    if event.unit_code:
        touched.units.add(event.unit_code)
    if isinstance(data, ExternalRankRecorded):
        previous = await repo.external_rank_lead(programme, data.year, data.indicator)
        touched.units |= {previous} if previous else set()
        touched.from_day_on = day
    if isinstance(data, MilestoneRef):
        # A milestone's state (done, lagging) carries into every later period of the year: the
        # delivery rate of the lead and responsible units in each one ending after this day may
        # move.
        touched.units |= set(engine.task_units(event.unit_code or "", data))
        touched.tasks.add(data.task_number)
        touched.from_day_on = day
    await repo.store_office_input(programme, event.id, event.unit_code, data)
    counts = True  # whether the fact's own counters count (not a repeat's, not a link's)
    if hotline is not None and isinstance(data, WorkOrderFacts):
        counts, moved = repeats.apply(hotline.links, lambda d: book.at(d)[1], event, data, pending)
        for moved_day, change in moved:
            hotline.add(programme, moved_day, change)
            touched.units.add(change.unit_code)
            touched.days.add(moved_day)
    for effect in engine.effects(event.unit_code or "", data, rules):
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
            if hotline is None or not counts:
                continue
            hotline.add(programme, day, effect)
        else:
            # A newer version may move the rating to another day: refresh the old day's periods.
            previous_day = await repo.latest_rating_day(
                programme, effect.window, effect.task_number, effect.rated_unit
            )
            if previous_day is not None:
                touched.days.add(previous_day)
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
        touched.units.add(
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
    daily: engine.DailyInputs | None = None,
    kinds: dict[str, str] | None = None,
) -> dict[str, tuple[str, engine.UnitScore, int]]:
    """unit code → (kind, score, rule-set version) for one period as of a date (default: end).

    `daily` (inputs already loaded for a range covering the period) lets a caller score many
    periods from one load, as the full recompute does."""
    repo = LedgerRepository(session)
    kinds = kinds if kinds is not None else await repo.unit_kinds(units)
    codes = sorted(c for c in units if c in kinds)
    if not codes:
        return {}
    end = min(period.end, as_of) if as_of else period.end
    version, rules = book.at(end)
    if daily is None:
        daily = await repo.daily_inputs(programme, codes, period.start, end)
    inputs = daily.for_period(codes, period.start, end, rules)
    return {
        code: (kinds[code], engine.score_unit(rules, kinds[code], inputs[code]), version)
        for code in codes
    }


def components_json(score: engine.UnitScore) -> list[dict[str, object]]:
    items: list[dict[str, object]] = [
        {
            "key": c.key,
            "name": c.name,
            "points": c.points,
            "max": c.max,
            "detail": c.detail,
            "no_data": c.no_data,
        }
        for c in score.components
    ]
    if score.override:
        items.append(
            {"key": "override", "name": score.override, "points": 0, "max": 0, "detail": {}}
        )
    return items


def score_rows(
    programme: str, period: Period, computed: dict[str, tuple[str, engine.UnitScore, int]]
) -> list[dict[str, object]]:
    return [
        {
            "programme": programme,
            "period": period.id,
            "unit_code": code,
            "unit_kind": kind,
            "total": score.total,
            "max_total": score.max_total,
            "grade": score.grade,
            "components": components_json(score),
            "rule_set_version": version,
        }
        for code, (kind, score, version) in computed.items()
    ]


async def refresh_scores(
    session: AsyncSession,
    book: RuleBook,
    programme: str,
    units: Iterable[str],
    periods: Iterable[Period],
) -> list[ScoreChange]:
    repo = LedgerRepository(session)
    unit_list = sorted(set(units))
    period_list = sorted(periods, key=lambda p: p.id)
    if not unit_list or not period_list:
        return []
    kinds = await repo.unit_kinds(unit_list)
    # One load covering every period, then each period is summed in memory.
    daily = await repo.daily_inputs(
        programme, unit_list, min(p.start for p in period_list), max(p.end for p in period_list)
    )
    changes: list[ScoreChange] = []
    rows: list[dict[str, object]] = []
    for period in period_list:
        computed = await compute_scores(
            session, book, programme, unit_list, period, daily=daily, kinds=kinds
        )
        rows.extend(score_rows(programme, period, computed))
        changes.extend(
            ScoreChange(programme, period.id, code, score.total, score.grade)
            for code, (_, score, _v) in computed.items()
        )
    await repo.upsert_scores(rows)
    return changes


def named_units(unit_code: str | None, data: EventData) -> set[str]:
    """Every unit an event names (each must exist before it is applied)."""
    named = {unit_code} if unit_code else set()
    match data:
        case WorkOrderFacts() if data.district_code:
            named.add(data.district_code)
        case MilestoneRef():
            named |= set(engine.task_units(unit_code or "", data)) - {""}
        case SupervisionEscalated() | ProblemOverdue() | ProblemClosed():
            named.add(data.unit)
    return named


def typed_data(event: EventEnvelope) -> EventData | str:
    """The event's data as the catalogue's model, or why it is not (for the parked list)."""
    if event.type not in EVENTS and event.type not in OFFICE_INPUTS:
        return f"事件类型 {event.type} 不由评估服务处理"
    try:
        return parse_data(event.type, event.data)
    except ValidationError as exc:
        problems = "；".join(
            f"{'.'.join(map(str, e['loc'])) or '（整体）'}：{e['msg']}" for e in exc.errors()
        )
        return f"事件数据不符合事件目录（{event.type}）：{problems}"
    except ValueError as exc:
        return str(exc)


async def consume(session: AsyncSession, event: EventEnvelope) -> list[ScoreChange]:
    """Apply one new fact (its inbox claim is already made in this transaction)."""
    return await consume_many(session, [event])


async def consume_many(session: AsyncSession, events: list[EventEnvelope]) -> list[ScoreChange]:
    """Apply new facts (their inbox claims are made in this transaction) and refresh each
    affected unit's scores once, however many of the facts touched it. An event whose data
    does not fit the catalogue, or that names an unknown unit, is parked with the reason."""
    repo = LedgerRepository(session)
    typed: list[tuple[EventEnvelope, EventData]] = []
    for event in events:
        data = typed_data(event)
        if isinstance(data, str):
            await park(session, event, data)
        else:
            typed.append((event, data))
    typed = await park_closed(session, typed)
    named = {e.id: named_units(e.unit_code, d) for e, d in typed}
    # A repeat request's link moves its order's facts' units.
    linked = {
        e.id: d.order_no for e, d in typed if repeats.is_link(d) and isinstance(d, WorkOrderFacts)
    }
    moved = await repeats.units_by_order(session, linked.values())
    for event_id, order_no in linked.items():
        named[event_id] |= moved.get(order_no, set())
    named_all = set().union(*named.values())
    # Serialise per unit, and per task for milestone events (whose refresh reaches every unit
    # the task has named), always in the same order (no deadlocks): a score is computed from
    # what this transaction sees, so concurrent events for one unit must not use a partial view.
    tasks = {
        f"{programme_of(e.programme, fact_day(e.occurred_at, d))}:{d.task_number}"
        for e, d in typed
        if isinstance(d, MilestoneRef)
    }
    await repo.lock(
        [f"evaluation.unit:{code}" for code in sorted(named_all)]
        + [f"evaluation.task:{key}" for key in sorted(tasks)]
    )
    known = set(await repo.unit_kinds(named_all))
    applicable = []
    for event, data in typed:
        unknown = sorted(named[event.id] - known)
        if not event.unit_code or unknown:
            await park(session, event, f"未知单位：{'、'.join(unknown) or '（空）'}")
        else:
            applicable.append((event, data))
    # Read now, under the units' locks and after the parking: what the batch applies on.
    orders = [d.order_no for _, d in applicable if isinstance(d, WorkOrderFacts)]
    hotline = HotlineBatch(await repeats.links_of(session, orders, linked.values()))
    books: dict[str, RuleBook] = {}
    pending: dict[str, Touched] = {}
    later = {e.id for e, _ in applicable}  # the batch's facts not applied yet
    for event, data in applicable:
        later.discard(event.id)
        programme = programme_of(event.programme, fact_day(event.occurred_at, data))
        if programme not in books:
            books[programme] = await rule_book(session, programme)
        touched = await apply_effects(
            session, books[programme], event, data, hotline=hotline, pending=later
        )
        pending.setdefault(programme, Touched()).add(touched)
    await repo.add_counters(hotline.sums)
    changes: list[ScoreChange] = []
    for programme, touched in pending.items():
        changes += await refresh_touched(session, books[programme], programme, touched)
    return changes


async def refresh_touched(
    session: AsyncSession, book: RuleBook, programme: str, touched: Touched
) -> list[ScoreChange]:
    """Refresh the live scores facts moved: their units (and every unit of their tasks) in their
    periods."""
    units = touched.units | await LedgerRepository(session).units_of_tasks(programme, touched.tasks)
    return await refresh_scores(session, book, programme, units, touched.periods())


async def recompute(
    session: AsyncSession, programme: str, progress: Callable[[str, int, int], None] | None = None
) -> int:
    """Rebuild ledger, counters, ratings and scores of a programme from its facts alone (409
    once the programme is closed: its results are frozen)."""
    await ensure_open(session, programme, "重新计算成绩")
    repo = LedgerRepository(session)
    book = await rule_book(session, programme)
    parked = await repo.parked_event_ids()
    await repo.clear_derived(programme)
    await repo.bulk_hotline_counters(programme, book.hotline_windows())
    facts = [f for f in await repo.non_hotline_facts(programme) if f.event_id not in parked]
    for index, fact in enumerate(facts, start=1):
        envelope = envelope_of(fact)
        data = parse_data(envelope.type, envelope.data)  # facts were checked when consumed
        await apply_effects(session, book, envelope, data, hotline=None)
        if progress and index % 200 == 0:
            progress("facts", index, len(facts))
    kinds = await repo.unit_kinds()
    year = int(programme[:4]) if ascii_number(programme[:4]) else date.today().year
    periods = [parse_period(f"{year}")] + [
        period_containing(date(year, month, 1), kind)
        for kind in ("half", "quarter", "month")
        for month in range(1, 13)
    ]
    # Live scores only for periods that have begun, as the incremental path keeps them (a later
    # one is computed when asked for): a row written ahead would go stale.
    now = today()
    unique = [p for p in {p.id: p for p in periods}.values() if p.start <= now]
    # One load for the whole year, then every period is summed in memory.
    daily = await repo.daily_inputs(programme, sorted(kinds), date(year, 1, 1), date(year, 12, 31))
    rows: list[dict[str, object]] = []
    for index, period in enumerate(unique, start=1):
        computed = await compute_scores(
            session, book, programme, kinds, period, daily=daily, kinds=kinds
        )
        rows.extend(score_rows(programme, period, computed))
        if progress:
            progress("scores", index, len(unique))
    for chunk in range(0, len(rows), 1000):
        await repo.upsert_scores(rows[chunk : chunk + 1000])
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
    """A programme without rules gets the default set, published from its first day. Two
    first requests at once store it once (the other finds it)."""
    repo = RuleSetRepository(session)
    existing = await repo.latest(programme)
    if existing is not None:
        return existing
    await repo.add_once(
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
    stored = await repo.latest(programme)
    assert stored is not None  # inserted now, or by the concurrent request
    return stored
