"""Rating windows: the lead unit of a task rates each of its responsible units inside the window
the office set, never itself, one rating per (window, task, unit), editable until the window
closes; every save goes to evaluation as `rating.submitted`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import AuditLog, OutboxEvent, Rating, Role, UnitMessage
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"
WINDOW = f"{API}/rating-windows/2026-Q3"


@pytest.fixture
def in_q3() -> Iterator[None]:
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))  # 2026-09-20 12:00 in Shanghai
    yield
    clock.freeze(None)


async def _open_window(client: httpx.AsyncClient, scene: Scene, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        f"{API}/rating-windows",
        json={
            "code": "2026-Q3",
            "name": "2026年第三季度",
            "opens_on": "2026-09-15",
            "closes_on": "2026-09-30",
            **overrides,
        },
        headers=scene.headers("office"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _rate(
    client: httpx.AsyncClient,
    scene: Scene,
    task: int,
    unit: str,
    score: float,
    comment: str = "按期完成",
    *,
    rater: str = "shichang",
    role: Role = Role.lead_unit,
    if_match: str | None = None,
) -> httpx.Response:
    headers = scene.headers(rater, role)
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.put(
        f"{WINDOW}/ratings/{task}/{unit}",
        json={"score": score, "comment": comment},
        headers=headers,
    )


async def _rating_events(session: AsyncSession) -> list[OutboxEvent]:
    return list(
        (
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == "rating.submitted")
                .order_by(OutboxEvent.created_at, OutboxEvent.data["version"].as_integer())
            )
        ).all()
    )


async def test_re_rating_updates_the_one_rating_and_emits_a_second_event(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    first = await _rate(tasks_client, scene, 1, "zhengwu", 88.5)
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"1"'
    assert (first.json()["score"], first.json()["version"]) == (88.5, 1)

    second = await _rate(tasks_client, scene, 1, "zhengwu", 92, "补充材料后优秀", if_match='"1"')
    assert second.status_code == 200, second.text
    assert (second.json()["score"], second.json()["version"]) == (92.0, 2)
    assert second.headers["ETag"] == '"2"'

    assert await session.scalar(select(func.count()).select_from(Rating)) == 1
    events = await _rating_events(session)
    assert [
        (
            e.unit_code,
            e.programme,
            e.data["window"],
            e.data["task_number"],
            e.data["rater_unit"],
            e.data["rated_unit"],
            e.data["score"],
            e.data["scale_max"],
            e.data["version"],
        )
        for e in events
    ] == [
        ("zhengwu", "2026", "2026-Q3", 1, "shichang", "zhengwu", 88.5, 100, 1),
        ("zhengwu", "2026", "2026-Q3", 1, "shichang", "zhengwu", 92.0, 100, 2),
    ]
    audits = (
        await session.scalars(
            select(AuditLog).where(AuditLog.action == "rating.submitted").order_by(AuditLog.id)
        )
    ).all()
    assert [(a.actor_username, a.before, (a.after or {})["score"]) for a in audits] == [
        ("shichang", None, 88.5),
        ("shichang", {"score": 88.5, "comment": "按期完成", "version": 1}, 92.0),
    ]


async def test_stale_if_match_is_refused_with_412(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    assert (await _rate(tasks_client, scene, 1, "zhengwu", 80)).status_code == 200
    assert (await _rate(tasks_client, scene, 1, "zhengwu", 85, if_match='"1"')).status_code == 200
    stale = await _rate(tasks_client, scene, 1, "zhengwu", 70, "重新评估", if_match='"1"')
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert "已被修改" in stale.json()["detail"]
    rating = await session.scalar(select(Rating))
    assert rating is not None
    assert (float(rating.score), rating.version) == (85.0, 2)
    assert len(await _rating_events(session)) == 2


async def test_lead_unit_cannot_rate_itself(
    tasks_client: httpx.AsyncClient, scene: Scene, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    response = await _rate(tasks_client, scene, 1, "shichang", 100)
    assert response.status_code == 422
    assert response.json()["detail"] == "不能为本单位评分"


async def test_only_the_tasks_lead_unit_may_rate(
    tasks_client: httpx.AsyncClient, scene: Scene, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    responsible = await _rate(tasks_client, scene, 1, "yunzhongqu", 80, rater="zhengwu")
    assert responsible.status_code == 403
    office = await tasks_client.put(
        f"{WINDOW}/ratings/1/zhengwu", json={"score": 80}, headers=scene.headers("office")
    )
    assert office.status_code == 403
    viewer = await tasks_client.put(
        f"{WINDOW}/ratings/1/zhengwu", json={"score": 80}, headers=scene.headers("viewer")
    )
    assert viewer.status_code == 403
    # The lead of task 2 cannot even see task 1.
    other_lead = await _rate(tasks_client, scene, 1, "zhengwu", 80, rater="shuiwu")
    assert other_lead.status_code == 404


async def test_rated_unit_must_be_a_responsible_unit_of_the_task(
    tasks_client: httpx.AsyncClient, scene: Scene, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    response = await _rate(tasks_client, scene, 1, "keji", 80)
    assert response.status_code == 422
    assert "不是任务 1 的责任单位" in response.json()["detail"]


async def test_score_within_scale_and_low_scores_need_a_comment(
    tasks_client: httpx.AsyncClient, scene: Scene, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    too_high = await _rate(tasks_client, scene, 1, "zhengwu", 100.5)
    assert too_high.status_code == 422
    assert too_high.json()["errors"][0]["loc"] == ["body", "score"]
    two_decimals = await _rate(tasks_client, scene, 1, "zhengwu", 80.25)
    assert two_decimals.status_code == 422
    negative = await _rate(tasks_client, scene, 1, "zhengwu", -1)
    assert negative.status_code == 422
    low_without_reason = await _rate(tasks_client, scene, 1, "zhengwu", 59.9, "  ")
    assert low_without_reason.status_code == 422
    assert low_without_reason.json()["errors"][0]["loc"] == ["body", "comment"]
    low_with_reason = await _rate(tasks_client, scene, 1, "zhengwu", 59.9, "配合不力，材料迟报")
    assert low_with_reason.status_code == 200
    assert (await _rate(tasks_client, scene, 1, "yunzhongqu", 100, "")).status_code == 200


async def test_window_scale_max_sets_the_scale(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, in_q3: None
) -> None:
    window = await _open_window(tasks_client, scene, scale_max=10)
    assert window["scale_max"] == 10
    assert (await _rate(tasks_client, scene, 1, "zhengwu", 10.5)).status_code == 422
    assert (await _rate(tasks_client, scene, 1, "zhengwu", 5.5, "")).status_code == 422
    assert (await _rate(tasks_client, scene, 1, "zhengwu", 9.5, "")).status_code == 200
    (event,) = await _rating_events(session)
    assert (event.data["score"], event.data["scale_max"]) == (9.5, 10)


async def test_ratings_outside_the_window_are_refused_with_409(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    clock.freeze(datetime(2026, 9, 14, 15, 59, tzinfo=UTC))  # 09-14 23:59 Shanghai
    early = await _rate(tasks_client, scene, 1, "zhengwu", 90)
    assert early.status_code == 409
    assert "未开放" in early.json()["detail"]
    clock.freeze(datetime(2026, 9, 14, 16, 0, tzinfo=UTC))  # 09-15 00:00 Shanghai: opens
    assert (await _rate(tasks_client, scene, 1, "zhengwu", 90)).status_code == 200
    clock.freeze(datetime(2026, 9, 30, 16, 0, tzinfo=UTC))  # 10-01 00:00 Shanghai: past closes_on
    late = await _rate(tasks_client, scene, 1, "zhengwu", 95, if_match='"1"')
    assert late.status_code == 409
    assert "已关闭" in late.json()["detail"]
    assert len(await _rating_events(session)) == 1


async def test_closed_window_refuses_edits_and_cannot_close_twice(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    assert (await _rate(tasks_client, scene, 1, "zhengwu", 90)).status_code == 200
    closed = await tasks_client.post(f"{WINDOW}/close", headers=scene.headers("office"))
    assert closed.status_code == 200
    assert closed.json()["closed_at"].startswith("2026-09-20T04:00")
    assert closed.json()["is_open"] is False
    edit = await _rate(tasks_client, scene, 1, "zhengwu", 60, "修改", if_match='"1"')
    assert edit.status_code == 409
    again = await tasks_client.post(f"{WINDOW}/close", headers=scene.headers("office"))
    assert again.status_code == 409
    rating = await session.scalar(select(Rating))
    assert rating is not None
    assert float(rating.score) == 90.0


async def test_office_sets_windows_units_cannot(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, in_q3: None
) -> None:
    created = await _open_window(tasks_client, scene)
    assert created["is_open"] is True
    duplicate = await tasks_client.post(
        f"{API}/rating-windows",
        json={
            "code": "2026-Q3",
            "name": "重复",
            "opens_on": "2026-09-01",
            "closes_on": "2026-09-30",
        },
        headers=scene.headers("office"),
    )
    assert duplicate.status_code == 409
    backwards = await tasks_client.post(
        f"{API}/rating-windows",
        json={
            "code": "2026-Q4",
            "name": "四季度",
            "opens_on": "2026-12-31",
            "closes_on": "2026-12-01",
        },
        headers=scene.headers("office"),
    )
    assert backwards.status_code == 422
    by_unit = await tasks_client.post(
        f"{API}/rating-windows",
        json={
            "code": "2026-Q4",
            "name": "四季度",
            "opens_on": "2026-12-01",
            "closes_on": "2026-12-31",
        },
        headers=scene.headers("shichang"),
    )
    assert by_unit.status_code == 403
    assert (
        await tasks_client.post(f"{WINDOW}/close", headers=scene.headers("shichang"))
    ).status_code == 403
    listed = await tasks_client.get(f"{API}/rating-windows", headers=scene.headers("keji"))
    assert [(w["code"], w["is_open"]) for w in listed.json()["items"]] == [("2026-Q3", True)]
    # Every lead unit hears that the window is open.
    messages = (
        await session.scalars(
            select(UnitMessage.unit_id).where(UnitMessage.kind == "rating").order_by(UnitMessage.id)
        )
    ).all()
    assert sorted(messages) == sorted([scene.units["shichang"].id, scene.units["shuiwu"].id])
    assert (
        await session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "rating_window.created")
        )
        == 1
    )


async def test_sheet_lists_the_lead_units_pairs_with_current_scores(
    tasks_client: httpx.AsyncClient, scene: Scene, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    await _rate(tasks_client, scene, 1, "zhengwu", 92)
    mine = await tasks_client.get(f"{WINDOW}/sheet", headers=scene.headers("shichang"))
    assert mine.status_code == 200
    assert [
        (r["task_number"], r["rated_unit"], r["score"], r["version"]) for r in mine.json()["items"]
    ] == [
        (1, "yunzhongqu", None, None),
        (1, "zhengwu", 92.0, 1),
    ]
    everything = await tasks_client.get(f"{WINDOW}/sheet", headers=scene.headers("office"))
    assert [
        (r["task_number"], r["rater_unit"], r["rated_unit"]) for r in everything.json()["items"]
    ] == [
        (1, "shichang", "yunzhongqu"),
        (1, "shichang", "zhengwu"),
        (2, "shuiwu", "hexiqu"),
    ]
    assert everything.json()["total"] == 3
    page = await tasks_client.get(
        f"{WINDOW}/sheet", params={"limit": 1, "offset": 2}, headers=scene.headers("office")
    )
    assert (page.json()["total"], [r["rated_unit"] for r in page.json()["items"]]) == (
        3,
        ["hexiqu"],
    )
    leads_nothing = await tasks_client.get(
        f"{WINDOW}/sheet", headers=scene.headers("keji", Role.unit)
    )
    assert leads_nothing.json() == {"items": [], "total": 0}
    missing = await tasks_client.get(
        f"{API}/rating-windows/2026-Q4/sheet", headers=scene.headers("office")
    )
    assert missing.status_code == 404


async def test_ratings_list_is_scoped_to_given_and_received(
    tasks_client: httpx.AsyncClient, scene: Scene, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    await _rate(tasks_client, scene, 1, "zhengwu", 92, "牵头协调有力")
    await _rate(tasks_client, scene, 1, "yunzhongqu", 75, "进度偏慢")
    await _rate(tasks_client, scene, 2, "hexiqu", 88, "按期完成", rater="shuiwu")

    async def listed(who: str, role: Role = Role.lead_unit, **params: Any) -> list[tuple[Any, ...]]:
        response = await tasks_client.get(
            f"{API}/ratings", params=params, headers=scene.headers(who, role)
        )
        assert response.status_code == 200
        return [(r["task_number"], r["rated_unit"], r["comment"]) for r in response.json()["items"]]

    assert len(await listed("office")) == 3
    assert len(await listed("viewer")) == 3
    assert await listed("shichang") == [
        (1, "yunzhongqu", "进度偏慢"),
        (1, "zhengwu", "牵头协调有力"),
    ]
    assert await listed("zhengwu", Role.unit) == [(1, "zhengwu", "牵头协调有力")]
    assert await listed("keji", Role.unit) == []
    assert await listed("office", task=2) == [(2, "hexiqu", "按期完成")]
    assert await listed("office", unit="yunzhongqu") == [(1, "yunzhongqu", "进度偏慢")]
    assert await listed("office", window="2026-Q4") == []
    # A filter never widens what a unit sees.
    assert await listed("zhengwu", Role.unit, unit="hexiqu") == []
