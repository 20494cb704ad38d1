"""Supervision escalates 督办 → 二次督办 → 问责 with a frozen clock; problems close item by item;
sweeps announce lagging milestones and overdue problems once each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import OutboxEvent, Role, UnitMessage
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(datetime(2026, 5, 4, 2, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _events(session: AsyncSession, kind: str) -> list[OutboxEvent]:
    return list(
        (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == kind).order_by(OutboxEvent.created_at)
            )
        ).all()
    )


async def test_supervision_escalates_to_second_then_accountability(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    office = scene.headers("office")
    issued = await tasks_client.post(
        f"{API}/supervisions",
        json={
            "unit_code": "shichang",
            "subject": {"task_number": 1, "milestone_ordinal": 1},
            "reason": "方案制定滞后一个月",
            "due_on": "2026-05-15",
        },
        headers=office,
    )
    assert issued.status_code == 201, issued.text
    again = await tasks_client.post(
        f"{API}/supervisions",
        json={
            "unit_code": "shichang",
            "subject": {"task_number": 1, "milestone_ordinal": 1},
            "reason": "重复督办同一事项",
            "due_on": "2026-05-20",
        },
        headers=office,
    )
    assert again.status_code == 409

    async def sweep(day: str) -> dict[str, int]:
        response = await tasks_client.post(
            f"{API}/sweeps/supervision", params={"as_of": day}, headers=office
        )
        assert response.status_code == 200, response.text
        body: dict[str, int] = response.json()
        return body

    assert (await sweep("2026-05-15"))["escalated_to_second"] == 0  # due today: not yet late
    assert (await sweep("2026-05-16"))["escalated_to_second"] == 1
    assert (await sweep("2026-05-16"))["escalated_to_second"] == 0  # idempotent
    assert (await sweep("2026-05-23"))["escalated_to_accountability"] == 0
    assert (await sweep("2026-05-24"))["escalated_to_accountability"] == 1
    levels = [e.data["level"] for e in await _events(session, "supervision.escalated")]
    assert levels == ["first", "second", "accountability"]

    mine = await tasks_client.get(f"{API}/supervisions", headers=scene.headers("shichang"))
    assert [(s["level"], s["status"]) for s in mine.json()["items"]] == [
        ("first", "escalated"),
        ("second", "escalated"),
        ("accountability", "open"),
    ]
    others = await tasks_client.get(f"{API}/supervisions", headers=scene.headers("shuiwu"))
    assert others.json()["items"] == []
    inbox = (await session.scalars(select(UnitMessage.title).order_by(UnitMessage.id))).all()
    assert [t.split("】")[0] for t in inbox] == ["【督办", "【二次督办", "【问责"]
    timeline = await tasks_client.get(f"{API}/tasks/1/timeline", headers=office)
    kinds = [e["kind"] for e in timeline.json()["items"]]
    assert kinds[-3:] == ["supervision.first", "supervision.second", "supervision.accountability"]


async def test_fixed_subject_resolves_instead_of_escalating(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    office = scene.headers("office")
    created = await tasks_client.post(
        f"{API}/problems",
        json={
            "source": "inspection",
            "problem": "窗口办事排队时间过长",
            "cause": "窗口人手不足",
            "measure": "增设综合窗口并推行预约",
            "responsible_unit": "hexiqu",
            "found_on": "2026-04-20",
            "due_on": "2026-05-10",
        },
        headers=office,
    )
    assert created.status_code == 201, created.text
    await tasks_client.post(
        f"{API}/supervisions",
        json={
            "unit_code": "hexiqu",
            "subject": {"problem_number": 1},
            "reason": "排队问题尚未整改",
            "due_on": "2026-05-12",
        },
        headers=office,
    )
    closed = await tasks_client.post(
        f"{API}/problems/1/close-out", json={"note": "已增设窗口，平均等候10分钟"}, headers=office
    )
    assert closed.status_code == 200
    result = await tasks_client.post(
        f"{API}/sweeps/supervision", params={"as_of": "2026-05-20"}, headers=office
    )
    assert result.json()["resolved"] == 1
    assert result.json()["escalated_to_second"] == 0


async def test_units_cannot_issue_supervisions_or_sweep(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    body = {
        "unit_code": "zhengwu",
        "subject": {"task_number": 1, "milestone_ordinal": 1},
        "reason": "无权督办测试",
        "due_on": "2026-12-01",
    }
    assert (
        await tasks_client.post(f"{API}/supervisions", json=body, headers=scene.headers("shichang"))
    ).status_code == 403
    assert (
        await tasks_client.post(f"{API}/sweeps/lagging", headers=scene.headers("shichang"))
    ).status_code == 403


async def test_problem_list_progress_and_close_out(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    office = scene.headers("office")
    for n, unit in enumerate(("hexiqu", "yunzhongqu")):
        response = await tasks_client.post(
            f"{API}/problems",
            json={
                "source": "hotline",
                "problem": f"企业反映开办材料重复提交{n}",
                "cause": "部门间数据未共享",
                "measure": "打通数据共享接口",
                "responsible_unit": unit,
                "found_on": "2026-04-01",
                "due_on": "2026-04-30",
            },
            headers=office,
        )
        assert response.status_code == 201
        assert response.json()["number"] == n + 1
    own = await tasks_client.get(f"{API}/problems", headers=scene.headers("hexiqu", Role.unit))
    assert [p["number"] for p in own.json()["items"]] == [1]
    assert own.json()["items"][0]["overdue"] is True
    other = await tasks_client.get(f"{API}/problems/2", headers=scene.headers("hexiqu", Role.unit))
    assert other.status_code == 404
    progress = await tasks_client.post(
        f"{API}/problems/1/progress",
        json={"note": "已完成接口开发，正在联调"},
        headers=scene.headers("hexiqu", Role.unit),
    )
    assert progress.status_code == 200
    not_theirs = await tasks_client.post(
        f"{API}/problems/2/progress",
        json={"note": "越权"},
        headers=scene.headers("hexiqu", Role.unit),
    )
    assert not_theirs.status_code == 404
    unit_close = await tasks_client.post(
        f"{API}/problems/1/close-out",
        json={"note": "自行销号"},
        headers=scene.headers("hexiqu", Role.unit),
    )
    assert unit_close.status_code == 403
    closed = await tasks_client.post(
        f"{API}/problems/1/close-out", json={"note": "核查通过"}, headers=office
    )
    assert closed.json()["status"] == "closed"
    twice = await tasks_client.post(
        f"{API}/problems/1/close-out", json={"note": "再次销号"}, headers=office
    )
    assert twice.status_code == 409
    events = await _events(session, "problem.closed")
    assert [(e.unit_code, e.data["on_time"]) for e in events] == [("hexiqu", False)]

    overdue = await tasks_client.post(
        f"{API}/sweeps/problems", params={"as_of": "2026-05-04"}, headers=office
    )
    assert overdue.json()["announced"] == 1  # problem 2; problem 1 is closed
    again = await tasks_client.post(
        f"{API}/sweeps/problems", params={"as_of": "2026-05-05"}, headers=office
    )
    assert again.json()["announced"] == 0


async def test_lagging_sweep_announces_each_severity_once(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")

    async def sweep(day: str) -> int:
        response = await tasks_client.post(
            f"{API}/sweeps/lagging", params={"as_of": day}, headers=office
        )
        count: int = response.json()["announced"]
        return count

    assert await sweep("2026-03-31") == 0
    assert await sweep("2026-04-02") == 1  # task 1 milestone 1 (due 03-31)
    assert await sweep("2026-04-03") == 0
    assert await sweep("2026-05-02") == 2  # task 1 now seriously lagging; task 2 lagging
    events = await _events(session, "milestone.lagging")
    assert [(e.data["task_number"], e.data["severity"]) for e in events] == [
        (1, "lagging"),
        (1, "seriously_lagging"),
        (2, "lagging"),
    ]
