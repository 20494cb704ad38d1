"""Attacks on the 12345 webhook, in process and over a real uvicorn socket: replays, a signature
lifted onto another body, header injection, huge headers, deeply nested JSON, non-UTF-8 and a
10 MB body. Each is a 4xx problem+json, nothing is stored, and the webhook still works
afterwards. The response rules are docs/HOTLINE.md; tests/hotline/test_webhook.py has the
ordinary signature and body cases."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Delivery, OutboxEvent, WorkOrder, WorkOrderEvent
from shared.settings import REPO_ROOT
from tests import pg
from tests.hotline.conftest import SECRET, Platform, created

WEBHOOK = "/api/hotline/v1/webhooks/12345"
TEN_MB = 10 * 1024 * 1024


def _body(data: dict[str, Any] | None = None, **extra: Any) -> str:
    return json.dumps(
        {
            "type": "work_order.created",
            "timestamp": datetime.now(UTC).isoformat(),
            "data": data or created("ATK1"),
            **extra,
        },
        ensure_ascii=False,
    )


def _nested(depth: int) -> str:
    return _body(created("ATK2", title="深层嵌套")).replace(
        '"channel"', '"deep": ' + '{"a": ' * depth + "1" + "}" * depth + ', "channel"', 1
    )


def attacks(platform: Platform) -> dict[str, tuple[bytes, dict[str, Any], set[int]]]:
    """name → (body, headers, acceptable statuses)."""
    body = _body()
    good = platform.headers(body)
    old = datetime.now(UTC) - timedelta(minutes=10)
    captured = platform.headers(body, at=old)
    lifted = platform.headers(_body(created("ATK9")))
    deep = _nested(20_000)
    huge = "x" * (1024 * 1024)
    ten_mb = _body(created("ATK3", content="长" * (TEN_MB // 3)))
    return {
        "replay of a delivery signed 10 minutes ago": (body.encode(), captured, {401}),
        "old signature with a fresh timestamp": (
            body.encode(),
            {**captured, "webhook-timestamp": good["webhook-timestamp"]},
            {401},
        ),
        "signature of another body": (body.encode(), lifted, {401}),
        "signature of another webhook id": (
            body.encode(),
            {**good, "webhook-id": "msg_someone_else"},
            {401},
        ),
        "CRLF in webhook-id": (
            body.encode(),
            {**good, "webhook-id": b"msg_1\r\nx-injected: 1"},
            {400, 401},
        ),
        "NUL in webhook-id": (body.encode(), {**good, "webhook-id": b"msg\x001"}, {400, 401}),
        "CRLF in signature": (
            body.encode(),
            {**good, "webhook-signature": good["webhook-signature"].encode() + b"\r\nx: y"},
            {400, 401},
        ),
        "10 000 signatures": (
            body.encode(),
            {**good, "webhook-signature": " ".join(["v1,AAAA"] * 10_000)},
            {401, 431},
        ),
        "1 MB signature header": (body.encode(), {**good, "webhook-signature": huge}, {431}),
        "1 MB unrelated header on a genuine delivery": (
            body.encode(),
            {**good, "x-padding": huge},
            {431},
        ),
        "deeply nested JSON": (deep.encode(), platform.headers(deep), {400, 413, 422}),
        "UTF-16 body": (
            body.encode("utf-16"),
            platform.headers(body.encode("utf-16").decode("latin-1")),
            {400, 401},
        ),
        "overlong UTF-8": (b'{"type": "\xc0\xaf"}', platform.headers('{"type": "/"}'), {400, 401}),
        "10 MB signed body": (ten_mb.encode(), platform.headers(ten_mb), {413}),
    }


async def _stored(session: AsyncSession) -> list[int]:
    counts = []
    for model in (Delivery, WorkOrder, WorkOrderEvent, OutboxEvent):
        counts.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
    return counts


async def test_attacks_are_4xx_and_store_nothing(
    hotline_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    platform = Platform(hotline_client)
    for name, (body, headers, expected) in attacks(platform).items():
        response = await hotline_client.post(WEBHOOK, content=body, headers=headers)
        assert response.status_code in expected, (name, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json", name
        assert await _stored(session) == [0, 0, 0, 0], name
    after = await platform.send("work_order.created", created("ATK-OK"))
    assert after.status_code == 200, after.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def hotline_process(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """hotline_ingest under uvicorn (its webhook pool, opened by the lifespan, and h11's header
    limits)."""
    url = fresh_database("webhook_attacks")
    port = _free_port()
    log = (tmp_path / "hotline.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "services.hotline_ingest.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "ENVIRONMENT": "test",
            "HOTLINE_WEBHOOK_SECRETS": SECRET,
            "OUTBOX_RELAY_ENABLED": "false",
            "LOG_JSON": "false",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, url.rsplit("/", 1)[1]
    finally:
        process.terminate()
        process.wait(20)
        log.close()


async def test_attacks_over_a_real_socket_are_4xx_and_store_nothing(
    hotline_process: tuple[str, str],
) -> None:
    base, database = hotline_process
    cluster = pg.test_cluster()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        platform = Platform(client)
        for name, (body, headers, expected) in attacks(platform).items():
            try:
                response = await client.post(WEBHOOK, content=body, headers=headers)
            except httpx.LocalProtocolError:
                continue  # the client itself refuses to put CR/LF on the wire
            except httpx.RemoteProtocolError:
                continue  # the server closed the connection on an oversized request
            assert response.status_code in {*expected, 400, 431}, (name, response.text[:200])
        stored = cluster.psql(
            "SELECT (SELECT count(*) FROM hotline.deliveries) + "
            "(SELECT count(*) FROM hotline.work_orders)",
            database,
        ).strip()
        assert stored == "0"
        after = await platform.send("work_order.created", created("ATK-OK"))
        assert after.status_code == 200, after.text
