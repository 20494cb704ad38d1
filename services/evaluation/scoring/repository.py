"""Queries of the scoring module: aggregates by SQL, never Python loops over fact rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import Select, and_, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.scoring.engine import UnitInputs
from shared.models import (
    ExternalRank,
    Fact,
    LatestRating,
    RuleSet,
    RuleSetStatus,
    Score,
    ScoreEntry,
    SurveyResult,
    Unit,
    UnitCounter,
)


class ScoringRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def unit_kinds(self, codes: Iterable[str] | None = None) -> dict[str, str]:
        stmt = select(Unit.code, Unit.kind).where(Unit.kind != "office", Unit.is_active)
        if codes is not None:
            stmt = stmt.where(Unit.code.in_(list(codes)))
        return {
            code: str(kind.value if hasattr(kind, "value") else kind)
            for code, kind in (await self.session.execute(stmt)).all()
        }

    async def published_rule_sets(self, programme: str) -> Sequence[RuleSet]:
        stmt = (
            select(RuleSet)
            .where(RuleSet.programme == programme, RuleSet.status != RuleSetStatus.draft)
            .order_by(RuleSet.effective_from, RuleSet.version)
        )
        return (await self.session.execute(stmt)).scalars().all()

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

    async def add_counter(
        self, *, programme: str, unit_code: str, day: date, name: str, value: float
    ) -> None:
        stmt = insert(UnitCounter).values(
            programme=programme, unit_code=unit_code, day=day, name=name, value=value
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["programme", "unit_code", "day", "name"],
                set_={"value": UnitCounter.value + stmt.excluded.value},
            )
        )

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

    # --- aggregates --------------------------------------------------------------------------
    async def inputs(
        self, programme: str, units: Sequence[str], start: date, end: date
    ) -> dict[str, UnitInputs]:
        result = {u: UnitInputs() for u in units}
        ledger = await self.session.execute(
            select(ScoreEntry.unit_code, ScoreEntry.component, func.sum(ScoreEntry.points))
            .where(
                ScoreEntry.programme == programme,
                ScoreEntry.unit_code.in_(units),
                ScoreEntry.day.between(start, end),
            )
            .group_by(ScoreEntry.unit_code, ScoreEntry.component)
        )
        for unit, component, points in ledger.all():
            result[unit].ledger[component] = float(points)
        counters = await self.session.execute(
            select(UnitCounter.unit_code, UnitCounter.name, func.sum(UnitCounter.value))
            .where(
                UnitCounter.programme == programme,
                UnitCounter.unit_code.in_(units),
                UnitCounter.day.between(start, end),
            )
            .group_by(UnitCounter.unit_code, UnitCounter.name)
        )
        for unit, name, value in counters.all():
            result[unit].counters[name] = float(value)
        ratings = await self.session.execute(
            select(LatestRating.rated_unit, LatestRating.score, LatestRating.scale_max).where(
                LatestRating.programme == programme,
                LatestRating.rated_unit.in_(units),
                LatestRating.day.between(start, end),
            )
        )
        for unit, score, scale in ratings.all():
            result[unit].ratings.append((float(score), float(scale)))
        surveys = await self.session.execute(
            select(SurveyResult.unit_code, SurveyResult.score, SurveyResult.period)
            .join(Fact, Fact.event_id == SurveyResult.event_id)
            .where(
                SurveyResult.programme == programme,
                SurveyResult.unit_code.in_(units),
                func.date(func.timezone("Asia/Shanghai", Fact.occurred_at)) <= end,
            )
        )
        from services.evaluation.scoring.periods import parse_period

        for unit, score, period in surveys.all():
            half = parse_period(period)
            if half.start <= end and half.end >= start:
                result[unit].surveys.append(float(score))
        return result

    async def external_full_marks(
        self, programme: str, year: int, end: date, national_top: int, provincial_top: int
    ) -> dict[str, list[str]]:
        rows = await self.session.execute(
            select(ExternalRank.lead_unit, ExternalRank.indicator)
            .join(Fact, Fact.event_id == ExternalRank.event_id)
            .where(
                ExternalRank.programme == programme,
                ExternalRank.year == year,
                func.date(func.timezone("Asia/Shanghai", Fact.occurred_at)) <= end,
                (ExternalRank.national_rank <= national_top)
                | (ExternalRank.provincial_rank <= provincial_top),
            )
            .order_by(ExternalRank.indicator)
        )
        found: dict[str, list[str]] = {}
        for unit, indicator in rows.all():
            found.setdefault(unit, []).append(indicator)
        return found

    async def upsert_score(self, **values: object) -> None:
        stmt = insert(Score).values(**values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["programme", "period", "unit_code"],
                set_={
                    k: stmt.excluded[k]
                    for k in values
                    if k not in ("programme", "period", "unit_code")
                }
                | {"updated_at": func.now()},
            )
        )

    def scores_statement(self, programme: str, period: str) -> Select[Score]:
        return select(Score).where(Score.programme == programme, Score.period == period)

    async def clear_derived(self, programme: str) -> None:
        for model in (ScoreEntry, UnitCounter, LatestRating, Score):
            await self.session.execute(delete(model).where(model.programme == programme))

    async def bulk_hotline_counters(self, programme: str) -> None:
        """Rebuild hotline counters from facts in one statement (mirrors engine.hotline_counters;
        the property test holds the two to the same result)."""
        await self.session.execute(
            text(
                """
                WITH f AS (
                    SELECT type, data, unit_code,
                           (occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day
                    FROM evaluation.facts
                    WHERE type LIKE 'work_order.%'
                      AND coalesce(
                          programme, to_char(occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY')
                      ) = :programme
                      AND event_id NOT IN (
                          SELECT event_id FROM evaluation.parked_events
                          WHERE replayed_at IS NULL
                      )
                ),
                units AS (
                    SELECT type, data, day, unit_code AS unit FROM f WHERE unit_code IS NOT NULL
                    UNION ALL
                    SELECT type, data, day, data->>'district_code' FROM f
                    WHERE coalesce(data->>'district_code', '') <> ''
                      AND data->>'district_code' IS DISTINCT FROM unit_code
                ),
                named AS (
                    SELECT unit, day, 'orders' AS name FROM units WHERE type = 'work_order.created'
                    UNION ALL SELECT unit, day, 'responded' FROM units
                        WHERE type = 'work_order.responded'
                    UNION ALL SELECT unit, day, 'responded_in_time' FROM units
                        WHERE type = 'work_order.responded'
                          AND (data->>'within_limit') IN ('true', '1')
                    UNION ALL SELECT unit, day, 'visited' FROM units
                        WHERE type = 'work_order.visited'
                    UNION ALL SELECT unit, day, 'resolved' FROM units
                        WHERE type = 'work_order.visited'
                          AND (data->>'resolved') IN ('true', '1')
                    UNION ALL SELECT unit, day, 'satisfied' FROM units
                        WHERE type = 'work_order.visited'
                          AND data->>'satisfaction' IN ('satisfied', 'basically_satisfied')
                    UNION ALL SELECT unit, day, 'overdue' FROM units
                        WHERE type = 'work_order.overdue'
                    UNION ALL SELECT unit, day, 'closed' FROM units
                        WHERE type = 'work_order.closed'
                )
                INSERT INTO evaluation.unit_counters (programme, unit_code, day, name, value)
                SELECT :programme, unit, day, name, count(*) FROM named
                WHERE unit IN (SELECT code FROM platform.units)
                GROUP BY unit, day, name
                """
            ),
            {"programme": programme},
        )

    async def non_hotline_facts(self, programme: str) -> Sequence[Fact]:
        stmt = (
            select(Fact)
            .where(
                ~Fact.type.like("work_order.%"),
                func.coalesce(
                    Fact.programme,
                    func.to_char(func.timezone("Asia/Shanghai", Fact.occurred_at), "YYYY"),
                )
                == programme,
            )
            .order_by(Fact.occurred_at, Fact.id)
        )
        return (await self.session.execute(stmt)).scalars().all()
