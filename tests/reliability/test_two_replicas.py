"""Two replicas of every HTTP service (issue #24): results identical to one.

The demo city runs as six real uvicorn processes on a cloned database — two of each of
evaluation, reform_tasks and hotline_ingest, each with its outbox relay on, on ports of their
own. The test is the load balancer: it alternates replicas per request (round robin, the
client-side equivalent of one). Replica *i* of a producer relays to, and asks, replica *i* of
the consumer, so both evaluation replicas apply events at the same time while both relays of
each producer claim rows of one outbox. No scheduler runs: the report is asked for the way the
scheduler's leader asks (tests/reliability/test_fault_scheduler.py covers its failover).

Under way at once: both reform_tasks relays drain the demo year's events into evaluation; a
signed 12345 burst (each delivery sent 1–2 times, several keep-alive connections per replica)
alternates between the hotline replicas; a unit reports progress with a file on one
reform_tasks replica and the office downloads it from the other (the file store is one shared
directory, as the shared volume in deploy/k8s); the office generates a monthly dispatch report
on both at once and reads it on either; an SSE subscriber listens on each evaluation replica.

"Identical to one replica" is checked against references that are honest and bounded rather
than by a second full run: the work orders (and their events and rates) against the same
deliveries replayed once, in order, through one hotline app on a second clone of the demo
city; the scores against a full recompute from the facts (what one consumer applying every
event once must give); each outbox row applied exactly once (one inbox claim per event id, no
doubled fact); and both replicas of a service answer the same reads. Each SSE subscriber must
have seen, for every score that changed, its final total — whichever replica committed it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from shared.auth import issue_token
from shared.events import INTERNAL_EVENTS_BATCH_PATH
from shared.models import Role
from shared.settings import REPO_ROOT
from tests import pg
from tests.conftest import LifespanTransport
from tests.pg import settings_for
from tests.reliability.conftest import fetch, load_demo
from tests.reliability.faults import (
    RETRY_SCHEDULE,
    SECRET,
    WEBHOOK,
    Delivery,
    lifecycles,
    recompute_changes_nothing,
    replay_in_order,
    service_headers,
    signed_headers,
    snapshot,
    wait_drained,
)
from tests.reliability.processes import TARGETS, VERIFY_KEYS, signer, signing_env

# Ports of this suite's own (18000 + (TEST_PG_PORT % 100) * 10, as tests/test_stack.py), past
# the ones test_stack and the browser tests use: replica i of a service on BASE + 2 * k + i.
BASE = 18000 + (pg.TEST_PG_PORT % 100) * 10 + 50
SERVICES = ("evaluation", "reform_tasks", "hotline_ingest")
URL_VARIABLES = {
    "evaluation": "EVALUATION_URL",
    "reform_tasks": "REFORM_TASKS_URL",
    "hotline_ingest": "HOTLINE_URL",
}
ORDERS = 60  # 300 lifecycle deliveries, each sent once or twice
CONNECTIONS = 4  # keep-alive connections per hotline replica
PDF = b"%PDF-1.4\n%two replicas\n"
UVICORN = (sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log")


def port(service: str, replica: int) -> int:
    return BASE + 2 * SERVICES.index(service) + replica


def url(service: str, replica: int) -> str:
    return f"http://127.0.0.1:{port(service, replica)}"


class Replicas:
    """Two uvicorn processes of each service; replica i talks to replica i of the others."""

    def __init__(self, database_url: str, logs: Path, files: Path) -> None:
        self.logs = logs
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ENVIRONMENT": "test",
            "JWT_VERIFY_KEYS": VERIFY_KEYS,
            "HOTLINE_WEBHOOK_SECRETS": SECRET,
            "FILES_DIR": str(files),
            "OUTBOX_POLL_SECONDS": "0.2",
            "LOG_JSON": "false",
            "LOG_LEVEL": "WARNING",
        }
        self.running: dict[tuple[str, int], subprocess.Popen[bytes]] = {}

    def start(self, service: str) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for replica in (0, 1):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{url(service, replica)}/healthz", timeout=0.5)
                raise AssertionError(f"port {port(service, replica)} is already serving")
            env = {name: url(other, replica) for other, name in URL_VARIABLES.items()}
            log = (self.logs / f"{service}-{replica}.log").open("ab")
            self.running[service, replica] = subprocess.Popen(
                [*UVICORN, TARGETS[service], "--port", str(port(service, replica))],
                cwd=REPO_ROOT,
                env={**self.env, **env, **signing_env(service)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()

    async def ready(self, service: str, within: float = 90) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=1) as client:
            for replica in (0, 1):
                while True:
                    process = self.running[service, replica]
                    if process.poll() is not None:
                        log = self.logs / f"{service}-{replica}.log"
                        tail = log.read_text(errors="replace")[-3000:]
                        raise AssertionError(f"{service}-{replica} exited:\n{tail}")
                    with contextlib.suppress(httpx.HTTPError):
                        response = await client.get(f"{url(service, replica)}/readyz")
                        if response.status_code == 200:
                            break
                    assert time.monotonic() < deadline, f"{service}-{replica} never ready"
                    await asyncio.sleep(0.2)

    def stop(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.running.clear()


class RoundRobin:
    """The load balancer: each request to the next replica of the service."""

    def __init__(self, service: str, headers: dict[str, str] | None = None) -> None:
        limits = httpx.Limits(max_keepalive_connections=CONNECTIONS)
        self.clients = [
            httpx.AsyncClient(base_url=url(service, r), headers=headers, timeout=30, limits=limits)
            for r in (0, 1)
        ]
        self._next = itertools.cycle((0, 1))
        self.used: list[int] = []

    def client(self) -> httpx.AsyncClient:
        replica = next(self._next)
        self.used.append(replica)
        return self.clients[replica]

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


async def hotline_burst(balancer: RoundRobin, deliveries: list[Delivery]) -> list[str]:
    """Each delivery once or twice (a platform's retry), shuffled, over CONNECTIONS keep-alive
    connections per replica, each copy retried by the Standard Webhooks schedule until it is
    acknowledged; returns the webhook ids given up on (none expected)."""
    import random

    rng = random.Random(24)
    copies = [d for d in deliveries for _ in range(rng.randint(1, 2))]
    rng.shuffle(copies)
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for delivery in copies:
        queue.put_nowait(delivery)
    signer = Webhook(SECRET)
    gave_up: list[str] = []

    async def worker() -> None:
        while not queue.empty():
            delivery = queue.get_nowait()
            for pause in RETRY_SCHEDULE:
                await asyncio.sleep(pause)
                with contextlib.suppress(httpx.HTTPError):
                    response = await balancer.client().post(
                        WEBHOOK,
                        content=delivery.body.encode(),
                        headers=signed_headers(signer, delivery),
                    )
                    if response.is_success:
                        break
            else:
                gave_up.append(delivery.webhook_id)

    await asyncio.gather(*(worker() for _ in range(2 * CONNECTIONS)))
    return gave_up


class Subscriber:
    """An SSE client of one evaluation replica: the last total it saw per score."""

    def __init__(self, replica: int, headers: dict[str, str]) -> None:
        self.replica = replica
        self.headers = headers
        self.totals: dict[tuple[str, str, str], float] = {}
        self.changes = 0
        self.connected = asyncio.Event()

    async def listen(self) -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client,
            client.stream(
                "GET",
                f"{url('evaluation', self.replica)}/api/evaluation/v1/stream",
                headers=self.headers,
            ) as stream,
        ):
            assert stream.status_code == 200
            event = ""
            async for line in stream.aiter_lines():
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                    self.connected.set()
                elif line.startswith("data:") and event == "score.changed":
                    change = json.loads(line.removeprefix("data:"))
                    key = (change["programme"], change["period"], change["unit_code"])
                    self.totals[key] = round(float(change["total"]), 4)
                    self.changes += 1


async def progress_report_with_file(tasks: RoundRobin, url_: str) -> None:
    """A lead unit reports progress with a file on one replica; the office downloads the file
    from the other (one shared file store)."""
    ((number, ordinal, unit),) = await fetch(
        url_,
        "SELECT t.number, m.ordinal, u.code FROM tasks.tasks t"
        " JOIN tasks.milestones m ON m.task_id = t.id"
        " JOIN platform.units u ON u.id = t.lead_unit_id"
        " WHERE m.state = 'open' ORDER BY t.number, m.ordinal LIMIT 1",
    )
    unit_token = issue_token(signer(), username=str(unit), role=Role.unit, unit_code=str(unit))
    submitted = await tasks.client().post(
        f"/api/tasks/v1/tasks/{number}/milestones/{ordinal}/reports",
        data={"content": "两个副本：阶段进展"},
        files=[("files", ("进展.pdf", PDF, "application/pdf"))],
        headers={"Authorization": f"Bearer {unit_token}"},
    )
    assert submitted.status_code == 201, submitted.text
    (evidence,) = submitted.json()["evidence"]
    download = await tasks.client().get(f"/api/tasks/v1/evidence/{evidence['id']}")
    assert download.status_code == 200, download.text
    assert download.content == PDF


async def monthly_dispatch(tasks: RoundRobin) -> int:
    """The scheduler's call (if_absent) on both replicas at once (as a leader's retry after a
    timeout could); one report, read on either replica."""
    body = {"kind": "monthly_dispatch", "period": "2026-11", "if_absent": True}
    answers = await asyncio.gather(
        *(
            tasks.client().post("/api/tasks/v1/reports", json=body, headers=service_headers())
            for _ in (0, 1)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    (report_id,) = {int(a.json()["id"]) for a in answers}
    read = await tasks.client().get(f"/api/tasks/v1/reports/{report_id}")
    assert read.status_code == 200, read.text
    assert read.json()["period"] == "2026-11"
    return report_id


async def reads_agree(service: str, paths: list[str], headers: dict[str, str]) -> None:
    """Both replicas of `service` answer each read the same."""
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        for path in paths:
            answers = [(await client.get(f"{url(service, r)}{path}")) for r in (0, 1)]
            assert [a.status_code for a in answers] == [200, 200], path
            assert answers[0].json() == answers[1].json(), path


async def served(service: str, replica: int, handler: str) -> float:
    """Requests to `handler` the replica answered with 2xx (its own /metrics)."""
    async with httpx.AsyncClient(timeout=10) as client:
        exposed = (await client.get(f"{url(service, replica)}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in exposed.splitlines()
        if line.startswith("http_requests_total{")
        and f'handler="{handler}"' in line
        and 'status="2xx"' in line
    )


async def reference_rates(reference: str) -> Any:
    """The rates one hotline app gives over the reference database."""
    from services.hotline_ingest.app import create_app

    settings = settings_for(reference, hotline_webhook_secrets=SECRET)
    token = issue_token(settings, username="office", role=Role.office_admin, unit_code=None)
    async with httpx.AsyncClient(
        transport=LifespanTransport(create_app(settings)),
        base_url="http://reference",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        response = await client.get("/api/hotline/v1/rates", params={"period": "2026"})
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def office() -> dict[str, str]:
    token = issue_token(signer(), username="office", role=Role.office_admin, unit_code=None)
    return {"Authorization": f"Bearer {token}"}


async def test_two_replicas_of_each_service_give_the_results_of_one(
    fresh_database: Callable[[str], str], tmp_path: Path, office: dict[str, str]
) -> None:
    database, reference = fresh_database("replicas"), fresh_database("replicas_ref")
    await asyncio.gather(load_demo(database), load_demo(reference))
    deliveries = lifecycles(ORDERS, seed=24, prefix="R")
    replicas = Replicas(database, tmp_path / "logs", tmp_path / "files")
    subscribers = [Subscriber(r, office) for r in (0, 1)]
    listening: list[asyncio.Task[None]] = []
    hotline, tasks = RoundRobin("hotline_ingest"), RoundRobin("reform_tasks", office)
    try:
        replicas.start("evaluation")
        await replicas.ready("evaluation")
        listening = [asyncio.create_task(s.listen()) for s in subscribers]
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in subscribers)), 10)
        ((started,),) = await fetch(database, "SELECT now()::text")
        replicas.start("reform_tasks")
        replicas.start("hotline_ingest")
        await asyncio.gather(replicas.ready("reform_tasks"), replicas.ready("hotline_ingest"))

        gave_up, _, report_id, _ = await asyncio.gather(
            hotline_burst(hotline, deliveries),
            progress_report_with_file(tasks, database),
            monthly_dispatch(tasks),
            replay_in_order(reference, deliveries),
        )
        assert gave_up == []
        assert hotline.used.count(0) >= len(deliveries) // 2  # the burst reached both replicas
        assert hotline.used.count(1) >= len(deliveries) // 2
        await wait_drained(database, within=90)

        # Every score moved since the subscribers connected, whichever replica committed it.
        changed = {
            (str(p), str(period), str(unit)): round(float(str(total)), 4)
            for p, period, unit, total in await fetch(
                database,
                "SELECT programme, period, unit_code, total FROM evaluation.scores"
                f" WHERE updated_at >= '{started}'",
            )
        }
        assert changed
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(  # noqa: ASYNC110  (polled, as in faults.py)
            {key: s.totals.get(key) for key in changed} != changed for s in subscribers
        ):
            await asyncio.sleep(0.2)
        for subscriber in subscribers:
            missed = {k: (v, subscriber.totals.get(k)) for k, v in changed.items()}
            missed = {k: v for k, v in missed.items() if v[0] != v[1]}
            assert missed == {}, f"replica {subscriber.replica}'s subscriber: {missed}"

        for replica in (0, 1):  # each replica did its share of the work
            assert await served("evaluation", replica, INTERNAL_EVENTS_BATCH_PATH) > 0
            assert await served("hotline_ingest", replica, WEBHOOK) > 0
        await reads_agree(
            "evaluation",
            ["/api/evaluation/v1/scores?period=2026", "/api/evaluation/v1/scores?period=2026-11"],
            office,
        )
        await reads_agree("hotline_ingest", ["/api/hotline/v1/rates?period=2026"], office)
        await reads_agree("reform_tasks", [f"/api/tasks/v1/reports/{report_id}"], office)
        async with httpx.AsyncClient(headers=office, timeout=30) as client:
            rates = (
                await client.get(f"{url('hotline_ingest', 0)}/api/hotline/v1/rates?period=2026")
            ).json()
    finally:
        for task in listening:
            task.cancel()
        await asyncio.gather(*listening, return_exceptions=True)
        await hotline.close()
        await tasks.close()
        replicas.stop()

    # Each outbox row applied exactly once: one inbox claim per event id, no doubled fact.
    ((rows, unclaimed, extra_claims, doubled_facts),) = await fetch(
        database,
        "SELECT (SELECT count(*) FROM platform.outbox),"
        " (SELECT count(*) FROM platform.outbox o WHERE NOT EXISTS (SELECT 1 FROM"
        "   platform.inbox i WHERE i.consumer = o.consumer AND i.event_id = o.id)),"
        " (SELECT count(*) FROM platform.inbox i WHERE NOT EXISTS (SELECT 1 FROM"
        "   platform.outbox o WHERE o.consumer = i.consumer AND o.id = i.event_id)),"
        " (SELECT count(*) - count(DISTINCT event_id) FROM evaluation.facts)",
    )
    assert int(str(rows)) > ORDERS
    assert (unclaimed, extra_claims, doubled_facts) == (0, 0, 0)
    # One report for the period, though asked for on both replicas at once.
    assert await fetch(
        database,
        "SELECT count(*) FROM tasks.reports WHERE kind = 'monthly_dispatch' AND period = '2026-11'",
    ) == [(1,)]
    # The state one replica of each gives: work orders as the in-order replay, rates too …
    faulted, expected = await snapshot(database), await snapshot(reference)
    for table in ("work_orders", "events", "deliveries"):
        assert faulted[table] == expected[table], table
    assert rates == await reference_rates(reference)
    # … and the scores as a full recompute from the facts.
    assert await recompute_changes_nothing(database) == []
