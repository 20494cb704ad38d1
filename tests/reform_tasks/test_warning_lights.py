"""三色预警 (issue #27): each task's light against the expected pace (序时进度), on the battle map,
the task list and the unit's to-do, with the office's thresholds in the programme's settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import Milestone
from shared.warning_light import (
    Node,
    WarningLight,
    WarningThresholds,
    add_months,
    task_verdict,
    warning_light,
)
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"
DEFAULTS = WarningThresholds()
JUNE_23 = datetime(2026, 6, 23, 2, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(JUNE_23)
    yield
    clock.freeze(None)


def _nodes(*plan: tuple[date, date | None]) -> list[Node]:
    return [Node(planned, done) for planned, done in plan]


def test_a_task_on_its_dated_nodes_is_green_and_falls_yellow_then_red_behind_them() -> None:
    day = date(2026, 6, 30)
    ten = [date(2026, m, 1) for m in range(1, 11)]  # 6 of 10 due by 30 June

    def done(k: int) -> list[tuple[date, date | None]]:
        return [(p, p if i < k else None) for i, p in enumerate(ten)]

    assert warning_light(_nodes(*done(6)), day, DEFAULTS).light is WarningLight.green
    nine_short = warning_light(_nodes(*done(5)), day, DEFAULTS)
    assert (nine_short.light, nine_short.behind_points) == (WarningLight.yellow, 10.0)
    assert nine_short.reason == "落后序时进度 10 个百分点（应完成 60%，已完成 50%）"
    assert warning_light(_nodes(*done(3)), day, DEFAULTS).light is WarningLight.yellow  # 30
    red = warning_light(_nodes(*done(2)), day, DEFAULTS)  # 40 behind
    assert red.light is WarningLight.red
    assert red.reason.startswith("落后序时进度 40 个百分点")


def test_a_node_more_than_three_months_late_is_red_whatever_the_pace() -> None:
    nodes = [Node(date(2026, 3, 31), None, "制定方案")] + [
        Node(date(2026, 12, 1), None) for _ in range(9)
    ]
    on_the_day = warning_light(nodes, date(2026, 6, 30), DEFAULTS)  # 3 months exactly
    assert on_the_day.light is WarningLight.yellow
    late = warning_light(nodes, date(2026, 7, 1), DEFAULTS)
    assert late.light is WarningLight.red
    assert "时间节点“制定方案”逾期超过 3 个月（计划 2026-03-31）" in late.reason


def test_a_task_without_milestones_is_due_on_its_deadline() -> None:
    before = task_verdict([], date(2026, 6, 30), None, date(2026, 6, 1), DEFAULTS)
    after = task_verdict([], date(2026, 6, 30), None, date(2026, 7, 1), DEFAULTS)
    closed = task_verdict([], date(2026, 6, 30), date(2026, 6, 29), date(2026, 7, 1), DEFAULTS)
    assert (before.light, after.light, closed.light) == (
        WarningLight.green,
        WarningLight.red,
        WarningLight.green,
    )


PLANS = st.lists(
    st.tuples(
        st.dates(date(2026, 1, 1), date(2026, 12, 31)),
        st.none() | st.integers(min_value=-60, max_value=200),
    ),
    min_size=1,
    max_size=12,
)
_RANK = {WarningLight.green: 0, WarningLight.yellow: 1, WarningLight.red: 2}


@given(PLANS, st.dates(date(2026, 1, 1), date(2027, 6, 30)), st.data())
def test_finishing_a_node_never_makes_the_light_worse(
    plan: list[tuple[date, int | None]], as_of: date, data: st.DataObject
) -> None:
    nodes = [
        Node(planned, None if late is None else planned + timedelta(days=late))
        for planned, late in plan
    ]
    verdict = warning_light(nodes, as_of, DEFAULTS)
    assert 0 <= verdict.behind_points <= 100
    if verdict.light is WarningLight.green:
        assert verdict.behind_points < DEFAULTS.yellow_behind_points
    index = data.draw(st.integers(min_value=0, max_value=len(nodes) - 1))
    finished = [*nodes]
    finished[index] = Node(nodes[index].planned, min(as_of, nodes[index].planned))
    better = warning_light(finished, as_of, DEFAULTS)
    assert _RANK[better.light] <= _RANK[verdict.light]
    # The rule is the office's: any node >3 months late and open is red.
    if any(
        (n.completed_on is None or n.completed_on > as_of) and as_of > add_months(n.planned, 3)
        for n in nodes
    ):
        assert verdict.light is WarningLight.red


async def _complete_first_milestone(session: AsyncSession, scene: Scene, number: int) -> None:
    milestone = await session.scalar(
        select(Milestone).where(Milestone.task_id == scene.tasks[number].id, Milestone.ordinal == 1)
    )
    assert milestone is not None
    milestone.completed_on = milestone.planned_date
    await session.flush()


async def _numbers(
    client: httpx.AsyncClient, scene: Scene, who: str, **params: str
) -> list[tuple[int, str]]:
    response = await client.get(f"{API}/tasks", params=params, headers=scene.headers(who))
    assert response.status_code == 200, response.text
    return [(t["number"], t["warning_light"]) for t in response.json()["items"]]


async def test_the_battle_map_and_task_list_show_each_tasks_light_and_filter_by_it(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    await _complete_first_milestone(session, scene, 1)
    office = scene.headers("office")
    response = await tasks_client.get(
        f"{API}/battle-map", params={"as_of": "2026-06-23"}, headers=office
    )
    assert response.status_code == 200, response.text
    lights = {
        t["number"]: (t["warning_light"], t["warning_reason"]) for t in response.json()["tasks"]
    }
    assert lights == {
        1: ("green", "符合序时进度（应完成 50%，已完成 50%）"),
        2: ("red", "落后序时进度 50 个百分点（应完成 50%，已完成 0%）"),
    }
    assert await _numbers(tasks_client, scene, "office") == [(1, "green"), (2, "red")]
    assert await _numbers(tasks_client, scene, "office", warning_light="red") == [(2, "red")]
    # A unit filters within its own tasks only: shichang leads task 1, not the red task 2.
    assert await _numbers(tasks_client, scene, "shichang", warning_light="red") == []
    assert await _numbers(tasks_client, scene, "hexiqu", warning_light="red") == [(2, "red")]
    bad = await tasks_client.get(f"{API}/tasks", params={"warning_light": "blue"}, headers=office)
    assert bad.status_code == 422


async def test_the_office_sets_the_thresholds_in_the_programme_settings(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    office = scene.headers("office")
    settings: dict[str, Any] = {
        "lagging_after_days": 0,
        "seriously_lagging_after_days": 30,
        "warning_yellow_behind_points": 20,
        "warning_red_behind_points": 60,
        "warning_red_late_months": 3,
    }
    saved = await tasks_client.put(f"{API}/programmes/2026/settings", json=settings, headers=office)
    assert saved.status_code == 200, saved.text
    assert saved.json()["settings"] == settings
    # 50 points behind is yellow under a 60-point red line.
    assert await _numbers(tasks_client, scene, "office") == [(1, "yellow"), (2, "yellow")]
    unordered = {**settings, "warning_red_behind_points": 10}
    refused = await tasks_client.put(
        f"{API}/programmes/2026/settings", json=unordered, headers=office
    )
    assert refused.status_code == 422
    by_unit = await tasks_client.put(
        f"{API}/programmes/2026/settings", json=settings, headers=scene.headers("shichang")
    )
    assert by_unit.status_code == 403


async def test_the_units_to_do_shows_its_lights_and_filters_by_them(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    await _complete_first_milestone(session, scene, 1)
    todo = await tasks_client.get(f"{API}/todo", headers=scene.headers("hexiqu"))
    assert todo.status_code == 200, todo.text
    body = todo.json()
    assert [(w["task_number"], w["warning_light"]) for w in body["warnings"]] == [(2, "red")]
    assert body["warnings"][0]["task_title"] == "办税时间压缩"
    # zhengwu's only task is on pace: no warnings, and its items carry the green light.
    zhengwu = (await tasks_client.get(f"{API}/todo", headers=scene.headers("zhengwu"))).json()
    assert zhengwu["warnings"] == []
    # (an item about no task, such as the quarter's work report, carries no light)
    assert {i["warning_light"] for i in zhengwu["items"] if i["task_number"]} == {"green"}
    only_red = await tasks_client.get(
        f"{API}/todo", params={"warning_light": "red"}, headers=scene.headers("zhengwu")
    )
    assert only_red.json()["items"] == []


async def test_a_key_project_gets_its_light_from_its_nodes(
    tasks_client: httpx.AsyncClient, scene: Scene, files_dir: Any
) -> None:
    from tests.reform_tasks.test_projects import _register

    clock.freeze(datetime(2026, 9, 17, 2, tzinfo=UTC))
    try:
        project = await _register(tasks_client, scene)
        assert (project["warning_light"], project["warning_reason"]) == (
            "red",
            "落后序时进度 50 个百分点（应完成 50%，已完成 0%）",
        )
        first = project["nodes"][0]["id"]
        done = await tasks_client.post(
            f"{API}/projects/{project['id']}/nodes/{first}/done",
            json={"actual_on": "2026-07-03"},
            headers=scene.headers("shichang"),
        )
        assert done.json()["warning_light"] == "green"
        # One node of ten due and open: 10 points behind is yellow, but 3 months late is red.
        later = [{"name": f"节点{i}", "planned_on": f"2027-0{i}-01"} for i in range(1, 10)]
        slow = await _register(
            tasks_client,
            scene,
            "XM-002",
            nodes=[{"name": "完成土地摘牌", "planned_on": "2026-06-16"}, *later],
        )
        assert slow["warning_light"] == "red"
        assert "逾期超过 3 个月（计划 2026-06-16）" in slow["warning_reason"]
        listed = await tasks_client.get(f"{API}/projects", headers=scene.headers("office"))
        assert {p["code"]: p["warning_light"] for p in listed.json()["items"]} == {
            "XM-001": "green",
            "XM-002": "red",
        }
    finally:
        clock.freeze(None)
