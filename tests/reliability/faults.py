"""The fault-injection harness shared by the fast tests (tests/reliability) and the long runs
(bench/reliability_*.py): signed 12345 lifecycles, a sender that retries like a Standard
Webhooks platform, an in-order replay for reference, and snapshots that compare databases."""

from __future__ import annotations

import asyncio
import base64
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks import Webhook

from shared import http
from shared.settings import Settings
from tests.pg import settings_for

SECRET = "whsec_" + base64.b64encode(b"reliability-webhook-secret-01234").decode()
WEBHOOK = "/api/hotline/v1/webhooks/12345"
# Standard Webhooks' retry schedule (immediately, 5 s, 5 min, 30 min, 2 h, …), scaled down so a
# run takes seconds: the shape (growing gaps, many attempts) is what matters here.
# Two minutes in all: a service restarted on a loaded 2-core machine can take 30 s to answer.
RETRY_SCHEDULE = (0.0, 0.05, 0.2, 0.5, 1.0, 2.0, 3.0) + (5.0,) * 22
UNITS = ("zhengwu", "shichang", "shuiwu", "renshe", "zhujian")
DISTRICTS = ("yunzhongqu", "hexiqu")
CATEGORIES = ("qy_kaiban", "shuifei", "yongdian")
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    body: str


def lifecycles(count: int, seed: int, prefix: str = "F") -> list[Delivery]:
    """`count` orders, each created → accepted → replied → closed → visited, in order."""
    import json

    rng = random.Random(seed)
    deliveries = []
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    for number in range(count):
        order_no = f"{prefix}{seed}-{number:06d}"
        received = start + timedelta(minutes=number * 13)
        unit = rng.choice(UNITS)

        def at(hours: float, received: datetime = received) -> str:
            return (received + timedelta(hours=hours)).isoformat()

        steps: list[tuple[str, dict[str, Any]]] = [
            (
                "work_order.created",
                {
                    "occurred_at": at(0),
                    "channel": rng.choice(["phone", "web", "wechat"]),
                    "kind": rng.choice(["consult", "complaint", "help"]),
                    "title": "企业开办材料被要求重复提交",
                    "content": "在政务服务中心办理时被要求重复提交营业执照复印件。",
                    "received_at": at(0),
                    "district_code": rng.choice(DISTRICTS),
                    "enterprise_name": "云岭市鑫达机械制造有限公司",
                    "credit_code": "91360100MA35F3WQ1W",
                    "contact_name": "张三明",
                    # Each order its own caller: one caller's orders about one matter would be
                    # repeat requests, whose links follow the arrival order (docs/HOTLINE.md
                    # "Repeat requests"), which the in-order replay cannot reproduce.
                    "contact_phone": f"138{number:08d}",
                    "category_code": rng.choice(CATEGORIES),
                    "handling_unit_code": unit,
                    "due_at": at(24 * 5),
                },
            ),
            ("work_order.accepted", {"occurred_at": at(rng.uniform(1, 40))}),
            ("work_order.replied", {"occurred_at": at(50), "reply": "已核实并办理。"}),
            ("work_order.closed", {"occurred_at": at(60)}),
            (
                "work_order.visited",
                {
                    "occurred_at": at(70),
                    "satisfaction": rng.choice(SATISFACTION),
                    "resolved": rng.random() < 0.8,
                },
            ),
        ]
        for event_type, data in steps:
            body = json.dumps(
                {
                    "type": event_type,
                    "timestamp": data["occurred_at"],
                    "data": {"order_no": order_no, **data},
                },
                ensure_ascii=False,
            )
            deliveries.append(Delivery(f"msg_{uuid.UUID(int=rng.getrandbits(128)).hex}", body))
    return deliveries


def signed_headers(signer: Webhook, delivery: Delivery) -> dict[str, str]:
    """Signed now: a retry carries the same webhook-id with a fresh timestamp and signature."""
    return http.signed_headers(signer, delivery.webhook_id, delivery.body)


