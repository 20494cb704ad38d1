"""Live score updates across replicas (issue #24): two evaluation apps on one database, each with
its own engine and its own LISTEN connection, as two replicas behind a load balancer run. An
event consumed by one replica reaches the subscribers of both, once each, and only after its
transaction committed; a change that rolls back reaches no one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from services.evaluation.app import create_app
from services.evaluation.rule_set.schemas import deduction_task_delivery, default_rule_set
from services.evaluation.score.stream import NOTIFY_MAX_BYTES, notification
from shared.db import create_engine, create_sessionmaker
from shared.models import UnitKind
from shared.settings import Settings
from tests import pg
from tests.conftest import Factory
from tests.evaluation.conftest import Events, add_published_rule_set

JUNE = datetime(2026, 6, 15, 2, tzinfo=UTC)


@pytest.fixture
async def replicas(
    worker_id_name: str, settings: Settings
) -> AsyncIterator[tuple[list[FastAPI], list[httpx.AsyncClient], Factory]]:
    """Two replicas on a database of their own (their commits are real), with the city."""
    cluster = pg.test_cluster()
    name = f"replicas_{worker_id_name}"
    replica_settings = settings.model_copy(
        update={"database_url": pg.clone_database(cluster, name)}
    )
    engine = create_engine(replica_settings)
    apps = [create_app(replica_settings) for _ in range(2)]
    try:
        async with create_sessionmaker(engine)() as session:
            factory = Factory(session, replica_settings)
            for code in ("shichang", "shuiwu"):
                await factory.unit(code, UnitKind.department, name=f"云岭市{code}局")
            await factory.unit("yunzhongqu", UnitKind.district, name="云中区人民政府")
            body = default_rule_set()
            body.components = [
                deduction_task_delivery() if c.key == "task_delivery" else c
                for c in body.components
            ]
            await add_published_rule_set(session, body, date(2026, 1, 1))
            await session.commit()
            async with LifespanManager(apps[0]), LifespanManager(apps[1]):
                for app in apps:
                    await asyncio.wait_for(app.state.score_listener.listening.wait(), 10)
                clients = [
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=app), base_url="http://replica"
                    )
                    for app in apps
                ]
                yield apps, clients, factory
                for client in clients:
                    await client.aclose()
    finally:
        await engine.dispose()
        cluster.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _drain(queue: asyncio.Queue[dict[str, Any]], at_least: int) -> list[dict[str, Any]]:
    """What the queue receives within 5 s, once it has `at_least` messages, plus any stragglers."""
    got = [await asyncio.wait_for(queue.get(), 5) for _ in range(at_least)]
    await asyncio.sleep(0.3)
    while not queue.empty():
        got.append(queue.get_nowait())
    return got


async def test_a_change_committed_on_one_replica_reaches_the_subscribers_of_both(
    replicas: tuple[list[FastAPI], list[httpx.AsyncClient], Factory],
) -> None:
    apps, clients, factory = replicas
    queues = [app.state.broadcaster.subscribe() for app in apps]
    sent = await Events(clients[0], factory).send(
        "milestone.lagging", "shichang", JUNE, {"severity": "lagging"}
    )
    containing_june = {"2026", "2026-06", "2026-Q2", "2026-H1"}
    seen = [await _drain(queue, len(containing_june)) for queue in queues]
    assert seen[0] == seen[1]  # the replica that committed and the other alike, once each
    for message in seen[1]:
        assert (message["unit_code"], message["event_id"]) == ("shichang", sent["id"])
    assert {m["period"] for m in seen[1]} >= containing_june
    assert all(m["total"] == 99.5 for m in seen[1] if m["period"] in containing_june)
    assert len({(m["period"], m["total"]) for m in seen[1]}) == len(seen[1])  # no duplicates

    # The other way round: replica B consumes, A's subscriber is told.
    other = await Events(clients[1], factory).send(
        "milestone.lagging", "shuiwu", JUNE, {"severity": "lagging"}
    )
    told = await _drain(queues[0], len(containing_june))
    assert {m["event_id"] for m in told} == {other["id"]}
    assert {m["period"] for m in told if m["unit_code"] == "shuiwu"} >= containing_june


async def _until(queue: asyncio.Queue[dict[str, Any]], event_id: str) -> list[dict[str, Any]]:
    """Everything the queue receives up to the first change `event_id` caused (changes arrive
    in commit order), and that event's other changes."""
    got = [await asyncio.wait_for(queue.get(), 5)]
    while got[-1]["event_id"] != event_id:
        got.append(await asyncio.wait_for(queue.get(), 5))
    await asyncio.sleep(0.3)
    while not queue.empty():
        got.append(queue.get_nowait())
    return got


async def test_a_redelivered_or_refused_event_tells_no_one(
    replicas: tuple[list[FastAPI], list[httpx.AsyncClient], Factory],
) -> None:
    """Between two events that move scores, a redelivery (on the other replica) and an event
    that is parked announce nothing: changes arrive in commit order, so what the subscriber
    gets up to the second event's changes is exactly the two events' own."""
    apps, clients, factory = replicas
    events = Events(clients[0], factory)
    queue = apps[1].state.broadcaster.subscribe()
    envelope = events.envelope("milestone.lagging", "shichang", JUNE, {"severity": "lagging"})
    await events.post(envelope)
    first = await _until(queue, envelope["id"])
    assert {m["event_id"] for m in first} == {envelope["id"]}

    again = await clients[1].post("/internal/events", json=envelope, headers=events.headers)
    assert again.json()["duplicate"]
    bad = events.envelope("milestone.lagging", "shichang", JUNE, {"severity": "x"}, raw=True)
    parked = await clients[0].post("/internal/events", json=bad, headers=events.headers)
    assert parked.status_code == 200, parked.text
    after = await events.send("milestone.lagging", "shuiwu", JUNE, {"severity": "lagging"})
    told = await _until(queue, after["id"])
    assert {m["event_id"] for m in told} == {after["id"]}


def test_a_notification_stays_under_postgresqls_payload_limit() -> None:
    """A change that names a batch's hundreds of events keeps the event that moved it."""
    change = {"programme": "2026", "period": "2026", "unit_code": "keji", "total": 90.0}
    many = {**change, "event_id": "e1", "event_ids": [f"{n:036d}" for n in range(500)]}
    payload = notification(many)
    assert len(payload.encode()) < NOTIFY_MAX_BYTES
    assert '"event_id":"e1"' in payload
    assert "event_ids" not in payload
    few = {**change, "event_id": "e1", "event_ids": ["e1", "e2"]}
    assert '"event_ids":["e1","e2"]' in notification(few)
