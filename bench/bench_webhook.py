"""12345 webhook throughput and latency (issue: hotline_ingest performance).

Measured in one run on the same PostgreSQL:

1. **Baseline** (issue #24): a receiver that only verifies each delivery's Standard Webhooks
   signature and answers 200 (`verify_only_app`: hotline_ingest's own app, middleware and
   webhook route with an endpoint that only verifies; same uvicorn flags and worker count, same
   client), on a port of its own. Baseline and webhook take turns in
   `--slices` slices of `--seconds` (5 × 2 s by default), so both see the same drift of the
   machine's speed.
2. **Throughput**: hotline_ingest under uvicorn (one worker by default, as deployed: one per
   container, deploy/; `--workers` for more; uvloop + httptools, outbox relay off so only the
   request path is measured), fed pre-signed Standard Webhooks deliveries over
   16 keep-alive connections (closed loop) by wrk (Debian package `wrk`, used when installed)
   or by the raw-socket Python client (`--client python`). Every delivery does its full
   durable work: raw delivery, event, derived work order, outbox row, one committed transaction.
   Reported as deliveries/s and as a ratio to the baseline (target ≥ 0.6×).
3. **Latency**: an open loop at `--rate` (200/s) for `--latency-seconds` (Python client);
   latency runs from the moment a request was *due* (so queueing behind a slow response
   counts), target p99 < 50 ms.

`--scale 10` then stores nine times the deliveries the run stored and measures again: the growth
of the time per delivery (relative to the baseline) at 10× data (goal ≤ 12×).

`--receiver noop` runs the same client against an ASGI app that answers 200 and stores nothing
(for scale); `--receiver checks-only` the service with every check and seal but a store that
writes nothing; `--receiver intake-only` the service storing the raw delivery and its event as
usual but with `hotline.settle` and `hotline.link_repeats` replaced by no-ops in the bench's own
database — the ceiling of an append-only intake that left deriving work orders to a worker
(docs/PERFORMANCE.md "Webhook").

Deliveries are realistic lifecycles (created → accepted → replied → closed → visited) for the
demo units, 20 % of orders out of order, 3 % duplicate deliveries.

Run: .venv/bin/python bench/bench_webhook.py [--seconds 10] [--workers 1] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import uvloop
from standardwebhooks import Webhook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import asyncpg_dsn, fresh_database  # noqa: E402
from shared.embedded_pg import EmbeddedPostgres  # noqa: E402
from shared.http import signed_headers  # noqa: E402
from shared.settings import VAR_DIR, embedded_database_url  # noqa: E402
from tests import pg  # noqa: E402

PORT = 18793
TARGET_RATIO = 0.6
CONNECTIONS = 16
PATH = "/api/hotline/v1/webhooks/12345"
SECRET = "whsec_" + base64.b64encode(b"bench-webhook-secret-0123456789ab").decode()
UNITS = json.loads((ROOT / "shared/demo/data/units.json").read_text())["units"]
CATEGORIES = ["qy_kaiban", "gc_shenpi", "shuifei", "yongdian", "budongchan", "zhifa"]
KINDS = ["consult", "complaint", "help", "suggestion", "report"]


async def noop_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A receiver that reads the body and stores nothing (for scale only)."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"20")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"status":"applied"}'})


def checks_only_app() -> Any:
    """uvicorn --factory target: hotline_ingest with every check of the real path (size,
    signature, JSON, schema, encryption) but a store that writes nothing — what the HTTP side
    costs on its own."""
    from services.hotline_ingest import app as module
    from services.hotline_ingest.webhook.repository import Receipt

    async def no_store(app: Any) -> None:
        async def store(receipt: Receipt) -> tuple[str, int]:
            return "applied", 0

        app.state.webhook_store = store

    async def nothing_to_close(app: Any) -> None:
        pass

    vars(module)["open_webhook_store"] = no_store  # create_app reads them from the module
    vars(module)["close_webhook_store"] = nothing_to_close
    return module.create_app()


# --- deliveries -----------------------------------------------------------------------------------


def _credit_code(rng: random.Random) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    body = "913601" + "".join(rng.choice("0123456789ABCDEFGH") for _ in range(11))
    total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


def _lifecycle(rng: random.Random, run: str, number: int) -> list[tuple[str, dict[str, Any]]]:
    unit = rng.choice(UNITS)
    district = rng.choice([u for u in UNITS if u["kind"] == "district"])
    received = datetime(2026, 3, 2, 1, tzinfo=UTC) + timedelta(minutes=number * 7)
    order_no = f"B{run}{number:07d}"

    def at(hours: float) -> str:
        return (received + timedelta(hours=hours)).isoformat()

    created = {
        "order_no": order_no,
        "occurred_at": at(0),
        "channel": rng.choice(["phone", "web", "wechat", "app"]),
        "kind": rng.choice(KINDS),
        "title": "企业开办材料被要求重复提交",
        "content": "在政务服务中心办理企业开办时被要求重复提交营业执照复印件，希望核实。" * 3,
        "received_at": at(0),
        "district_code": district["code"],
        "enterprise_name": "云岭市鑫达机械制造有限公司",
        "credit_code": _credit_code(rng),
        "contact_name": "张三明",
        "contact_phone": f"138{rng.randint(10000000, 99999999)}",
        "category_code": rng.choice(CATEGORIES),
        "handling_unit_code": unit["code"],
        "due_at": at(120),
    }
    events = [
        ("work_order.created", created),
        ("work_order.accepted", {"order_no": order_no, "occurred_at": at(3)}),
        ("work_order.replied", {"order_no": order_no, "occurred_at": at(30), "reply": "已办结。"}),
        ("work_order.closed", {"order_no": order_no, "occurred_at": at(31)}),
        (
            "work_order.visited",
            {
                "order_no": order_no,
                "occurred_at": at(50),
                "satisfaction": "satisfied",
                "resolved": True,
            },
        ),
    ]
    if rng.random() < 0.2:
        rng.shuffle(events)
    return events


def build_requests(
    count: int, run: str, seed: int = 7, window: int = 400, secret: str = SECRET
) -> list[bytes]:
    """`count` pre-signed raw HTTP/1.1 requests (signed now: valid for 5 minutes). Orders are
    interleaved `window` at a time, as on a real platform where one order's events are hours
    apart and many orders are in flight: each round sends the next event of every order."""
    rng = random.Random(f"{run}:{seed}")  # each run tag its own callers (no cross-run repeats)
    signer = Webhook(secret)
    now = datetime.now(UTC)
    requests: list[bytes] = []
    number = 0

    def signed(event_type: str, data: dict[str, Any], order: int) -> bytes:
        body = json.dumps(
            {"type": event_type, "timestamp": now.isoformat(), "data": data}, ensure_ascii=False
        )
        webhook_id = f"msg_{run}_{order}_{event_type}"
        raw = body.encode()
        headers = signed_headers(signer, webhook_id, body, at=now)
        head = (
            f"POST {PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            + f"content-length: {len(raw)}\r\n\r\n"
        ).encode()
        return head + raw

    while len(requests) < count:
        group = []
        for _ in range(window):
            number += 1
            group.append((number, _lifecycle(rng, run, number)))
        for step in range(5):
            for order, events in group:
                event_type, data = events[step]
                raw = signed(event_type, data, order)
                requests.append(raw)
                if rng.random() < 0.03:
                    requests.append(raw)  # the platform retrying a delivery
    return requests[:count]


# --- client ---------------------------------------------------------------------------------------


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int = PORT) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> int:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def closed_loop(
    requests: list[bytes], seconds: float, port: int = PORT
) -> tuple[float, dict[int | str, int]]:
    """16 connections each sending the next request as soon as its previous answer arrived."""
    connections = [await Connection.open(port) for _ in range(CONNECTIONS)]
    statuses: dict[int | str, int] = {}
    position = 0
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(conn: Connection) -> None:
        nonlocal position, done
        while time.perf_counter() < deadline and position < len(requests):
            raw = requests[position]
            position += 1
            status = await conn.request(raw)
            statuses[status] = statuses.get(status, 0) + 1
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for conn in connections:
        conn.close()
    return done / elapsed, statuses


WRK_SCRIPT = """
-- The pre-built requests, sent as they are, each once, in order (bench_webhook.py).
local requests, position = {}, 0
init = function(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local at = 1
  while at <= #data do
    local size = tonumber(data:sub(at, at + 9))
    requests[#requests + 1] = data:sub(at + 10, at + 9 + size)
    at = at + 10 + size
  end
end
request = function()
  position = position + 1
  return requests[position] or requests[#requests]
end
"""


def wrk_closed_loop(
    requests: list[bytes], seconds: float, port: int = PORT
) -> tuple[float, dict[int | str, int], float]:
    """The same closed loop by wrk (C, one thread, 16 connections): the client then takes
    ~5× less of the two cores than the Python one. Returns deliveries/s, statuses (200 and
    `non_2xx`) and wrk's own CPU seconds."""
    work = VAR_DIR / "bench-wrk"
    work.mkdir(parents=True, exist_ok=True)
    (work / "requests.bin").write_bytes(b"".join(b"%010d" % len(r) + r for r in requests))
    (work / "closed_loop.lua").write_text(WRK_SCRIPT)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(work / "closed_loop.lua"),
            f"http://127.0.0.1:{port}{PATH}",
            "--",
            str(work / "requests.bin"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = result.stdout
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    elapsed = float(re.search(r"requests in ([\d.]+)s", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    if errors:
        print(f"wrk socket errors: {errors.group(1)}")
    non_2xx = int(bad.group(1)) if bad else 0
    statuses: dict[int | str, int] = {200: total - non_2xx}
    if non_2xx:
        statuses["non_2xx"] = non_2xx
    if len(requests) < total:
        raise RuntimeError(f"wrk sent {total} requests but only {len(requests)} were built")
    return total / elapsed, statuses, cpu


async def open_loop(
    requests: list[bytes], rate: float, seconds: float
) -> tuple[list[float], dict[int, int]]:
    """Requests due at a fixed rate; a free keep-alive connection takes each one."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        idle.put_nowait(await Connection.open())
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    total = min(len(requests), int(rate * seconds))
    start = time.perf_counter()

    async def one(raw: bytes, due: float) -> None:
        conn = await idle.get()
        status = await conn.request(raw)
        latencies.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1
        idle.put_nowait(conn)

    tasks = []
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(requests[n], due)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait().close()
    return latencies, statuses


# --- baseline -------------------------------------------------------------------------------------


def verify_only_app() -> Any:
    """uvicorn --factory target, the baseline (issue #24): hotline_ingest as deployed — the same
    app, middleware and raw-body webhook route — whose webhook only reads the body, verifies its
    Standard Webhooks signature (`service.authenticate`) and answers 200: no parsing, no store."""
    from fastapi import Request
    from fastapi.responses import Response

    from services.hotline_ingest import app as module
    from services.hotline_ingest.webhook import router, service

    async def verify_only(request: Request) -> Response:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]}
        body = await router._read_capped(request, headers.get("content-length", ""))
        service.authenticate(request.app.state.settings, body or b"", headers)
        return Response(router.ACKS["applied"], media_type="application/json")

    route = router.RawBodyRoute(router.PATH, verify_only, methods=["POST"])
    vars(module)["webhook_route"] = route  # create_app reads it from the module
    return module.create_app()


@contextlib.contextmanager
def no_client_gc() -> Iterator[None]:
    """The client holds every pre-built request: a full collection pauses it for tens of
    milliseconds, which an open loop would count as the server's latency. Off while measuring
    (the baseline too, so both sides are measured alike)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --- the run --------------------------------------------------------------------------------------


def _start(
    target: str, workers: int, env: dict[str, str], port: int = PORT
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *(["--factory"] if target.endswith("_app") and "noop" not in target else []),
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


async def _wait_ready(port: int = PORT) -> None:
    for _ in range(300):
        try:
            conn = await Connection.open(port)
            status = await conn.request(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            conn.close()
            if status:  # any answer: the server is up
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("receiver never became ready")


async def prepare(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    # CASCADE: the tables that refer to orders (appeals, repeat links) are emptied with them.
    await conn.execute(
        "TRUNCATE hotline.work_order_events, hotline.work_orders, platform.outbox CASCADE"
    )
    await conn.execute("DELETE FROM hotline.deliveries")
    await conn.execute("DELETE FROM platform.units")
    await conn.executemany(
        "INSERT INTO platform.units (code, name, short_name, kind) VALUES ($1,$2,$3,$4)",
        [(u["code"], u["name"], u["short_name"], u["kind"]) for u in UNITS],
    )
    await conn.close()


# `--receiver intake-only`: nothing derived, nothing linked, nothing told (this database only).
NO_DERIVATION = (
    "CREATE OR REPLACE FUNCTION hotline.settle(p_order_nos text[], p_new_events bigint[],"
    " p_contact_names bytea[], p_contact_phones bytea[], p_limits jsonb)"
    " RETURNS int LANGUAGE sql AS 'SELECT 0'",
    "CREATE OR REPLACE FUNCTION hotline.link_repeats(p_order_nos text[], p_caller_keys text[],"
    " p_window_days int) RETURNS int LANGUAGE sql AS 'SELECT 0'",
)


async def without_derivation(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    for statement in NO_DERIVATION:
        await conn.execute(statement)
    await conn.close()


async def counts(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    result = {
        table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608
        for table in (
            "hotline.deliveries",
            "hotline.work_order_events",
            "hotline.work_orders",
            "platform.outbox",
        )
    }
    await conn.close()
    return result


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process and its descendants (Linux /proc), for where-the-time-goes."""
    total = 0
    for pid in _descendants(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postmaster_pid(dsn_port: int) -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if (
                command
                and command[0].endswith(b"postgres")
                and f"port={dsn_port}".encode() in b" ".join(command)
            ):
                return int(entry.name)
    return None


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def durable_database(port: int) -> tuple[str, EmbeddedPostgres]:
    """A migrated database on a cluster with PostgreSQL's durable defaults (fsync and
    synchronous_commit on): a 2xx must mean the delivery is on disk, so the baseline's commits
    and ours both wait for the WAL flush. The test cluster (fsync off) would not say that."""
    cluster = EmbeddedPostgres(data_dir=VAR_DIR / f"bench-pg-{port}", port=port)
    cluster.start()
    cluster.wait_ready()
    cluster.psql('DROP DATABASE IF EXISTS "bench_webhook" WITH (FORCE)')
    cluster.psql('CREATE DATABASE "bench_webhook"')
    url = embedded_database_url("bench_webhook", port)
    from alembic import command

    command.upgrade(pg.alembic_config(url), "heads")
    return url, cluster


BASELINE_PORT = PORT + 1
SLICE_REQUESTS = 16000  # per second of a slice, more than either receiver takes


async def closed_slice(
    requests: list[bytes], seconds: float, port: int, client: str
) -> tuple[float, dict[int | str, int], float]:
    """One closed-loop slice: deliveries/s, statuses and the client's CPU seconds."""
    if client == "wrk":
        share = requests[: int(seconds * SLICE_REQUESTS)]
        return await asyncio.to_thread(wrk_closed_loop, share, seconds, port)
    client_before = time.process_time()
    with no_client_gc():
        rate, got = await closed_loop(requests, seconds, port)
    return rate, got, time.process_time() - client_before


@dataclass
class Sliced:
    """Baseline and webhook slices of one measurement."""

    base_rates: list[float] = field(default_factory=list)
    hook_rates: list[float] = field(default_factory=list)
    statuses: dict[int | str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    used: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # receiver, PG, client

    @property
    def throughput(self) -> float:
        return sum(self.statuses.values()) / self.elapsed

    @property
    def base(self) -> float:
        return statistics.mean(self.base_rates)


async def sliced(
    args: argparse.Namespace,
    slices: int,
    slice_seconds: float,
    pids: tuple[int, int | None],
    tag: str,
) -> Sliced:
    """Baseline and webhook take turns, slice by slice: the machine's own speed drifts within a
    run, and both sides should see the same drift. CPU seconds are counted in the webhook's."""
    server, postgres = pids
    size = int(slices * slice_seconds * SLICE_REQUESTS)
    requests, baseline_requests = build_requests(size, tag), build_requests(size, f"b{tag}")
    result, position = Sliced(), 0
    for _ in range(slices):
        base, _statuses, _cpu = await closed_slice(
            baseline_requests, slice_seconds, BASELINE_PORT, args.client
        )
        result.base_rates.append(base)
        cpu_before = (cpu_seconds(server), cpu_seconds(postgres) if postgres else 0.0)
        rate, got, client_cpu = await closed_slice(
            requests[position:], slice_seconds, PORT, args.client
        )
        sent = sum(got.values())
        position += sent
        result.hook_rates.append(rate)
        result.elapsed += sent / rate
        for status, count in got.items():
            result.statuses[status] = result.statuses.get(status, 0) + count
        result.used[0] += cpu_seconds(server) - cpu_before[0]
        result.used[1] += (cpu_seconds(postgres) if postgres else 0.0) - cpu_before[1]
        result.used[2] += client_cpu
    return result


async def fill(deliveries: int) -> None:
    """Store `deliveries` more through the webhook, unmeasured (the tables grow for `--scale`),
    by the Python client (it stops when its requests run out), in rounds signed afresh (a
    signature is good for 5 minutes)."""
    chunk = 60_000
    for number in range(0, deliveries, chunk):
        await closed_loop(build_requests(min(chunk, deliveries - number), f"f{number}"), 3600)


async def run(args: argparse.Namespace, url: str) -> None:
    dsn = asyncpg_dsn(url)
    await prepare(dsn)
    if args.receiver == "intake-only":
        await without_derivation(dsn)
    target = {
        "noop": "bench.bench_webhook:noop_app",
        "checks-only": "bench.bench_webhook:checks_only_app",
    }.get(args.receiver, "services.hotline_ingest.app:app")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "dev",
        "LOG_LEVEL": "WARNING",
        "HOTLINE_WEBHOOK_SECRETS": SECRET,
        "OUTBOX_RELAY_ENABLED": "false",
        "DB_POOL_SIZE": str(CONNECTIONS),
    }
    slices = max(1, args.slices)
    slice_seconds = args.seconds / slices
    if args.client == "wrk":
        slice_seconds = max(1, round(slice_seconds))  # wrk takes whole seconds
    server = _start(target, args.workers, env)
    verifier = _start("bench.bench_webhook:verify_only_app", args.workers, env, BASELINE_PORT)
    try:
        await _wait_ready()
        await _wait_ready(BASELINE_PORT)
        warm = build_requests(2000, "w")
        await closed_loop(warm, 2)
        await closed_loop(warm, 2, BASELINE_PORT)
        postgres = postmaster_pid(int(url.rsplit(":", 1)[1].split("/")[0]))
        pids = (server.pid, postgres)
        first = await sliced(args, slices, slice_seconds, pids, "t")
        grown = None
        if args.scale > 1:
            stored = (await counts(dsn))["hotline.deliveries"]
            await fill(stored * (args.scale - 1))
            grown = await sliced(args, slices, slice_seconds, pids, "g")
        before_latency = await counts(dsn)
        latency_requests = build_requests(int(args.rate * args.latency_seconds) + 10, "l")
        with no_client_gc():
            latencies, latency_statuses = await open_loop(
                latency_requests, args.rate, args.latency_seconds
            )
    finally:
        for process in (server, verifier):
            process.terminate()
            process.wait(15)
    print(
        f"receiver: {args.receiver}, uvicorn --workers {args.workers} (uvloop, httptools); "
        f"closed-loop client: {args.client}"
    )
    print_sliced(first, slice_seconds, "")
    print(
        f"open loop {args.rate}/s for {args.latency_seconds}s: p50 {_ms(latencies, 0.5):.1f} ms, "
        f"p95 {_ms(latencies, 0.95):.1f} ms, p99 {_ms(latencies, 0.99):.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms (target p99 < 50 ms); statuses {latency_statuses}"
    )
    if grown is not None:
        print_sliced(grown, slice_seconds, f"at {args.scale}× the stored deliveries: ")
        growth = (first.throughput / first.base) / (grown.throughput / grown.base)
        print(f"growth at {args.scale}× data: {growth:.2f}× the time per delivery (goal ≤ 12×)")
    if args.receiver in ("service", "intake-only"):
        print(f"stored at the end: {before_latency}")


def print_sliced(result: Sliced, slice_seconds: float, prefix: str) -> None:
    rates = " / ".join(f"{r:,.0f}" for r in result.base_rates)
    print(
        f"{prefix}baseline, a receiver that only verifies the signature and answers 200 "
        f"(same app, route and uvicorn flags, 16 conns): {rates} deliveries/s "
        f"(mean {result.base:,.0f})"
    )
    per_slice = " ".join(
        f"{h / b:.2f}" for h, b in zip(result.hook_rates, result.base_rates, strict=True)
    )
    print(
        f"{prefix}{len(result.base_rates)} slices of {slice_seconds:g} s each, baseline then "
        f"webhook; webhook ÷ baseline per slice: {per_slice}"
    )
    print(
        f"{prefix}webhook closed loop, 16 keep-alive conns: {result.throughput:,.0f} "
        f"deliveries/s = {result.throughput / result.base:.2f}× baseline "
        f"(target ≥ {TARGET_RATIO}×); statuses {result.statuses}"
    )
    done = sum(result.statuses.values())
    cpu = [part / done * 1e6 for part in result.used]
    print(
        f"{prefix}CPU per delivery in the closed loop: receiver {cpu[0]:.0f} µs, "
        f"postgres {cpu[1]:.0f} µs, client {cpu[2]:.0f} µs"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--latency-seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="then store this many times the deliveries and measure again (growth)",
    )
    parser.add_argument(
        "--slices",
        type=int,
        default=5,
        help="baseline and webhook take turns in this many slices of --seconds",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn workers (1: as deployed, one per container)",
    )
    parser.add_argument(
        "--receiver",
        choices=["service", "noop", "checks-only", "intake-only"],
        default="service",
        help="noop: bare ASGI 200; checks-only: the service without storing; intake-only: the"
        " service storing deliveries and events but deriving nothing (ceilings, for scale)",
    )
    parser.add_argument(
        "--durable",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="own cluster with fsync/synchronous_commit on (default); --no-durable: test cluster",
    )
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="closed-loop client: wrk (Debian package; auto when installed) or the Python one",
    )
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("BENCH_PG_PORT", 54399)))
    arguments = parser.parse_args()
    if arguments.client == "auto":
        arguments.client = "wrk" if shutil.which("wrk") else "python"
    cluster = None
    if os.environ.get("DATABASE_URL") or not arguments.durable:
        database = fresh_database("bench_webhook")
    else:
        database, cluster = durable_database(arguments.pg_port)
    uvloop.install()
    try:
        asyncio.run(run(arguments, database))
    finally:
        if cluster is not None:
            cluster.stop()
    where = (
        f"its own cluster on :{arguments.pg_port} (fsync on, synchronous_commit on)"
        if cluster is not None
        else "the embedded test cluster (fsync off) or DATABASE_URL"
    )
    print(f"postgres: {where}")