@dataclass
class SendReport:
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    gave_up: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Sender:
    """Each delivery 1–`copies` times, all shuffled, over `concurrency` connections; every copy
    retried on a non-2xx or a connection error by the schedule until it is acknowledged (or
    the schedule runs out: `report.gave_up`). `report` can be watched while it runs."""

    def __init__(
        self,
        base_url: str,
        deliveries: list[Delivery],
        *,
        copies: int = 3,
        seed: int = 1,
        concurrency: int = 16,
        schedule: tuple[float, ...] = RETRY_SCHEDULE,
        rate: float | None = None,
    ) -> None:
        rng = random.Random(seed)
        self.rate = rate  # copies started per second (None: as fast as the server answers)
        self._taken = 0
        self._started = 0.0
        self.queue = [d for d in deliveries for _ in range(rng.randint(1, copies))]
        rng.shuffle(self.queue)
        self.base_url = base_url
        self.concurrency = concurrency
        self.schedule = schedule
        self.signer = Webhook(SECRET)
        self.report = SendReport()
        self.sent = 0  # copies finished (acknowledged or given up)

    async def run(self) -> SendReport:
        pending: asyncio.Queue[Delivery] = asyncio.Queue()
        for delivery in self.queue:
            pending.put_nowait(delivery)
        started = time.perf_counter()
        self._started = started
        limits = httpx.Limits(
            max_connections=self.concurrency, max_keepalive_connections=self.concurrency
        )
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10, limits=limits) as client:
            await asyncio.gather(*(self._worker(client, pending) for _ in range(self.concurrency)))
        self.report.seconds = time.perf_counter() - started
        return self.report

    async def _worker(self, client: httpx.AsyncClient, pending: asyncio.Queue[Delivery]) -> None:
        report = self.report
        while not pending.empty():
            delivery = pending.get_nowait()
            if self.rate:
                due = self._started + self._taken / self.rate
                self._taken += 1
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            for pause in self.schedule:
                await asyncio.sleep(pause)
                report.requests += 1
                try:
                    response = await client.post(
                        WEBHOOK,
                        content=delivery.body.encode(),
                        headers=signed_headers(self.signer, delivery),
                    )
                except httpx.HTTPError as exc:
                    report.statuses[type(exc).__name__] += 1
                    continue
                report.statuses[str(response.status_code)] += 1
                if response.is_success:
                    break
            else:
                report.gave_up.append(delivery.webhook_id)
            self.sent += 1

    async def reached(self, fraction: float) -> None:
        """Wait until this share of the copies is done."""
        while self.sent < fraction * len(self.queue):  # noqa: ASYNC110  (polled progress)
            await asyncio.sleep(0.02)


def hotline_settings(url: str) -> Settings:
    return settings_for(url, hotline_webhook_secrets=SECRET)


async def replay_in_order(url: str, deliveries: list[Delivery]) -> None:
    """The reference: every delivery once, in order, through the hotline app in process (its
    lifespan opens its database connections)."""
    from services.hotline_ingest.app import create_app
    from tests.conftest import LifespanTransport

    app = create_app(hotline_settings(url))
    signer = Webhook(SECRET)
    async with httpx.AsyncClient(
        transport=LifespanTransport(app), base_url="http://replay"
    ) as client:
        for delivery in deliveries:
            headers = signed_headers(signer, delivery)
            response = await client.post(WEBHOOK, content=delivery.body, headers=headers)
            assert response.status_code == 200, response.text


SNAPSHOT = {
    "work_orders": (
        "SELECT order_no, status, handling_unit_code, district_code, category_code, received_at,"
        " due_at, accepted_at, replied_at, closed_at, visited_at, satisfaction, resolved, reply,"
        " quarantine_reason FROM hotline.work_orders ORDER BY order_no"
    ),
    "events": (
        "SELECT order_no, type, occurred_at, data::text FROM hotline.work_order_events"
        " ORDER BY order_no, type, occurred_at"
    ),
    "deliveries": "SELECT count(DISTINCT webhook_id) FROM hotline.deliveries",
    "outbox": (
        "SELECT type, unit_code, occurred_at, data::text FROM platform.outbox"
        " WHERE producer = 'hotline_ingest' ORDER BY type, unit_code, occurred_at, data::text"
    ),
}


async def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_async_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return {
                name: [tuple(r) for r in (await conn.execute(text(sql))).all()]
                for name, sql in SNAPSHOT.items()
            }
    finally:
        await engine.dispose()


UNIT_ROWS = (
    "INSERT INTO platform.units (code, name, short_name, kind) VALUES "
    + ", ".join(f"('{c}', '测试单位{c}', '{c}', 'department')" for c in UNITS)
    + ", "
    + ", ".join(f"('{c}', '测试区县{c}', '{c}', 'district')" for c in DISTRICTS)
)


