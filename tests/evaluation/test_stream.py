"""The live score stream keeps a slow subscriber (after a burst it still gets the latest change),
shows a unit account other units' totals only, and ends when the token expires or is revoked."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest

from services.evaluation.score.stream import QUEUE_SIZE, Broadcaster
from shared.auth import issue_token
from shared.models import Role
from shared.settings import Settings
from tests.conftest import Factory


def test_subscriber_behind_a_burst_keeps_the_latest_changes() -> None:
    """Behind a burst a subscriber skips intermediate totals, never a score's latest: one
    pending change per score (found by tests/reliability/test_two_replicas.py, where a queue of
    the last 1000 messages lost some scores' final totals), memory bounded by QUEUE_SIZE."""
    broadcaster = Broadcaster()
    queue = broadcaster.subscribe()
    units = [f"u{n}" for n in range(50)]
    for n in range(QUEUE_SIZE * 3):
        broadcaster.publish({"period": "2026", "unit_code": units[n % 50], "total": n})
    assert broadcaster.subscribers == 1
    assert queue.qsize() == 50
    latest = [queue.get_nowait() for _ in range(50)]
    assert [m["total"] for m in latest] == list(range(QUEUE_SIZE * 3 - 50, QUEUE_SIZE * 3))
    assert queue.empty()
    broadcaster.publish({"unit_code": "keji", "total": -1})
    assert queue.get_nowait()["total"] == -1
    for n in range(QUEUE_SIZE + 10):  # more scores than the bound: the oldest go
        broadcaster.publish({"period": f"p{n}", "unit_code": "keji", "total": n})
    assert queue.qsize() == QUEUE_SIZE
    assert queue.get_nowait()["total"] == 10


def _events(body: str) -> list[tuple[str, dict[str, object]]]:
    found = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        found.append((fields["event"], json.loads(fields["data"])))
    return found


async def test_the_stream_ends_when_the_token_expires_and_a_unit_sees_others_totals_only(
    evaluation_client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    """Issue #23: the stream closes at the token's expiry; a unit account gets every total but
    only its own changes whole."""
    token = issue_token(
        settings, username="keji", role=Role.unit, unit_code="keji", ttl=timedelta(seconds=2)
    )
    request = asyncio.create_task(
        evaluation_client.get(
            "/api/evaluation/v1/stream", headers={"Authorization": f"Bearer {token}"}
        )
    )
    await asyncio.sleep(0.5)
    app = evaluation_client._transport.app  # type: ignore[attr-defined]
    change = {"programme": "2026", "period": "2026", "total": 91.5, "grade": "优秀"}
    cause = {"event_id": "e1", "event_type": "work_order.visited", "event_ids": ["e1"]}
    app.state.broadcaster.publish({**change, "unit_code": "shuiwu", **cause})
    app.state.broadcaster.publish({**change, "unit_code": "keji", **cause})
    response = await asyncio.wait_for(request, timeout=10)
    events = _events(response.text)
    assert [name for name, _ in events] == [
        "ready",
        "score.changed",
        "score.changed",
        "session.ended",
    ]
    assert events[1][1] == {**change, "unit_code": "shuiwu"}  # another unit: the total only
    assert events[2][1] == {**change, "unit_code": "keji", **cause}  # its own: whole
    assert events[3][1] == {"reason": "expired"}


async def test_the_stream_ends_when_the_token_is_revoked(
    evaluation_client: httpx.AsyncClient,
    tasks_client: httpx.AsyncClient,
    factory: Factory,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stream re-checks its token every TOKEN_CHECK_SECONDS (3 s here). Both apps share the
    test's one database connection, which two requests must not use at once: the stream checks
    at 0 s and 3 s, the revocation is sent at 1 s, away from either."""
    monkeypatch.setattr(settings, "token_check_seconds", 3)
    await factory.liaison("keji", "云岭市科学技术局", "keji-stream-password")
    login = await tasks_client.post(
        "/api/auth/token", data={"username": "keji", "password": "keji-stream-password"}
    )
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    request = asyncio.create_task(evaluation_client.get("/api/evaluation/v1/stream", headers=token))
    await asyncio.sleep(1)
    disabled = await tasks_client.patch(
        "/api/tasks/v1/users/keji",
        json={"is_active": False},
        headers=factory.headers("office", Role.office_admin, None),
    )
    assert disabled.status_code == 200
    response = await asyncio.wait_for(request, timeout=10)
    assert _events(response.text)[-1] == ("session.ended", {"reason": "revoked"})
