"""The battle map (作战图): milestone statuses as of any date (thresholds from the programme),
the plan in force on that date (extensions approved later do not count, the baseline never
moves), summaries, and who sees which tasks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import clock
from shared.milestone_status import (
    Approval,
    MilestoneStatus,
    Thresholds,
    completed_as_of,
    end_of_day,
    lag_announcements,
    milestone_status,
    planned_as_of,
    task_status,
)
from shared.models import Role, TaskClass
from shared.settings import Settings
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"
PDF = b"%PDF-1.4\n%evidence\n"
S = MilestoneStatus


@pytest.fixture(autouse=True)
def files_in_tmp(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "files_dir", tmp_path / "files")


def at(moment: str) -> None:
    """Freeze the clock at a Shanghai wall-clock time, e.g. "2026-04-25 10:00"."""
    clock.freeze(datetime.fromisoformat(moment).replace(tzinfo=clock.SHANGHAI).astimezone(UTC))


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    at("2026-09-20 12:00")
    yield
    clock.freeze(None)


# --- the status rules (pure) ------------------------------------------------------------------

GRACE = Thresholds(lagging_after_days=5, seriously_lagging_after_days=20)
PLANNED = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("as_of", "completed_on", "reported", "thresholds", "expected"),
    [
        (date(2026, 6, 1), None, False, GRACE, S.not_due),
        (date(2026, 6, 30), None, False, GRACE, S.not_due),  # due today is not late
        (date(2026, 6, 1), None, True, GRACE, S.on_track),
        (date(2026, 7, 3), None, False, GRACE, S.on_track),  # 3 days late, within 5 grace days
        (date(2026, 7, 5), None, False, GRACE, S.on_track),  # exactly the grace
        (date(2026, 7, 6), None, False, GRACE, S.lagging),
        (date(2026, 7, 20), None, False, GRACE, S.lagging),  # exactly the serious threshold
        (date(2026, 7, 21), None, True, GRACE, S.seriously_lagging),  # reporting is not doing
        (date(2026, 7, 1), None, False, Thresholds(), S.lagging),  # defaults: 0 and 30 days
        (date(2026, 7, 30), None, False, Thresholds(), S.lagging),
        (date(2026, 7, 31), None, False, Thresholds(), S.seriously_lagging),
        (date(2026, 7, 30), date(2026, 6, 30), False, GRACE, S.done),
        (date(2026, 7, 30), date(2026, 6, 12), False, GRACE, S.done),
        (date(2026, 7, 30), date(2026, 7, 2), False, GRACE, S.done_late),
        (date(2026, 12, 31), date(2026, 9, 1), True, Thresholds(), S.done_late),
        # Completed after the as-of date: not done yet on that day.
        (date(2026, 7, 1), date(2026, 7, 2), True, GRACE, S.on_track),
        (date(2026, 8, 1), date(2026, 8, 2), False, Thresholds(), S.seriously_lagging),
    ],
)
def test_milestone_status_rules(
    as_of: date,
    completed_on: date | None,
    reported: bool,
    thresholds: Thresholds,
    expected: MilestoneStatus,
) -> None:
    status = milestone_status(
        planned=PLANNED,
        completed_on=completed_on,
        as_of=as_of,
        reported=reported,
        thresholds=thresholds,
    )
    assert status is expected


def test_thresholds_are_read_from_programme_settings() -> None:
    assert Thresholds.of({"lagging_after_days": 3, "seriously_lagging_after_days": 15}) == (
        Thresholds(3, 15)
    )
    assert Thresholds.of({}) == Thresholds(0, 30)


def test_task_status_is_its_worst_milestone() -> None:
    assert task_status([S.done, S.lagging, S.not_due]) is S.lagging
    assert task_status([S.on_track, S.seriously_lagging]) is S.seriously_lagging
    assert task_status([S.done, S.not_due]) is S.not_due
    assert task_status([S.done, S.done_late]) is S.done_late
    assert task_status([S.done, S.done]) is S.done
    assert task_status([]) is S.not_due


def test_a_day_ends_at_midnight_in_shanghai() -> None:
    assert end_of_day(date(2026, 5, 15)) == datetime(2026, 5, 15, 16, tzinfo=UTC)


def test_plan_in_force_ignores_extensions_approved_later() -> None:
    # Baseline 04-30 → 05-31 (approved 04-25) → 06-30 (approved 06-20): planned now 06-30.
    approvals = [
        Approval(datetime(2026, 6, 20, 2, tzinfo=UTC), date(2026, 5, 31)),
        Approval(datetime(2026, 4, 25, 2, tzinfo=UTC), date(2026, 4, 30)),
    ]
    now = date(2026, 6, 30)
    assert planned_as_of(now, approvals, end_of_day(date(2026, 4, 24))) == date(2026, 4, 30)
    assert planned_as_of(now, approvals, end_of_day(date(2026, 4, 25))) == date(2026, 5, 31)
    assert planned_as_of(now, approvals, end_of_day(date(2026, 6, 19))) == date(2026, 5, 31)
    assert planned_as_of(now, approvals, end_of_day(date(2026, 6, 20))) == now
    assert planned_as_of(now, [], end_of_day(date(2026, 1, 1))) == now


def test_completion_counts_from_its_day() -> None:
    assert completed_as_of(date(2026, 5, 2), date(2026, 5, 1)) is None
    assert completed_as_of(date(2026, 5, 2), date(2026, 5, 2)) == date(2026, 5, 2)
    assert completed_as_of(None, date(2026, 5, 2)) is None


# --- the endpoint -----------------------------------------------------------------------------


async def _map(
    client: httpx.AsyncClient, scene: Scene, who: str = "office", **params: str
) -> dict[str, Any]:
    response = await client.get(
        f"{API}/battle-map", params=params, headers=scene.headers(who, Role.unit)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _statuses(body: dict[str, Any]) -> dict[int, list[str]]:
    return {t["number"]: [m["status"] for m in t["milestones"]] for t in body["tasks"]}


async def _complete(
    client: httpx.AsyncClient, scene: Scene, reporter: str, lead: str, number: int, done_on: str
) -> None:
    """Report completion of milestone 1, accepted by the lead unit, closed out by the office."""
    report = await client.post(
        f"{API}/tasks/{number}/milestones/1/reports",
        data={"content": "已完成", "claims_completion": "true", "completion_date": done_on},
        headers=scene.headers(reporter, Role.unit),
    )
    assert report.status_code == 201, report.text
    review = await client.post(
        f"{API}/reports/{report.json()['id']}/review",
        json={"decision": "accept"},
        headers=scene.headers(lead),
    )
    assert review.status_code == 200, review.text
    closed = await client.post(
        f"{API}/tasks/{number}/milestones/1/close-out", headers=scene.headers("office")
    )
    assert closed.status_code == 200, closed.text


async def test_statuses_as_of_past_dates(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    # Task 1: 03-31 制定工作方案, 06-30 系统上线运行; task 2: 04-30, 09-30. Defaults 0 / 30 days.
    assert _statuses(await _map(tasks_client, scene, as_of="2026-03-01")) == {
        1: ["not_due", "not_due"],
        2: ["not_due", "not_due"],
    }
    assert _statuses(await _map(tasks_client, scene, as_of="2026-03-31"))[1][0] == "not_due"
    assert _statuses(await _map(tasks_client, scene, as_of="2026-04-01"))[1][0] == "lagging"
    assert _statuses(await _map(tasks_client, scene, as_of="2026-05-01"))[1][0] == (
        "seriously_lagging"
    )

    at("2026-04-10 09:00")
    await _complete(tasks_client, scene, "zhengwu", "shichang", 1, "2026-04-08")
    at("2026-04-20 09:00")
    progress = await tasks_client.post(
        f"{API}/tasks/2/milestones/1/reports",
        data={"content": "实施细则已起草"},
        headers=scene.headers("hexiqu", Role.unit),
    )
    assert progress.status_code == 201

    # Before the completion date the milestone was lagging; from that day it is done late.
    assert _statuses(await _map(tasks_client, scene, as_of="2026-04-07"))[1][0] == "lagging"
    later = await _map(tasks_client, scene, as_of="2026-05-15")
    assert _statuses(later) == {1: ["done_late", "not_due"], 2: ["lagging", "not_due"]}
    assert later["tasks"][0]["milestones"][0]["completed_on"] == "2026-04-08"
    assert later["tasks"][0]["task_status"] == "not_due"
    assert later["tasks"][1]["task_status"] == "lagging"
    # A report counts from the day it was submitted: on track before the date, not before that.
    assert _statuses(await _map(tasks_client, scene, as_of="2026-04-19"))[2][0] == "not_due"
    assert _statuses(await _map(tasks_client, scene, as_of="2026-04-20"))[2][0] == "on_track"
    # The completion is not shown on a map of a day before it.
    early = await _map(tasks_client, scene, as_of="2026-04-07")
    assert early["tasks"][0]["milestones"][0]["completed_on"] is None
    assert early["tasks"][0]["milestones"][0]["status_label"] == "滞后"


async def test_thresholds_come_from_the_programme(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    scene.programme.settings = {"lagging_after_days": 10, "seriously_lagging_after_days": 40}
    await scene.factory.session.flush()
    body = await _map(tasks_client, scene, as_of="2026-04-10")
    assert body["thresholds"] == {"lagging_after_days": 10, "seriously_lagging_after_days": 40}
    assert _statuses(body)[1][0] == "on_track"  # 10 days late: still within the grace
    assert _statuses(await _map(tasks_client, scene, as_of="2026-04-11"))[1][0] == "lagging"
    assert _statuses(await _map(tasks_client, scene, as_of="2026-05-10"))[1][0] == "lagging"
    assert _statuses(await _map(tasks_client, scene, as_of="2026-05-11"))[1][0] == (
        "seriously_lagging"
    )


async def test_map_before_an_extension_was_approved_shows_the_old_plan(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    """Task 2 milestone 1 (baseline 04-30) moved to 05-31 on 04-25, then to 06-30 on 06-20."""
    for asked_on, decided_on, to in (
        ("2026-04-20 10:00", "2026-04-25 15:00", "2026-05-31"),
        ("2026-06-15 10:00", "2026-06-20 15:00", "2026-06-30"),
    ):
        at(asked_on)
        asked = await tasks_client.post(
            f"{API}/tasks/2/milestones/1/extensions",
            json={"requested_date": to, "reason": "配套系统采购延迟"},
            headers=scene.headers("hexiqu", Role.unit),
        )
        assert asked.status_code == 201, asked.text
        at(decided_on)
        approved = await tasks_client.post(
            f"{API}/extensions/{asked.json()['id']}/approve",
            json={"comment": "同意"},
            headers=scene.headers("office"),
        )
        assert approved.status_code == 200, approved.text
    at("2026-09-20 12:00")

    async def node(as_of: str) -> dict[str, Any]:
        body = await _map(tasks_client, scene, as_of=as_of)
        milestone: dict[str, Any] = body["tasks"][1]["milestones"][0]
        return milestone

    before = await node("2026-04-24")
    assert (before["planned_date"], before["baseline_date"], before["slip_days"]) == (
        "2026-04-30",
        "2026-04-30",
        0,
    )
    assert (before["month"], before["status"]) == ("2026-04", "not_due")
    first = await node("2026-04-25")  # approved that afternoon: in force for the whole day
    assert (first["planned_date"], first["slip_days"], first["month"]) == (
        "2026-05-31",
        31,
        "2026-05",
    )
    # Without the first extension 05-15 would be lagging; with it the milestone is not yet due.
    assert (await node("2026-05-15"))["status"] == "not_due"
    # Between the approvals the plan in force was 05-31, so mid-June it was lagging …
    june = await node("2026-06-19")
    assert (june["planned_date"], june["status"]) == ("2026-05-31", "lagging")
    # … and the second approval makes it not due again, 61 days behind the baseline.
    last = await node("2026-06-20")
    assert (last["planned_date"], last["baseline_date"], last["slip_days"]) == (
        "2026-06-30",
        "2026-04-30",
        61,
    )
    assert last["status"] == "not_due"
    assert (await node("2026-07-01"))["status"] == "lagging"


async def test_default_as_of_is_today_in_shanghai(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    at("2026-04-01 01:00")  # 2026-03-31 17:00 UTC: already April in Shanghai
    body = await _map(tasks_client, scene)
    assert body["as_of"] == "2026-04-01"
    assert _statuses(body)[1][0] == "lagging"


async def test_response_lists_the_programme_months_and_task_facts(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    body = await _map(tasks_client, scene, as_of="2026-05-15")
    assert body["programme"] == "2026"
    assert body["months"] == [f"2026-{m:02d}" for m in range(1, 13)]
    first = body["tasks"][0]
    assert (first["number"], first["title"], first["domain"], first["domain_name"]) == (
        1,
        "企业开办全程网办",
        "shangshi",
        "商事登记",
    )
    assert first["lead_unit"] == {"code": "shichang", "short_name": "市市场监管局"}
    assert [u["code"] for u in first["responsible_units"]] == ["yunzhongqu", "zhengwu"]
    assert (first["task_class"], first["deadline"]) == ("A", "2026-06-30")
    assert [(m["ordinal"], m["title"], m["month"]) for m in first["milestones"]] == [
        (1, "制定工作方案", "2026-03"),
        (2, "系统上线运行", "2026-06"),
    ]
    assert first["milestones"][0]["status_label"] == "严重滞后"


async def test_the_answer_is_exactly_the_documented_model(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    """The endpoint serialises plain rows (no model objects, for speed): what it sends must be
    what the documented `BattleMap` model would send — every field, type and order."""
    from services.reform_tasks.battle_map.schemas import BattleMap

    at("2026-04-10 09:00")
    await _complete(tasks_client, scene, "zhengwu", "shichang", 1, "2026-03-30")
    at("2026-09-20 12:00")
    response = await tasks_client.get(
        f"{API}/battle-map", params={"as_of": "2026-05-15"}, headers=scene.headers("office")
    )
    assert response.status_code == 200, response.text
    model = BattleMap.model_validate_json(response.content)
    assert response.content == model.model_dump_json().encode()
    assert model.tasks
    assert all(t.milestones for t in model.tasks)


async def test_summary_counts_per_domain_per_lead_unit_and_in_total(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    at("2026-04-10 09:00")
    await _complete(tasks_client, scene, "zhengwu", "shichang", 1, "2026-03-30")
    at("2026-09-20 12:00")
    body = await _map(tasks_client, scene, as_of="2026-05-15")
    assert body["totals"] == {"lagging": 1, "not_due": 2, "done": 1}
    assert body["by_domain"] == [
        {"key": "nashui", "name": "纳税", "counts": {"lagging": 1, "not_due": 1}},
        {"key": "shangshi", "name": "商事登记", "counts": {"not_due": 1, "done": 1}},
    ]
    assert body["by_unit"] == [
        {"key": "shichang", "name": "市市场监管局", "counts": {"not_due": 1, "done": 1}},
        {"key": "shuiwu", "name": "市税务局", "counts": {"lagging": 1, "not_due": 1}},
    ]


async def test_units_see_only_their_tasks_and_filters_narrow_the_map(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    assert [t["number"] for t in (await _map(tasks_client, scene, "hexiqu"))["tasks"]] == [2]
    assert [t["number"] for t in (await _map(tasks_client, scene, "shichang"))["tasks"]] == [1]
    outsider = await _map(tasks_client, scene, "keji")
    assert (outsider["tasks"], outsider["totals"], outsider["by_unit"]) == ([], {}, [])
    assert [t["number"] for t in (await _map(tasks_client, scene, "viewer"))["tasks"]] == [1, 2]

    def numbers(body: dict[str, Any]) -> list[int]:
        return [t["number"] for t in body["tasks"]]

    assert numbers(await _map(tasks_client, scene, domain="nashui")) == [2]
    assert numbers(await _map(tasks_client, scene, unit="zhengwu")) == [1]
    assert numbers(await _map(tasks_client, scene, unit="shuiwu")) == [2]
    assert numbers(await _map(tasks_client, scene, task_class=TaskClass.B.value)) == []
    # A unit's filter cannot widen what it sees.
    assert numbers(await _map(tasks_client, scene, "hexiqu", unit="zhengwu")) == []


async def test_unknown_programme_is_404(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    response = await tasks_client.get(
        f"{API}/battle-map", params={"programme": "1999"}, headers=scene.headers("office")
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_query_count_does_not_grow_with_the_number_of_tasks(
    tasks_client: httpx.AsyncClient, scene: Scene, connection: AsyncConnection
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async def queries() -> int:
        statements.clear()
        event.listen(connection.sync_connection, "before_cursor_execute", count)
        try:
            await _map(tasks_client, scene, as_of="2026-05-15")
        finally:
            event.remove(connection.sync_connection, "before_cursor_execute", count)
        return len([s for s in statements if "SAVEPOINT" not in s.upper()])

    small = await queries()
    units = list(scene.units.values())
    for number in range(3, 43):
        await scene.factory.task(
            scene.programme,
            number,
            units[number % 5 + 1],
            [units[(number + 1) % 5 + 2]],
            milestones=[(date(2026, 3, 31), "方案"), (date(2026, 6, 30), "上线")],
        )
    assert await queries() == small
    assert small <= 6  # programme + tasks, units, milestones, extension history (+ transaction)


@given(
    planned=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    span=st.integers(0, 120),
    lagging_after=st.integers(0, 10),
    more=st.integers(1, 60),
)
def test_the_sweep_announces_each_severity_on_the_first_day_the_battle_map_shows_it(
    planned: date, span: int, lagging_after: int, more: int
) -> None:
    """`lag_announcements` (the sweep's days, which the demo year replays) and `milestone_status`
    (the battle map) are one rule: announced on day d means the map shows it on d, not on d − 1."""
    thresholds = Thresholds(lagging_after, lagging_after + more)
    until = planned + timedelta(days=span)
    announced = lag_announcements(planned, until, thresholds)

    def status(day: date) -> MilestoneStatus:
        return milestone_status(
            planned=planned, completed_on=None, as_of=day, reported=False, thresholds=thresholds
        )

    expected = [MilestoneStatus.lagging, MilestoneStatus.seriously_lagging]
    assert [s for _, s in announced] == expected[: len(announced)]
    for day, severity in announced:
        assert day <= until
        assert status(day) is severity
        assert status(day - timedelta(days=1)) is not severity
    if len(announced) < 2:
        assert status(until) is not expected[len(announced)]