class PrivateCluster:
    """A PostgreSQL of its own (restartable without touching anyone else's databases), filled
    from the migrated test template with the backup CLI's functions."""

    def __init__(self, name: str) -> None:
        from shared.embedded_pg import EmbeddedPostgres
        from shared.settings import VAR_DIR
        from tests import pg
        from tests.reliability.processes import free_port

        self.pg = EmbeddedPostgres(
            data_dir=VAR_DIR / f"test-pg-{pg.TEST_PG_PORT}-{name}",
            port=free_port(),
            server_settings={"fsync": "off", "synchronous_commit": "off"},
        )
        self.dump = VAR_DIR / f"test-pg-{pg.TEST_PG_PORT}-{name}.dump"

    def start(self) -> None:
        from shared.backup import backup_database
        from tests import pg

        backup_database(self.dump, pg.database_url(pg.TEMPLATE_DB))
        self.pg.start()

    def database(self, name: str) -> str:
        from shared.backup import restore_database
        from shared.settings import embedded_database_url

        self.pg.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.pg.psql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        url = embedded_database_url(name, self.pg.port)
        restore_database(self.dump, url)
        self.pg.psql(UNIT_ROWS, name)
        return url

    def restart(self, down_seconds: float) -> None:
        self.pg.stop("fast")
        time.sleep(down_seconds)
        self.pg.start()

    def stop(self) -> None:
        self.pg.stop("immediate")
        self.dump.unlink(missing_ok=True)


@dataclass
class WebhookRun:
    report: SendReport
    deliveries: int
    orders: int
    faulted: dict[str, list[tuple[Any, ...]]]
    reference: dict[str, list[tuple[Any, ...]]]
    half_written: int
    replay_seconds: float


async def webhook_with_faults(
    cluster: PrivateCluster,
    logs: Any,
    orders: int,
    *,
    seed: int = 9,
    pg_down_seconds: float = 1.5,
    kill: bool = True,
    concurrency: int = 16,
) -> WebhookRun:
    """Issue item 1: the lifecycles sent shuffled with duplicates; PostgreSQL restarted at 30 %
    of the copies and hotline_ingest killed with SIGKILL (and restarted) at 60 %; then the same
    deliveries replayed once, in order, into a second database for reference."""
    from tests.reliability.processes import Services

    faulted = cluster.database("faulted")
    reference = cluster.database("reference")
    deliveries = lifecycles(orders, seed=seed)
    services = Services(faulted, logs, env={"HOTLINE_WEBHOOK_SECRETS": SECRET})
    services.start("hotline_ingest")
    try:
        sender = Sender(
            services.url("hotline_ingest"), deliveries, seed=seed, concurrency=concurrency
        )
        sending = asyncio.create_task(sender.run())
        await sender.reached(0.3)
        await asyncio.to_thread(cluster.restart, pg_down_seconds)
        if kill:
            await sender.reached(0.6)
            services.kill("hotline_ingest")
            await asyncio.sleep(0.5)
            await asyncio.to_thread(services.start, "hotline_ingest")
        report = await sending
    finally:
        services.stop()
    started = time.perf_counter()
    await replay_in_order(reference, deliveries)
    replay_seconds = time.perf_counter() - started
    half_written = cluster.pg.psql(
        "SELECT count(*) FROM hotline.deliveries d WHERE d.outcome = 'applied' AND NOT EXISTS "
        "(SELECT 1 FROM hotline.work_order_events e WHERE e.delivery_id = d.id)",
        "faulted",
    ).strip()
    return WebhookRun(
        report=report,
        deliveries=len(deliveries),
        orders=orders,
        faulted=await snapshot(faulted),
        reference=await snapshot(reference),
        half_written=int(half_written),
        replay_seconds=replay_seconds,
    )


SWEEP_DAYS = [f"2026-{month:02d}-{day:02d}" for month in range(3, 10) for day in (5, 20)]


def service_headers() -> dict[str, str]:
    from shared.auth import issue_token
    from shared.models import Role
    from tests.reliability.processes import signer

    token = issue_token(
        signer("scheduler"), username="service:scheduler", role=Role.service, unit_code=None
    )
    return {"Authorization": f"Bearer {token}"}


async def run_sweeps(base_url: str, done: list[str]) -> None:
    """The scheduler's lagging-milestone sweep for each day, retried until it succeeds (a
    sweep is one transaction and idempotent)."""
    async with httpx.AsyncClient(timeout=30) as client:
        for day in SWEEP_DAYS:
            for _ in range(600):
                try:
                    response = await client.post(
                        f"{base_url}/api/tasks/v1/sweeps/lagging",
                        params={"as_of": day},
                        headers=service_headers(),
                    )
                    if response.is_success:
                        done.append(day)
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)


async def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_async_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


