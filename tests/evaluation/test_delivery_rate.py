"""改革任务推进 as a rate (issue #19, fix 2): weight × the on-time completion rate of the unit's
milestones in the period, lagging ones counted against as of the period's end; a component with no
data is shown as such and counted full or its weight redistributed, as the rule set says."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.ledger.repository import LedgerRepository
from shared.events import (
    MilestoneCompleted,
    MilestoneLagging,
    MilestoneRef,
    MilestoneReopened,
    parse_data,
)
from shared.models import Fact, Role
from shared.periods import business_day
from tests.conftest import Factory
from tests.evaluation.conftest import Events, publish_rule_set

OFFICE = ("office", Role.office_admin, "gaigeban")


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T03:00:00+00:00").astimezone(UTC)


async def _scores(
    client: httpx.AsyncClient, factory: Factory, period: str
) -> dict[str, dict[str, Any]]:
    response = await client.get(
        "/api/evaluation/v1/scores", params={"period": period}, headers=factory.headers(*OFFICE)
    )
    assert response.status_code == 200, response.text
    return {i["unit_code"]: i for i in response.json()["items"]}


def _delivery(score: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in score["components"] if c["key"] == "task_delivery")


async def _done(
    events: Events, unit: str, task: int, milestone: int, day: str, on_time: bool, **more: Any
) -> None:
    await events.send(
        "milestone.completed",
        unit,
        _at(day),
        {
            "task_number": task,
            "milestone": milestone,
            "completed_on": day,
            "on_time": on_time,
            "days_late": 0 if on_time else 5,
            **more,
        },
    )


async def _lagging(
    events: Events, unit: str, task: int, day: str, severity: str = "lagging", **more: Any
) -> None:
    await events.send(
        "milestone.lagging",
        unit,
        _at(day),
        {"task_number": task, "milestone": 1, "severity": severity, "as_of": day} | more,
    )


async def test_the_same_share_of_delays_costs_the_same_however_many_tasks_a_unit_leads(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    """The issue's example: with fixed deductions a unit leading 20 tasks lost ten times what a
    unit on 2 tasks lost for the same share of late milestones. Now both keep 75 %."""
    for task in range(1, 21):
        await _done(events, "shichang", task, 1, "2026-05-20", on_time=task > 5)  # 5 of 20 late
    for task in range(1, 5):
        await _done(events, "shuiwu", 100 + task, 1, "2026-05-20", on_time=task > 1)  # 1 of 4
    scores = await _scores(evaluation_client, factory, "2026-Q2")
    big, small = _delivery(scores["shichang"]), _delivery(scores["shuiwu"])
    assert big["points"] == small["points"] == 30.0  # 40 × 75 %
    assert (big["detail"]["on_time"], big["detail"]["late"]) == (15, 5)
    assert (small["detail"]["on_time"], small["detail"]["late"]) == (3, 1)
    assert big["detail"]["rate"] == small["detail"]["rate"] == 0.75
    assert big["no_data"] is False


async def test_a_lag_counts_against_every_period_it_lasts_and_the_completion_where_it_falls(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    # Task 1's milestone (due 03-31) falls behind in April, seriously in May, done late in June;
    # task 2's is done on time in April.
    await _lagging(events, "shichang", 1, "2026-04-05")
    await _done(events, "shichang", 2, 1, "2026-04-20", on_time=True)
    await _lagging(
        events,
        "shichang",
        1,
        "2026-05-05",
        "seriously_lagging",
        previous_severity="lagging",
        days_late=35,
    )
    await _done(events, "shichang", 1, 1, "2026-06-10", on_time=False)

    expected = {
        "2026-04": (20.0, {"lagging": 1, "on_time": 1}),  # 1 of 2 on time
        "2026-05": (0.0, {"seriously_lagging": 1}),  # still behind, no event in May
        "2026-06": (0.0, {"late": 1}),
        "2026-Q2": (20.0, {"late": 1, "on_time": 1}),
        "2026": (20.0, {"late": 1, "on_time": 1}),
    }
    for period, (points, outcomes) in expected.items():
        delivery = _delivery((await _scores(evaluation_client, factory, period))["shichang"])
        assert delivery["points"] == points, period
        counted = {
            k: v
            for k in ("on_time", "late", "lagging", "seriously_lagging")
            if (v := delivery["detail"][k])
        }
        assert counted == outcomes, period

    # July: nothing due, done or behind — 无数据, counted full (the office default).
    july = _delivery((await _scores(evaluation_client, factory, "2026-07"))["shichang"])
    assert (july["points"], july["no_data"]) == (40.0, True)

    explained = await evaluation_client.get(
        "/api/evaluation/v1/units/shichang/explain",
        params={"period": "2026-Q2"},
        headers=factory.headers(*OFFICE),
    )
    assert explained.status_code == 200, explained.text
    component = next(c for c in explained.json()["components"] if c["key"] == "task_delivery")
    assert "按期完成率" in component["formula"]
    assert sorted(e["rule"] for e in component["entries"]) == [
        "任务1第1个时间节点（牵头）：逾期完成",
        "任务2第1个时间节点（牵头）：按期完成",
    ]


async def test_a_completion_dated_before_the_lag_wins_and_a_refused_close_out_undoes_it(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    # Announced lagging on 05-05, then the completion the lead unit accepted is dated 04-28.
    await _lagging(events, "shichang", 3, "2026-05-05")
    await _done(events, "shichang", 3, 1, "2026-04-28", on_time=True)
    # Done on time 05-10, close-out refused 05-20 (reopened), announced lagging again 06-05.
    await _done(events, "shichang", 4, 1, "2026-05-10", on_time=True)
    await events.send(
        "milestone.reopened",
        "shichang",
        _at("2026-05-20"),
        {"task_number": 4, "milestone": 1, "completed_on": "2026-05-10", "on_time": True},
    )
    await _lagging(events, "shichang", 4, "2026-06-05")

    may = _delivery((await _scores(evaluation_client, factory, "2026-05"))["shichang"])
    assert (may["detail"]["on_time"], may["detail"]["lagging"]) == (0, 0)  # 3 done in April
    assert may["no_data"] is True  # 4 was reopened: neither done nor announced behind
    june = _delivery((await _scores(evaluation_client, factory, "2026-06"))["shichang"])
    assert (june["points"], june["detail"]["lagging"]) == (0.0, 1)
    year = _delivery((await _scores(evaluation_client, factory, "2026"))["shichang"])
    assert (year["detail"]["on_time"], year["detail"]["lagging"], year["points"]) == (1, 1, 20.0)


@pytest.mark.parametrize("no_data", ["full", "redistribute"])
async def test_roles_weigh_as_the_rule_set_says_and_no_data_is_never_hidden(
    no_data: str,
    evaluation_client: httpx.AsyncClient,
    factory: Factory,
    events: Events,
    city: dict[str, Any],
) -> None:
    await publish_rule_set(
        evaluation_client, factory, {"task_delivery": {"responsible_weight": 0.5}}, no_data=no_data
    )
    district = {"responsible_units": ["yunzhongqu"]}
    await _done(events, "shichang", 5, 1, "2026-05-10", on_time=True, **district)
    await _lagging(events, "shichang", 5, "2026-06-05", milestone=2, **district)
    inspection = await evaluation_client.post(
        "/api/evaluation/v1/inspections",
        json={
            "unit_code": "shuiwu",
            "inspected_on": "2026-05-12",
            "mode": "scheduled",
            "finding": "政策兑现台账不全",
            "deduction": 2,
        },
        headers=factory.headers(*OFFICE),
    )
    assert inspection.status_code == 201, inspection.text

    scores = await _scores(evaluation_client, factory, "2026-Q2")
    # Lead and responsible both 1 of 2 on time; the district's weight (30) per its side.
    assert _delivery(scores["shichang"])["points"] == 20.0
    assert _delivery(scores["yunzhongqu"])["points"] == 15.0, str(_delivery(scores["yunzhongqu"]))
    assert _delivery(scores["yunzhongqu"])["detail"]["weighted_counted"] == 1.0  # 2 × 0.5
    # shuiwu has only the inspection (−2 of 5): task delivery, rating, hotline, survey: 无数据.
    shuiwu = scores["shuiwu"]
    empty = {c["key"] for c in shuiwu["components"] if c["no_data"]}
    assert empty == {"task_delivery", "lead_rating", "hotline", "survey"}
    # full: 100 − 2; redistribute: the 18 of 20 scorable points scaled to 100.
    assert shuiwu["total"] == {"full": 98.0, "redistribute": 90.0}[no_data]
    explained = await evaluation_client.get(
        "/api/evaluation/v1/units/shuiwu/explain",
        params={"period": "2026-Q2"},
        headers=factory.headers(*OFFICE),
    )
    delivery = next(c for c in explained.json()["components"] if c["key"] == "task_delivery")
    assert "本期无数据" in delivery["formula"]
    assert f"no_data = {no_data}" in delivery["formula"]


async def test_the_sql_reading_of_milestone_events_is_the_catalogues(
    session: AsyncSession, events: Events, city: dict[str, Any]
) -> None:
    """`LedgerRepository.milestone_facts` reads the fields in SQL (on every refresh); each must
    be what the catalogue's model of that fact says."""
    shared_task = {"responsible_units": ["yunzhongqu", "zhengwu"]}
    await _done(events, "shichang", 7, 1, "2026-04-10", on_time=False, **shared_task)
    await _lagging(events, "shichang", 7, "2026-05-05", "seriously_lagging", milestone=2)
    await events.send(
        "milestone.reopened",
        "shichang",
        _at("2026-05-20"),
        {"task_number": 7, "milestone": 1, "on_time": False, **shared_task},
    )
    facts = await LedgerRepository(session).milestone_facts(
        "2026", ["yunzhongqu"], date(2026, 12, 31)
    )
    stored = {
        str(f.event_id): f
        for f in (await session.scalars(select(Fact).where(Fact.type.like("milestone.%")))).all()
    }
    assert {f.event_type for f in facts} == {
        "milestone.completed",
        "milestone.lagging",
        "milestone.reopened",
    }
    for fact in facts:
        row = stored[fact.event_id]
        model = parse_data(row.type, row.data)
        assert isinstance(model, MilestoneRef)
        assert (fact.event_type, fact.lead_unit) == (row.type, row.unit_code)
        assert (fact.occurred_at, fact.day) == (row.occurred_at, business_day(row.occurred_at))
        assert (fact.task_number, fact.milestone) == (model.task_number, model.milestone)
        assert fact.responsible_units == tuple(model.responsible_units)
        match model:
            case MilestoneCompleted() | MilestoneReopened():
                expected = "done" if isinstance(model, MilestoneCompleted) else "reopened"
                assert (fact.state, fact.on_time) == (expected, model.on_time)
            case MilestoneLagging():
                assert (fact.state, fact.on_time) == (model.severity, False)
