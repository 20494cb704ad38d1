"""Daily sweeps with a frozen clock: a milestone that becomes lagging, then seriously lagging, is
announced once per severity; an open problem past its due date is announced once. The scheduler
(a service token) and the office may run them; units may not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import Milestone, OutboxEvent, Problem, Role, UnitMessage
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(datetime(2026, 5, 4, 2, tzinfo=UTC))  # 2026-05-04 10:00 in Shanghai
    yield
    clock.freeze(None)


async def _sweep(
    client: httpx.AsyncClient, scene: Scene, kind: str, day: str | None
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/sweeps/{kind}",
        params={"as_of": day} if day else {},
        headers=scene.headers("office"),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _events(session: AsyncSession, kind: str) -> list[OutboxEvent]:
    return list(
        (
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == kind)
                .order_by(OutboxEvent.occurred_at, OutboxEvent.data["task_number"].as_integer())
            )
        ).all()
    )


async def test_lagging_sweep_emits_lagging_then_seriously_lagging_once_each(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    async def announced(day: str) -> tuple[int, int, int]:
        result = await _sweep(tasks_client, scene, "lagging", day)
        assert result["as_of"] == day
        return result["announced"], result["lagging"], result["seriously_lagging"]

    assert await announced("2026-03-31") == (0, 0, 0)  # due today: not late yet
    assert await announced("2026-04-01") == (1, 1, 0)  # task 1 milestone 1 (due 03-31)
    assert await announced("2026-04-01") == (0, 0, 0)
    assert await announced("2026-04-20") == (0, 0, 0)
    # Task 1's milestone passes 30 days late; task 2's (due 04-30) becomes lagging.
    assert await announced("2026-05-01") == (2, 1, 1)
    assert await announced("2026-05-02") == (0, 0, 0)

    events = await _events(session, "milestone.lagging")
    assert [(e.data["task_number"], e.data["milestone"], e.data["severity"]) for e in events] == [
        (1, 1, "lagging"),
        (1, 1, "seriously_lagging"),
        (2, 1, "lagging"),
    ]
    first = events[0]
    assert first.unit_code == "shichang"
    assert first.programme == "2026"
    assert {k: first.data[k] for k in ("days_late", "planned_date", "lead_unit")} == {
        "days_late": 1,
        "planned_date": "2026-03-31",
        "lead_unit": "shichang",
    }
    assert first.data["responsible_units"] == ["yunzhongqu", "zhengwu"]
    assert first.data["previous_severity"] == "none"
    assert (events[1].data["days_late"], events[1].data["previous_severity"]) == (31, "lagging")
    assert first.occurred_at.isoformat().startswith("2026-04-01T01:00")  # 09:00 in Shanghai

    levels = (
        await session.execute(
            select(
                Milestone.task_id, Milestone.ordinal, Milestone.lagging_level, Milestone.version
            ).order_by(Milestone.task_id, Milestone.ordinal)
        )
    ).all()
    assert [(row[2], row[3]) for row in levels] == [
        ("seriously_lagging", 1),  # the units' If-Match on the milestone still holds
        ("none", 1),
        ("lagging", 1),
        ("none", 1),
    ]

    timeline = await tasks_client.get(
        f"{API}/tasks/1/timeline", headers=scene.headers("zhengwu", Role.unit)
    )
    assert [e["kind"] for e in timeline.json()["items"]][-2:] == [
        "milestone.lagging",
        "milestone.seriously_lagging",
    ]
    inbox = (
        await session.scalars(
            select(UnitMessage.title)
            .where(UnitMessage.unit_id == scene.units["yunzhongqu"].id)
            .order_by(UnitMessage.id)
        )
    ).all()
    assert inbox == ["【滞后】任务1第1个时间节点", "【严重滞后】任务1第1个时间节点"]


async def test_first_sweep_after_a_long_gap_announces_only_the_worst_severity(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    result = await _sweep(tasks_client, scene, "lagging", "2026-06-15")
    assert (result["lagging"], result["seriously_lagging"]) == (0, 2)
    events = await _events(session, "milestone.lagging")
    assert [(e.data["task_number"], e.data["previous_severity"]) for e in events] == [
        (1, "none"),
        (2, "none"),
    ]


async def test_programme_thresholds_decide_lagging(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    scene.programme.settings = {"lagging_after_days": 5, "seriously_lagging_after_days": 10}
    await session.flush()
    assert (await _sweep(tasks_client, scene, "lagging", "2026-04-05"))["announced"] == 0
    assert (await _sweep(tasks_client, scene, "lagging", "2026-04-06"))["lagging"] == 1
    assert (await _sweep(tasks_client, scene, "lagging", "2026-04-11"))["seriously_lagging"] == 1


async def test_closed_out_milestone_is_not_announced(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    report = await tasks_client.post(
        f"{API}/tasks/1/milestones/1/reports",
        data={
            "content": "已印发工作方案",
            "claims_completion": "true",
            "completion_date": "2026-04-10",
        },
        headers=scene.headers("zhengwu", Role.unit),
    )
    assert report.status_code == 201, report.text
    accepted = await tasks_client.post(
        f"{API}/reports/{report.json()['id']}/review",
        json={"decision": "accept"},
        headers=scene.headers("shichang"),
    )
    assert accepted.status_code == 200, accepted.text
    closed = await tasks_client.post(
        f"{API}/tasks/1/milestones/1/close-out", headers=scene.headers("office")
    )
    assert closed.status_code == 200, closed.text
    result = await _sweep(tasks_client, scene, "lagging", "2026-05-01")
    # Only task 2's milestone: task 1's was completed (late, but completed).
    assert (result["announced"], result["lagging"]) == (1, 1)
    events = await _events(session, "milestone.lagging")
    assert [e.data["task_number"] for e in events] == [2]


async def test_supervised_milestone_completed_meanwhile_is_resolved_by_the_sweep(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    issued = await tasks_client.post(
        f"{API}/supervisions",
        json={
            "unit_code": "zhengwu",
            "subject": {"task_number": 1, "milestone_ordinal": 1},
            "reason": "工作方案滞后，限期印发",
            "due_on": "2026-05-10",
        },
        headers=scene.headers("office"),
    )
    assert issued.status_code == 201, issued.text
    report = await tasks_client.post(
        f"{API}/tasks/1/milestones/1/reports",
        data={
            "content": "已印发工作方案",
            "claims_completion": "true",
            "completion_date": "2026-05-04",
        },
        headers=scene.headers("zhengwu", Role.unit),
    )
    accepted = await tasks_client.post(
        f"{API}/reports/{report.json()['id']}/review",
        json={"decision": "accept"},
        headers=scene.headers("shichang"),
    )
    assert accepted.status_code == 200, accepted.text
    closed = await tasks_client.post(
        f"{API}/tasks/1/milestones/1/close-out", headers=scene.headers("office")
    )
    assert closed.status_code == 200, closed.text
    summary = await _sweep(tasks_client, scene, "supervision", "2026-05-11")
    assert (summary["resolved"], summary["escalated_to_second"]) == (1, 0)


async def test_overdue_sweep_emits_once_per_problem(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    office = scene.headers("office")
    for unit, due in (
        ("hexiqu", "2026-04-30"),
        ("yunzhongqu", "2026-05-31"),
        ("hexiqu", "2026-04-15"),
    ):
        response = await tasks_client.post(
            f"{API}/problems",
            json={
                "source": "inspection",
                "problem": "企业反映开办材料重复提交",
                "cause": "部门间数据未共享",
                "measure": "打通数据共享接口",
                "responsible_unit": unit,
                "found_on": "2026-04-01",
                "due_on": due,
            },
            headers=office,
        )
        assert response.status_code == 201
    await tasks_client.post(f"{API}/problems/3/close-out", json={"note": "已整改"}, headers=office)

    assert (await _sweep(tasks_client, scene, "problems", "2026-04-30"))["announced"] == 0
    assert (await _sweep(tasks_client, scene, "problems", "2026-05-01"))["announced"] == 1
    assert (await _sweep(tasks_client, scene, "problems", "2026-05-02"))["announced"] == 0
    assert (await _sweep(tasks_client, scene, "problems", "2026-06-01"))["announced"] == 1
    assert (await _sweep(tasks_client, scene, "problems", "2026-07-01"))["announced"] == 0

    events = (
        await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "problem.overdue")
            .order_by(OutboxEvent.occurred_at)
        )
    ).all()
    assert [(e.unit_code, e.data["problem_number"], e.data["days_overdue"]) for e in events] == [
        ("hexiqu", 1, 1),
        ("yunzhongqu", 2, 1),
    ]
    assert events[0].data["due_on"] == "2026-04-30"
    reported = (
        await session.execute(
            select(Problem.number, Problem.overdue_reported_on, Problem.version).order_by(
                Problem.number
            )
        )
    ).all()
    assert [(n, str(d) if d else None, v) for n, d, v in reported] == [
        (1, "2026-05-01", 1),
        (2, "2026-06-01", 1),
        (3, None, 2),
    ]
    # The sweep did not change the problem's version: the office's If-Match still holds.
    edit = await tasks_client.patch(
        f"{API}/problems/1", json={"measure": "上线共享平台"}, headers={**office, "If-Match": '"1"'}
    )
    assert edit.status_code == 200, edit.text
    timeline = await tasks_client.get(
        f"{API}/problems/1/timeline", headers=scene.headers("hexiqu", Role.unit)
    )
    assert "problem.overdue" in [e["kind"] for e in timeline.json()["items"]]
    inbox = (
        await session.scalars(
            select(UnitMessage.title).where(UnitMessage.unit_id == scene.units["hexiqu"].id)
        )
    ).all()
    assert "【问题逾期】问题1" in inbox


async def test_scheduler_runs_sweeps_for_today_by_default(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    scheduler = scene.factory.headers("scheduler", Role.service, None)
    for kind in ("lagging", "problems", "supervision"):
        response = await tasks_client.post(f"{API}/sweeps/{kind}", headers=scheduler)
        assert response.status_code == 200, response.text
        assert response.json()["as_of"] == "2026-05-04"
    assert (await _sweep(tasks_client, scene, "lagging", None))["as_of"] == "2026-05-04"


async def test_units_and_viewers_cannot_run_sweeps(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    for kind in ("lagging", "problems", "supervision"):
        for headers in (
            scene.headers("shichang"),
            scene.headers("hexiqu", Role.unit),
            scene.headers("viewer"),
        ):
            response = await tasks_client.post(
                f"{API}/sweeps/{kind}", params={"as_of": "2026-05-01"}, headers=headers
            )
            assert response.status_code == 403