async def wait_drained(url: str, within: float) -> tuple[int, float]:
    """Until no outbox row is undelivered: (rows delivered, seconds it took)."""
    started = time.perf_counter()
    while True:
        ((pending, delivered),) = await query(
            url,
            "SELECT count(*) FILTER (WHERE delivered_at IS NULL), count(*) FILTER "
            "(WHERE delivered_at IS NOT NULL) FROM platform.outbox",
        )
        if pending == 0:
            return int(delivered), time.perf_counter() - started
        if time.perf_counter() - started > within:
            raise AssertionError(f"{pending} outbox events never drained")
        await asyncio.sleep(0.5)


@dataclass
class OutageRun:
    report: SendReport
    sweeps: list[str]
    held: int  # undelivered outbox rows just before evaluation came back
    delivered: int
    drain_seconds: float
    # (outbox rows for evaluation, inbox claims, outbox rows without a claim, doubled facts)
    ledger: tuple[int, int, int, int]
    orders: int
    down_seconds: float  # how long evaluation was down (its restart included)


async def outage_with_crashes(
    url: str,
    logs: Any,
    orders: int,
    *,
    outage_seconds: float,
    seed: int = 4,
    kill_hotline: bool = False,
    drain_within: float = 180,
) -> OutageRun:
    """Issues items 2 and 3 on a database with the demo city: under webhook and sweep load,
    evaluation is killed with SIGKILL and kept down for `outage_seconds`; halfway through,
    reform_tasks (and with `kill_hotline`, hotline_ingest) is killed and restarted. Then
    evaluation returns and the outboxes drain."""
    from tests.reliability.processes import Services

    services = Services(url, logs, env={"HOTLINE_WEBHOOK_SECRETS": SECRET})
    services.start()
    sweeps: list[str] = []
    try:
        deliveries = lifecycles(orders, seed=seed)
        sender = Sender(services.url("hotline_ingest"), deliveries, seed=seed)
        # Paced so the load runs through the whole outage and on after evaluation returns.
        sender.rate = len(sender.queue) / (outage_seconds * 1.6)
        sending = asyncio.create_task(sender.run())
        sweeping = asyncio.create_task(run_sweeps(services.url("reform_tasks"), sweeps))
        await sender.reached(0.1)
        services.kill("evaluation")  # a crash in the middle of applying a batch
        down_since = time.perf_counter()
        await sender.reached(0.4)
        victims = ["reform_tasks", *(["hotline_ingest"] if kill_hotline else [])]
        for name in victims:
            services.kill(name)  # mid-sweep, mid-delivery, mid-relay
        await asyncio.to_thread(services.start, *victims)
        await asyncio.sleep(max(0.0, outage_seconds - (time.perf_counter() - down_since)))
        ((held,),) = await query(
            url, "SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL"
        )
        await asyncio.to_thread(services.start, "evaluation")
        down_for = time.perf_counter() - down_since
        report = await sending
        await sweeping
        delivered, drain_seconds = await wait_drained(url, drain_within)
    finally:
        services.stop()
    ((outbox, inbox, unmatched, duplicate_facts),) = await query(
        url,
        "SELECT (SELECT count(*) FROM platform.outbox WHERE consumer = 'evaluation'),"
        " (SELECT count(*) FROM platform.inbox WHERE consumer = 'evaluation'),"
        " (SELECT count(*) FROM platform.outbox o WHERE o.consumer = 'evaluation' AND NOT EXISTS"
        "   (SELECT 1 FROM platform.inbox i WHERE i.consumer = 'evaluation'"
        "    AND i.event_id = o.id)),"
        " (SELECT count(*) - count(DISTINCT event_id) FROM evaluation.facts)",
    )
    ((stored_orders,),) = await query(url, "SELECT count(*) FROM hotline.work_orders")
    return OutageRun(
        report=report,
        sweeps=sweeps,
        held=int(held),
        delivered=delivered,
        drain_seconds=drain_seconds,
        ledger=(int(outbox), int(inbox), int(unmatched), int(duplicate_facts)),
        orders=int(stored_orders),
        down_seconds=down_for,
    )


async def recompute_changes_nothing(url: str) -> list[str]:
    """Scores as the office reads them, before and after `python -m services.evaluation
    recompute`: the periods whose scores differ (none, when nothing was lost or doubled)."""
    import os
    import subprocess
    import sys

    from shared.settings import REPO_ROOT
    from tests.reliability.conftest import api_scores

    live = await api_scores(url)
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.evaluation", "recompute", "--programme", "2026"],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    recomputed = await api_scores(url)
    assert len(live["2026"]) == 49
    return [period for period in live if live[period] != recomputed[period]]
