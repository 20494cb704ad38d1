"""The real multi-process stack (what `make up` runs): separate uvicorn processes, real HTTP
between them, the outbox relay delivering over the network, and Ctrl-C stopping everything."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from shared.settings import REPO_ROOT
from tests import pg
from tests.event_data import event_data

_BASE = 18000 + (pg.TEST_PG_PORT % 100) * 10  # a second suite (other TEST_PG_PORT) won't collide
PORTS = {"reform_tasks": _BASE + 1, "evaluation": _BASE + 2, "hotline_ingest": _BASE + 3}


def _port_open(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
    except httpx.HTTPError:
        return False
    return True


@pytest.fixture
def stack(worker_id_name: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    cluster = pg.test_cluster()
    name = f"stack_{worker_id_name}"
    url = pg.clone_database(cluster, name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "dev",
        "REFORM_TASKS_URL": f"http://127.0.0.1:{PORTS['reform_tasks']}",
        "EVALUATION_URL": f"http://127.0.0.1:{PORTS['evaluation']}",
        "HOTLINE_URL": f"http://127.0.0.1:{PORTS['hotline_ingest']}",
        "DEMO_PASSWORD": "stack-test-pw",
        "LOG_JSON": "false",
    }
    log = (tmp_path / "stack.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.devstack", "up", "--no-web"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process, name
    finally:
        if process.poll() is None:
            # honcho puts each child in a session of its own: end the whole tree.
            tree = psutil.Process(process.pid).children(recursive=True)
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
            for child in tree:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        log.close()
        cluster.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_ready(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    pending = set(PORTS.values())
    while pending and time.monotonic() < deadline:
        for port in list(pending):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    pending.discard(port)
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    assert not pending, f"services on ports {pending} never became ready"


def test_stack_serves_login_relays_events_and_stops_on_ctrl_c(
    stack: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, database = stack
    _wait_ready()
    base = f"http://127.0.0.1:{PORTS['reform_tasks']}"

    login = httpx.post(
        f"{base}/api/auth/token", data={"username": "office", "password": "stack-test-pw"}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    units = httpx.get(f"{base}/api/tasks/v1/units", params={"kind": "district"}, headers=headers)
    assert units.json()["total"] == 12

    # The same token is accepted by every service (one signing module, one secret).
    stream_probe = httpx.get(
        f"http://127.0.0.1:{PORTS['evaluation']}/openapi.json", headers=headers
    )
    assert stream_probe.status_code == 200

    # The first start played the 12345 platform: signed demo orders came through the webhook.
    hotline = f"http://127.0.0.1:{PORTS['hotline_ingest']}"
    deadline = time.monotonic() + 60
    orders = 0
    while time.monotonic() < deadline and orders < 300:
        orders = httpx.get(
            f"{hotline}/api/hotline/v1/work-orders", params={"limit": 1}, headers=headers
        ).json()["total"]
        time.sleep(0.5)
    assert orders == 300

    # The demo's simulated year reached evaluation through the outbox: live scores exist.
    evaluation = f"http://127.0.0.1:{PORTS['evaluation']}"
    deadline = time.monotonic() + 60
    scores: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(scores) < 49:
        scores = httpx.get(
            f"{evaluation}/api/evaluation/v1/scores", params={"period": "2026"}, headers=headers
        ).json()["items"]
        time.sleep(0.5)
    assert len(scores) == 49
    assert any(float(str(s["total"])) < float(str(s["max_total"])) for s in scores)

    # An event committed to reform_tasks' outbox reaches evaluation over real HTTP, and the
    # score change is pushed on the SSE stream. A milestone announced lagging lowers the delivery
    # rate: aim it at the unit with the most task-delivery points left, so its score surely moves.
    def delivery_points(score: dict[str, Any]) -> float:
        return next(float(c["points"]) for c in score["components"] if c["key"] == "task_delivery")

    target = max(scores, key=delivery_points)
    assert delivery_points(target) > 0
    unit = str(target["unit_code"])
    cluster = pg.test_cluster()
    event_id = uuid.uuid4()
    received: list[str] = []

    def listen() -> None:
        with httpx.stream(
            "GET", f"{evaluation}/api/evaluation/v1/stream", headers=headers, timeout=70
        ) as stream:
            for line in stream.iter_lines():
                seen.append(line)
                # A batch's score.changed lines list every event id of the batch: wait for
                # the line of the unit this event scores.
                scored_unit = f'"unit_code":"{unit}"' in line.replace(" ", "")
                if line.startswith("data:") and str(event_id) in line and scored_unit:
                    received.append(line)
                    return

    seen: list[str] = []
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(0.5)
    lagging = event_data("milestone.lagging", unit, {"task_number": 999, "title": "stack"})
    cluster.psql(
        "INSERT INTO platform.outbox (id, type, occurred_at, programme, unit_code, data, "
        "producer, consumer) VALUES "
        f"('{event_id}', 'milestone.lagging', now(), '2026', '{unit}', "
        f"'{json.dumps(lagging)}', 'reform_tasks', 'evaluation')",
        database,
    )
    # On a first start the relay shares reform_tasks with the scheduler's report catch-up, on
    # two cores: allow it time (event → score latency is measured in bench/, not here).
    deadline = time.monotonic() + 60
    facts = "0"
    while time.monotonic() < deadline and facts != "1":
        facts = cluster.psql(
            f"SELECT count(*) FROM evaluation.facts WHERE event_id = '{event_id}'", database
        ).strip()
        time.sleep(0.2)
    assert facts == "1"
    # The relay marks the row delivered when its own transaction commits, just after the POST.
    delivered = "f"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and delivered != "t":
        delivered = cluster.psql(
            f"SELECT delivered_at IS NOT NULL FROM platform.outbox WHERE id = '{event_id}'",
            database,
        ).strip()
        time.sleep(0.1)
    assert delivered == "t"
    listener.join(30)
    assert received, f"no score.changed for {unit}'s event on the SSE stream: {seen[-6:]}"

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    assert process.wait(30) is not None
    for port in PORTS.values():
        assert not _port_open(port), f"port {port} still serving after Ctrl-C"
