from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Date, String, exists, func, or_, select, text, true

from services.evaluation.ledger import repeats
from shared.models import Fact, ParkedEvent, Score, ScoreEntry, SurveyResult, Unit
from shared.repository import RepositoryBase


class ScoreRepository(RepositoryBase[Score]):
    model = Score

    async def survey_results(self) -> list[tuple[str, str, float]]:
        """(half-year, unit, score) of every survey result recorded."""
        rows = await self.session.execute(
            select(SurveyResult.period, SurveyResult.unit_code, SurveyResult.score)
        )
        return [(half, unit, score) for half, unit, score in rows.all()]

    async def live(self, programme: str, period: str, kind: str | None) -> Sequence[Score]:
        stmt = select(Score).where(Score.programme == programme, Score.period == period)
        if kind == "district":
            stmt = stmt.where(Score.unit_kind == "district")
        elif kind == "unit":
            stmt = stmt.where(Score.unit_kind != "district")
        return (await self.session.execute(stmt.order_by(Score.total.desc()))).scalars().all()

    async def unit_names(self) -> dict[str, str]:
        rows = await self.session.execute(select(Unit.code, Unit.name))
        return {code: name for code, name in rows.all()}

    async def entries(
        self, programme: str, unit_code: str, start: date, end: date
    ) -> Sequence[ScoreEntry]:
        stmt = (
            select(ScoreEntry)
            .where(
                ScoreEntry.programme == programme,
                ScoreEntry.unit_code == unit_code,
                ScoreEntry.day.between(start, end),
            )
            .order_by(ScoreEntry.day, ScoreEntry.id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def tour_facts(
        self, programme: str, unit_code: str, start: date, end: date
    ) -> Sequence[Fact]:
        """The district's published "4+2" 观摩 results held from `start` to `end` (the round's
        day), oldest first; parked facts are left out."""
        day = func.date(func.timezone("Asia/Shanghai", Fact.occurred_at))
        stmt = (
            select(Fact)
            .where(
                Fact.programme == programme,
                Fact.type == "tour.published",
                Fact.unit_code == unit_code,
                day.between(start, end),
                ~exists().where(
                    ParkedEvent.event_id == Fact.event_id, ParkedEvent.replayed_at.is_(None)
                ),
            )
            .order_by(Fact.occurred_at)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def hotline_against(
        self,
        unit_code: str,
        start: date,
        end: date,
        options: tuple[bool, bool],
        limit: int = 50,
    ) -> Sequence[Fact]:
        """Hotline facts that pulled a unit's rates down — signed late or not within the limit,
        visited unresolved or dissatisfied, closed late or overdue — of the orders received from
        `start` to `end` that count for it under the rule set's `options` (for the district it came
        from, consultations; engine.hotline_units); parked facts are left out."""
        for_district, consultations = options
        data = Fact.data
        received_on = func.cast(data["received_on"].astext, Date)
        whose = (
            or_(Fact.unit_code == unit_code, data["district_code"].astext == unit_code)
            if for_district
            else Fact.unit_code == unit_code
        )
        counted = true() if consultations else func.coalesce(data["kind"].astext, "") != "consult"
        is_false = ["false"]
        stmt = (
            select(Fact)
            .where(
                Fact.type.like("work_order.%"),
                whose,
                counted,
                received_on.between(start, end),
                # A parked fact was never applied (an unknown unit, a closed programme).
                ~exists().where(
                    ParkedEvent.event_id == Fact.event_id, ParkedEvent.replayed_at.is_(None)
                ),
                # A repeat request counts once, as its first order (ledger.repeats).
                data["order_no"].astext.not_in(
                    text(repeats.REPEAT_ORDERS).columns(order_no=String)
                ),
                or_(
                    (Fact.type == "work_order.responded")
                    & data["within_limit"].astext.in_(is_false),
                    # An overturned dissatisfied visit (申诉): listed with its reason.
                    Fact.type.in_(
                        [
                            "work_order.response_expired",
                            "work_order.overdue",
                            "work_order.visit_overturned",
                        ]
                    ),
                    (Fact.type == "work_order.visited")
                    & (
                        data["resolved"].astext.in_(is_false)
                        | data["satisfaction"].astext.not_in(["satisfied", "basically_satisfied"])
                    ),
                    (Fact.type == "work_order.closed") & data["on_time"].astext.in_(is_false),
                ),
            )
            .order_by(Fact.occurred_at.desc())
            .limit(limit)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def escalated(self, start: date, end: date) -> dict[str, int]:
        """Per unit, the orders received from `start` to `end` whose 催办 reached its second step
        (copied to the unit's leader: `work_order.escalated`), for the 12345 红黑榜."""
        received_on = func.cast(Fact.data["received_on"].astext, Date)
        rows = await self.session.execute(
            select(Fact.unit_code, func.count(func.distinct(Fact.data["order_no"].astext)))
            .where(
                Fact.type == "work_order.escalated",
                received_on.between(start, end),
                ~exists().where(
                    ParkedEvent.event_id == Fact.event_id, ParkedEvent.replayed_at.is_(None)
                ),
            )
            .group_by(Fact.unit_code)
        )
        return {str(unit): int(n) for unit, n in rows if unit}
