"""Queries of the ledger: aggregates by SQL, never Python loops over fact rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import String, Table, and_, delete, exists, func, or_, select, text
from sqlalchemy.dialects.postgresql import array, insert

from services.evaluation.ledger import repeats
from services.evaluation.ledger.engine import MILESTONE_STATES, DailyInputs, MilestoneFact
from shared.clock import SHANGHAI
from shared.events import (
    EventData,
    ExternalRankRecorded,
    InspectionRecorded,
    SurveyResultRecorded,
)
from shared.models import (
    Base,
    ExternalRank,
    Fact,
    Inspection,
    InspectionMode,
    LatestRating,
    ParkedEvent,
    Score,
    ScoreEntry,
    SurveyResult,
    Unit,
    UnitCounter,
)
from shared.models.evaluation import HOTLINE_COUNTER_COLUMNS, MILESTONE_STATE_EVENTS
from shared.repository import RepositoryBase
from shared.validation import ascii_number

# The event a published "4+2" 观摩 round sends per district (shared.events.TourPublished).
TOUR_PUBLISHED = "tour.published"


@dataclass(frozen=True, slots=True)
class HotlineWindow:
    """The days from `start` to the next window's start under one rule-set version, with its
    hotline options (the windows of a rule book, in order, cover every day)."""

    start: date
    for_district: bool
    consultations: bool


def _add_counters_statement() -> Any:
    """The counter upsert, built once (`excluded` is costly to build for every batch) and
    executed with a list of rows (SQLAlchemy's batched "insertmanyvalues")."""
    stmt = insert(UnitCounter)
    return stmt.on_conflict_do_update(
        index_elements=["programme", "unit_code", "day"],
        set_={
            name: getattr(UnitCounter, name) + stmt.excluded[name]
            for name in HOTLINE_COUNTER_COLUMNS
        },
    )


ADD_COUNTERS = _add_counters_statement()


class LedgerRepository(RepositoryBase[ScoreEntry]):
    model = ScoreEntry

    async def unit_kinds(self, codes: Iterable[str] | None = None) -> dict[str, str]:
        stmt = select(Unit.code, Unit.kind).where(Unit.kind != "office", Unit.is_active)
        if codes is not None:
            stmt = stmt.where(Unit.code.in_(list(codes)))
        return {
            code: str(kind.value if hasattr(kind, "value") else kind)
            for code, kind in (await self.session.execute(stmt)).all()
        }

    # --- writes of effects -------------------------------------------------------------------
    async def add_entry(
        self,
        *,
        programme: str,
        unit_code: str,
        day: date,
        component: str,
        rule: str,
        points: float,
        event_id: uuid.UUID,
        event_type: str,
    ) -> None:
        await self.session.execute(
            insert(ScoreEntry)
            .values(
                programme=programme,
                unit_code=unit_code,
                day=day,
                component=component,
                rule=rule,
                points=points,
                event_id=event_id,
                event_type=event_type,
            )
            .on_conflict_do_nothing(index_elements=["event_id", "unit_code", "component", "rule"])
        )

    async def add_counters(self, sums: Mapping[tuple[str, str, date], Mapping[str, int]]) -> None:
        """Add hotline counter changes, (programme, unit, day) → counter → change, in one
        cached upsert for every row (a row absent so far starts at the change)."""
        rows = [
            {
                "programme": programme,
                "unit_code": unit,
                "day": day,
                **dict.fromkeys(HOTLINE_COUNTER_COLUMNS, 0),
                **changes,
            }
            for (programme, unit, day), changes in sorted(sums.items())
        ]
        for name in {n for changes in sums.values() for n in changes}:
            if name not in HOTLINE_COUNTER_COLUMNS:
                raise ValueError(f"unknown hotline counter {name!r}")
        if rows:
            await self.session.execute(ADD_COUNTERS, rows)

    async def put_rating(
        self, *, programme: str, day: date, event_id: uuid.UUID, **values: object
    ) -> None:
        stmt = insert(LatestRating).values(
            programme=programme, day=day, event_id=event_id, **values
        )
        excluded = stmt.excluded
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["programme", "window", "task_number", "rated_unit"],
                set_={
                    "score": excluded.score,
                    "scale_max": excluded.scale_max,
                    "version": excluded.version,
                    "day": excluded.day,
                    "rater_unit": excluded.rater_unit,
                    "event_id": excluded.event_id,
                },
                # The latest version wins whatever order the events arrive in.
                where=(excluded.version > LatestRating.version)
                | and_(
                    excluded.version == LatestRating.version,
                    excluded.event_id > LatestRating.event_id,
                ),
            )
        )

    async def store_office_input(
        self, programme: str, event_id: uuid.UUID, unit_code: str | None, data: EventData
    ) -> None:
        """Inspections, surveys and external ranks keep a row of their own (for lists and the
        override); rebuilding it from the fact keeps recompute a pure replay."""
        match data:
            case InspectionRecorded():
                await self.session.execute(
                    insert(Inspection)
                    .values(
                        programme=programme,
                        unit_code=unit_code,
                        inspected_on=data.inspected_on,
                        mode=InspectionMode(data.mode),
                        finding=data.finding,
                        deduction=data.deduction,
                        event_id=event_id,
                        recorded_by=data.recorded_by,
                    )
                    .on_conflict_do_nothing(index_elements=[Inspection.event_id])
                )
            case SurveyResultRecorded():
                await self._upsert(
                    SurveyResult,
                    ("programme", "period", "unit_code"),
                    programme=programme,
                    period=data.period,
                    unit_code=unit_code,
                    score=data.score,
                    respondents=data.respondents,
                    event_id=event_id,
                )
            case ExternalRankRecorded():
                await self._upsert(
                    ExternalRank,
                    ("programme", "year", "indicator"),
                    programme=programme,
                    year=data.year,
                    indicator=data.indicator,
                    lead_unit=unit_code,
                    national_rank=data.national_rank,
                    provincial_rank=data.provincial_rank,
                    event_id=event_id,
                )

    async def _upsert(self, model: type[Base], keys: tuple[str, ...], **values: object) -> None:
        """Insert a row, or update every other column of the row with the same keys."""
        stmt = insert(model).values(**values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_={k: stmt.excluded[k] for k in values if k not in keys},
            )
        )

    async def park(
        self, event_id: uuid.UUID, event_type: str, envelope: dict[str, Any], reason: str
    ) -> None:
        await self.session.execute(
            insert(ParkedEvent)
            .values(event_id=event_id, type=event_type, envelope=envelope, reason=reason)
            .on_conflict_do_nothing(index_elements=[ParkedEvent.event_id])
        )

    async def parked_event_ids(self) -> set[uuid.UUID]:
        """Events parked and not replayed: a recompute leaves them out."""
        rows = await self.session.scalars(
            select(ParkedEvent.event_id).where(ParkedEvent.replayed_at.is_(None))
        )
        return set(rows.all())

    async def external_rank_lead(self, programme: str, year: int, indicator: str) -> str | None:
        return await self.session.scalar(
            select(ExternalRank.lead_unit).where(
                ExternalRank.programme == programme,
                ExternalRank.year == year,
                ExternalRank.indicator == indicator,
            )
        )

    async def latest_rating_day(
        self, programme: str, window: str, task_number: int, rated_unit: str
    ) -> date | None:
        return await self.session.scalar(
            select(LatestRating.day).where(
                LatestRating.programme == programme,
                LatestRating.window == window,
                LatestRating.task_number == task_number,
                LatestRating.rated_unit == rated_unit,
            )
        )

    # --- aggregates --------------------------------------------------------------------------
    async def daily_inputs(
        self, programme: str, units: Sequence[str], start: date, end: date
    ) -> DailyInputs:
        """Everything scores depend on between two dates, per unit and day, in five queries;
        any period inside the range is then summed up in memory."""
        daily = DailyInputs()
        day_of_fact = func.date(func.timezone(SHANGHAI.key, Fact.occurred_at))
        ledger = await self.session.execute(
            select(
                ScoreEntry.unit_code,
                ScoreEntry.day,
                ScoreEntry.component,
                func.sum(ScoreEntry.points),
            )
            .where(
                ScoreEntry.programme == programme,
                ScoreEntry.unit_code.in_(units),
                ScoreEntry.day.between(start, end),
            )
            .group_by(ScoreEntry.unit_code, ScoreEntry.day, ScoreEntry.component)
        )
        daily.ledger = [(u, d, c, float(p)) for u, d, c, p in ledger.all()]
        columns = [getattr(UnitCounter, c) for c in HOTLINE_COUNTER_COLUMNS]
        counters = await self.session.execute(
            select(UnitCounter.unit_code, UnitCounter.day, *columns).where(
                UnitCounter.programme == programme,
                UnitCounter.unit_code.in_(units),
                UnitCounter.day.between(start, end),
            )
        )
        daily.counters = [
            (row[0], row[1], tuple(float(v) for v in row[2:])) for row in counters.all()
        ]
        ratings = await self.session.execute(
            select(
                LatestRating.rated_unit,
                LatestRating.day,
                LatestRating.score,
                LatestRating.scale_max,
            ).where(
                LatestRating.programme == programme,
                LatestRating.rated_unit.in_(units),
                LatestRating.day.between(start, end),
            )
        )
        daily.ratings = [(u, d, float(sc), float(m)) for u, d, sc, m in ratings.all()]
        surveys = await self.session.execute(
            select(SurveyResult.unit_code, SurveyResult.period, SurveyResult.score, day_of_fact)
            .join(Fact, Fact.event_id == SurveyResult.event_id)
            .where(SurveyResult.unit_code.in_(units), day_of_fact <= end)
        )
        daily.surveys = [(u, per, float(sc), d) for u, per, sc, d in surveys.all()]
        ranks = await self.session.execute(
            select(
                ExternalRank.lead_unit,
                ExternalRank.year,
                ExternalRank.indicator,
                ExternalRank.national_rank,
                ExternalRank.provincial_rank,
                day_of_fact,
            )
            .join(Fact, Fact.event_id == ExternalRank.event_id)
            .where(
                ExternalRank.programme == programme,
                ExternalRank.lead_unit.in_(units),
                day_of_fact <= end,
            )
            .order_by(ExternalRank.indicator)
        )
        daily.external = [(u, y, i, n, pr, d) for u, y, i, n, pr, d in ranks.all()]
        daily.milestones = await self.milestone_facts(programme, units, end)
        daily.tours = await self.tour_results(programme, units, start, end)
        return daily

    async def tour_results(
        self, programme: str, units: Sequence[str], start: date, end: date
    ) -> list[tuple[str, date, float]]:
        """Each district's published "4+2" 观摩 results held between two days: (district, the
        round's day, total ÷ the sheet's maximum). Read in SQL from the `tour.published` facts
        (fields of `shared.events.TourPublished`, checked when consumed); parked ones are left
        out. Nothing else keeps them, so a recompute is a plain replay."""
        day = func.date(func.timezone(SHANGHAI.key, Fact.occurred_at))
        share = Fact.data["total"].as_float() / Fact.data["max_total"].as_float()
        rows = await self.session.execute(
            select(Fact.unit_code, day, share).where(
                Fact.programme == programme,
                Fact.type == TOUR_PUBLISHED,
                Fact.unit_code.in_(units),
                day.between(start, end),
                ~exists().where(
                    ParkedEvent.event_id == Fact.event_id, ParkedEvent.replayed_at.is_(None)
                ),
            )
        )
        return [(unit, on, float(value)) for unit, on, value in rows.all()]

    async def lock(self, keys: Sequence[str]) -> None:
        """Transaction-scoped advisory locks, taken in the order given (unnest yields the array
        in order), in one round trip."""
        if keys:
            await self.session.execute(
                text(
                    "SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(CAST(:keys AS text[])) k"
                ),
                {"keys": list(keys)},
            )

    async def units_of_tasks(self, programme: str, task_numbers: set[int]) -> set[str]:
        """Every unit the tasks' milestone events have named (lead or responsible): whose
        delivery rate one more of their events can move."""
        if not task_numbers:
            return set()
        rows = await self.session.execute(
            select(Fact.unit_code, Fact.data["responsible_units"]).where(
                Fact.programme == programme,
                Fact.type.in_(MILESTONE_STATE_EVENTS),
                Fact.data["task_number"].astext.in_([str(n) for n in task_numbers]),
            )
        )
        found: set[str] = set()
        for unit, responsible in rows.all():
            found |= {unit, *responsible} - {None}
        return found

    async def milestone_facts(
        self, programme: str, units: Sequence[str], end: date
    ) -> list[MilestoneFact]:
        """The milestone events, from the programme's start to `end` (a lag announced before a
        period still counts in it), of every task the units lead or share — all of each task's
        events, so a milestone's history is the same whichever units are scored together.
        Parked events are left out."""
        if not units:
            return []
        day = func.date(func.timezone(SHANGHAI.key, Fact.occurred_at))
        task = Fact.data["task_number"].astext
        milestone_events = (Fact.programme == programme, Fact.type.in_(MILESTONE_STATE_EVENTS))
        # Two statements, not a subquery: planned together, a join with stale statistics rescans
        # the milestone events once per milestone event (measured: 107 ms instead of 1 ms).
        involved = (
            await self.session.scalars(
                select(task)
                .distinct()
                .where(
                    *milestone_events,
                    or_(
                        Fact.unit_code.in_(units),
                        Fact.data["responsible_units"].has_any(array(list(units), type_=String)),
                    ),
                )
            )
        ).all()
        if not involved:
            return []
        data = Fact.data
        rows = await self.session.execute(
            select(
                Fact.event_id,
                Fact.type,
                Fact.occurred_at,
                day,
                Fact.unit_code,
                data["task_number"].as_integer(),
                data["milestone"].as_integer(),
                func.coalesce(data["severity"].astext, ""),
                func.coalesce(data["on_time"].as_boolean(), False),
                data["responsible_units"],
            ).where(
                *milestone_events,
                day <= end,
                task.in_(involved),
                ~exists().where(
                    ParkedEvent.event_id == Fact.event_id, ParkedEvent.replayed_at.is_(None)
                ),
            )
        )
        # Read in SQL, not through the catalogue's models (a refresh reads these for every
        # event): the fields are the models' (MilestoneCompleted, MilestoneReopened,
        # MilestoneLagging), checked when the facts were consumed; a lagging event has no
        # `on_time` and the others no `severity`, hence the coalesce.
        # tests/evaluation/test_delivery_rate.py holds this reading to the models.
        return [
            MilestoneFact(
                event_id=str(event_id),
                event_type=event_type,
                occurred_at=occurred_at,
                day=on,
                task_number=task_number,
                milestone=ordinal,
                state=MILESTONE_STATES[event_type] or severity,
                on_time=on_time,
                lead_unit=unit,
                responsible_units=tuple(responsible),
            )
            for (
                event_id,
                event_type,
                occurred_at,
                on,
                unit,
                task_number,
                ordinal,
                severity,
                on_time,
                responsible,
            ) in rows.all()
        ]

    async def upsert_scores(self, rows: list[dict[str, object]]) -> None:
        if not rows:
            return
        # One cached statement, its rows sent as executemany batches: compiling a VALUES list
        # of hundreds of rows afresh for every refresh cost more than the refresh itself.
        stmt = insert(cast(Table, Score.__table__))  # Core, not the ORM's bulk bookkeeping
        keep = ("programme", "period", "unit_code")
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=list(keep),
                set_={k: stmt.excluded[k] for k in rows[0] if k not in keep}
                | {"updated_at": func.now()},
            ),
            rows,
        )

    async def clear_derived(self, programme: str) -> None:
        for model in (ScoreEntry, UnitCounter, LatestRating, Score):
            await self.session.execute(delete(model).where(model.programme == programme))

    async def bulk_hotline_counters(self, programme: str, windows: Sequence[HotlineWindow]) -> None:
        """Rebuild hotline counters from facts in one pass (mirrors engine.hotline_units and
        shared.hotline_rates.fact_counters; the property test holds the two to the same result).
        Facts count on their order's receipt day, under the rule-set version in force that day
        (`windows`: the versions' days and hotline options)."""
        year = int(programme[:4]) if ascii_number(programme[:4]) else 0
        # Only when some version counts orders for their district too does the second grouping
        # set have rows; otherwise one plain grouping does the same work at half the cost.
        both = any(w.for_district for w in windows)
        unit = "coalesce(unit_code, district_key)" if both else "unit_code"
        grouping = (
            "GROUPING SETS ((unit_code, day), (district_key, day))" if both else "unit_code, day"
        )
        # A batch job over a year of facts: let the aggregation hash in memory, not spill.
        await self.session.execute(text("SET LOCAL work_mem = '128MB'"))
        # CREATE TABLE AS scans in parallel (INSERT … SELECT cannot); the ~20k rows then move
        # into the counters server-side, not through Python.
        await self.session.execute(
            text(
                """
                CREATE TEMP TABLE hotline_counts ON COMMIT DROP AS
                WITH f AS (
                    -- The version in force on the order's day: the last window starting on or
                    -- before it (`width_bucket` over the windows' sorted first days; they cover
                    -- every day). An expression per row, not a join with the windows: that
                    -- join was half of the scan's time.
                    SELECT type, unit_code, day, district, in_time, resolved, satisfied,
                           after, on_time,
                           (CAST(:districts AS boolean[]))[
                               width_bucket(day, CAST(:starts AS date[]))] AS for_district
                    FROM (
                        SELECT type, unit_code, (data->>'received_on')::date AS day,
                               data->>'kind' AS kind,
                               data->>'district_code' AS district,
                               (data->>'within_limit')::boolean AS in_time,
                               (data->>'resolved')::boolean AS resolved,
                               data->>'satisfaction' IN ('satisfied', 'basically_satisfied')
                                   AS satisfied,
                               coalesce((data->>'after_expiry')::boolean,
                                        (data->>'after_overdue')::boolean) AS after,
                               (data->>'on_time')::boolean AS on_time
                        FROM evaluation.facts AS facts
                        WHERE type LIKE 'work_order.%'
                          -- a repeat request counts once, as its first order (ledger.repeats)
                          AND type NOT IN {uncounted}
                          AND NOT (data->>'order_no') = ANY (CAST(:repeats AS text[]))
                          AND (programme = :programme OR (
                              programme IS NULL
                              AND (data->>'received_on')::date >= make_date(:year, 1, 1)
                              AND (data->>'received_on')::date < make_date(:year + 1, 1, 1)))
                          AND NOT EXISTS (
                              SELECT 1 FROM evaluation.parked_events AS p
                              WHERE p.event_id = facts.event_id AND p.replayed_at IS NULL)
                    ) AS raw
                    WHERE raw.day IS NOT NULL
                      AND (raw.kind IS DISTINCT FROM 'consult'
                           OR (CAST(:consults AS boolean[]))[
                                  width_bucket(raw.day, CAST(:starts AS date[]))])
                ),
                -- One scan: each order counts for its handling unit and (if the rule set says
                -- so and it is different) its district; GROUPING SETS avoids materialising the
                -- facts twice.
                sets AS (
                    SELECT {unit} AS unit, day,
                        -- shared.hotline_rates.fact_counters, column by column
                        count(*) FILTER (WHERE type = 'work_order.created') AS orders,
                        count(*) FILTER (WHERE type = 'work_order.responded') AS responded,
                        count(*) FILTER (WHERE type = 'work_order.responded' AND in_time)
                            AS responded_in_time,
                        count(*) FILTER (WHERE (type = 'work_order.responded' AND NOT after)
                                            OR type = 'work_order.response_expired')
                            AS response_due,
                        count(*) FILTER (WHERE type = 'work_order.visited') AS visited,
                        count(*) FILTER (WHERE type = 'work_order.visited' AND resolved)
                            AS resolved,
                        count(*) FILTER (WHERE type = 'work_order.visited' AND satisfied)
                            AS satisfied,
                        count(*) FILTER (WHERE type = 'work_order.overdue'
                                            OR (type = 'work_order.closed'
                                                AND NOT on_time AND NOT after)) AS overdue,
                        count(*) FILTER (WHERE type = 'work_order.closed') AS closed,
                        count(*) FILTER (WHERE type = 'work_order.closed' AND on_time)
                            AS closed_on_time,
                        count(*) FILTER (WHERE (type = 'work_order.closed' AND NOT after)
                                            OR type = 'work_order.overdue') AS closing_due,
                        count(*) FILTER (WHERE type = 'work_order.first_contacted' AND in_time)
                            AS first_contacted_in_time,
                        count(*) FILTER (WHERE type = 'work_order.visit_overturned')
                            AS overturned
                    FROM (
                        SELECT *, CASE WHEN for_district AND coalesce(district, '') <> ''
                                        AND district IS DISTINCT FROM unit_code
                                       THEN district END AS district_key
                        FROM f
                    ) AS keyed
                    GROUP BY {grouping}
                    HAVING {unit} IS NOT NULL
                ),
                agg AS (
                    SELECT unit, day, sum(orders) AS orders, sum(responded) AS responded,
                        sum(responded_in_time) AS responded_in_time,
                        sum(response_due) AS response_due, sum(visited) AS visited,
                        sum(resolved) AS resolved, sum(satisfied) AS satisfied,
                        sum(overdue) AS overdue, sum(closed) AS closed,
                        sum(closed_on_time) AS closed_on_time, sum(closing_due) AS closing_due,
                        sum(first_contacted_in_time) AS first_contacted_in_time,
                        sum(overturned) AS overturned
                    FROM sets
                    WHERE unit IN (SELECT code FROM platform.units)
                    GROUP BY unit, day
                )
                SELECT * FROM agg
                """.replace("{grouping}", grouping)
                .replace("{unit}", unit)
                .replace("{uncounted}", str(repeats.UNCOUNTED))
            ),
            {
                "repeats": await self.repeat_orders(),
                "programme": programme,
                "year": year,
                "starts": [w.start for w in windows],
                "districts": [w.for_district for w in windows],
                "consults": [w.consultations for w in windows],
            },
        )
        columns = ", ".join(HOTLINE_COUNTER_COLUMNS)
        await self.session.execute(
            text(
                f"INSERT INTO evaluation.unit_counters (programme, unit_code, day, {columns})"  # noqa: S608  (constant column names)
                f" SELECT :programme, unit, day, {columns} FROM hotline_counts"
            ),
            {"programme": programme},
        )
        await self.session.execute(text("DROP TABLE hotline_counts"))

    async def repeat_orders(self) -> list[str]:
        """The orders that are repeat requests now (their newest link fact links them): read
        first, from the link facts' own index, so the recompute's aggregate over the year's facts
        keeps its parallel scan (a subquery inside it did not)."""
        rows = await self.session.execute(text(repeats.REPEAT_ORDERS))
        return [order_no for (order_no,) in rows]

    async def non_hotline_facts(self, programme: str) -> Sequence[Fact]:
        stmt = (
            select(Fact)
            .where(
                ~Fact.type.like("work_order.%"),
                # Programme events (created, closed) are kept as facts but score nothing.
                ~Fact.type.like("programme.%"),
                func.coalesce(
                    Fact.programme,
                    func.to_char(func.timezone(SHANGHAI.key, Fact.occurred_at), "YYYY"),
                )
                == programme,
            )
            .order_by(Fact.occurred_at, Fact.id)
        )
        return (await self.session.execute(stmt)).scalars().all()
