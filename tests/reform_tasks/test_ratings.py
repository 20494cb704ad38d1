"""Rating windows: lead units rate their responsible units inside the window, never themselves,
one rating per (window, task, unit), editable until closed; each save goes to evaluation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import OutboxEvent, Rating, Role
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"


@pytest.fixture
def in_q3() -> Iterator[None]:
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _open_window(client: httpx.AsyncClient, scene: Scene) -> None:
    response = await client.post(
        f"{API}/rating-windows",
        json={
            "code": "2026-Q3",
            "name": "2026年第三季度",
            "opens_on": "2026-09-15",
            "closes_on": "2026-09-30",
        },
        headers=scene.headers("office"),
    )
    assert response.status_code == 201, response.text


async def test_lead_unit_rates_its_responsible_units_and_can_edit(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    url = f"{API}/rating-windows/2026-Q3/ratings/1/zhengwu"
    first = await tasks_client.put(
        url, json={"score": 88.5, "comment": "按期完成"}, headers=scene.headers("shichang")
    )
    assert first.status_code == 200, first.text
    second = await tasks_client.put(
        url,
        json={"score": 92, "comment": "补充材料后优秀"},
        headers={**scene.headers("shichang"), "If-Match": '"1"'},
    )
    assert second.status_code == 200
    assert second.json()["version"] == 2
    stale = await tasks_client.put(
        url,
        json={"score": 70, "comment": "x"},
        headers={**scene.headers("shichang"), "If-Match": '"1"'},
    )
    assert stale.status_code == 412
    assert await session.scalar(select(func.count()).select_from(Rating)) == 1
    events = (
        await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "rating.submitted")
            .order_by(OutboxEvent.created_at)
        )
    ).all()
    assert [(e.unit_code, e.data["score"], e.data["version"]) for e in events] == [
        ("zhengwu", 88.5, 1),
        ("zhengwu", 92.0, 2),
    ]

    sheet = await tasks_client.get(
        f"{API}/rating-windows/2026-Q3/sheet", headers=scene.headers("shichang")
    )
    assert [(r["rated_unit"], r["score"]) for r in sheet.json()["items"]] == [
        ("yunzhongqu", None),
        ("zhengwu", 92.0),
    ]
    received = await tasks_client.get(f"{API}/ratings", headers=scene.headers("zhengwu", Role.unit))
    assert [r["score"] for r in received.json()["items"]] == [92.0]
    outsider = await tasks_client.get(f"{API}/ratings", headers=scene.headers("keji"))
    assert outsider.json()["items"] == []


async def test_rating_rules(tasks_client: httpx.AsyncClient, scene: Scene, in_q3: None) -> None:
    await _open_window(tasks_client, scene)
    base = f"{API}/rating-windows/2026-Q3/ratings"
    not_lead = await tasks_client.put(
        f"{base}/1/yunzhongqu", json={"score": 80}, headers=scene.headers("zhengwu", Role.unit)
    )
    assert not_lead.status_code == 403
    self_rating = await tasks_client.put(
        f"{base}/1/shichang", json={"score": 100}, headers=scene.headers("shichang")
    )
    assert self_rating.status_code == 422
    assert self_rating.json()["detail"] == "不能为本单位评分"
    not_responsible = await tasks_client.put(
        f"{base}/1/keji", json={"score": 80}, headers=scene.headers("shichang")
    )
    assert not_responsible.status_code == 422
    low_without_reason = await tasks_client.put(
        f"{base}/1/zhengwu", json={"score": 50}, headers=scene.headers("shichang")
    )
    assert low_without_reason.status_code == 422
    too_high = await tasks_client.put(
        f"{base}/1/zhengwu", json={"score": 101}, headers=scene.headers("shichang")
    )
    assert too_high.status_code == 422


async def test_window_closed_or_not_yet_open_refuses_ratings(
    tasks_client: httpx.AsyncClient, scene: Scene, in_q3: None
) -> None:
    await _open_window(tasks_client, scene)
    url = f"{API}/rating-windows/2026-Q3/ratings/1/zhengwu"
    clock.freeze(datetime(2026, 9, 1, tzinfo=UTC))
    early = await tasks_client.put(url, json={"score": 90}, headers=scene.headers("shichang"))
    assert early.status_code == 409
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))
    closed = await tasks_client.post(
        f"{API}/rating-windows/2026-Q3/close", headers=scene.headers("office")
    )
    assert closed.status_code == 200
    after = await tasks_client.put(url, json={"score": 90}, headers=scene.headers("shichang"))
    assert after.status_code == 409
    unit_close = await tasks_client.post(
        f"{API}/rating-windows/2026-Q3/close", headers=scene.headers("shichang")
    )
    assert unit_close.status_code == 403
