"""Answers over 1 KiB are gzip-compressed for a client that accepts it (issue #24), the same in
every deployment: the services compress, nginx and `make up`'s proxy pass it on. Small answers,
already-compressed files (xlsx, docx, PDF, images), the event stream and the 12345 webhook are
sent as they are."""

from __future__ import annotations

import httpx
from starlette.types import Receive, Scope, Send

from shared.app import COMPRESS_MIN_BYTES, Compression
from shared.downloads import XLSX
from shared.models import Role
from tests.conftest import Factory

GZIP = {"Accept-Encoding": "gzip"}


async def test_a_large_json_answer_is_compressed_and_reads_the_same(
    tasks_client: httpx.AsyncClient,
) -> None:
    plain = await tasks_client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    packed = await tasks_client.get("/openapi.json", headers=GZIP)
    assert len(plain.content) > COMPRESS_MIN_BYTES
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert packed.json() == plain.json()  # httpx decodes it
    assert int(packed.headers["content-length"]) < len(plain.content) / 4


async def test_small_answers_and_office_files_are_sent_as_they_are(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    small = await tasks_client.get("/healthz", headers=GZIP)
    assert small.status_code == 200
    assert "content-encoding" not in small.headers
    await factory.programme("2026")
    office = factory.headers("office", Role.office_admin, None)
    sheet = await tasks_client.get("/api/tasks/v1/tasks/import-template", headers=office | GZIP)
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["content-type"] == XLSX
    assert len(sheet.content) > COMPRESS_MIN_BYTES
    assert "content-encoding" not in sheet.headers


async def test_the_busy_paths_skip_compression() -> None:
    """The webhook's route is matched first and answers a few bytes: it never pays for the
    compression layer, whatever the answer's size."""
    body = b'{"status": "applied"}' + b" " * 4096

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    wrapped = Compression(app, skip_prefixes=("/api/hotline/v1/webhooks/12345",))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=wrapped), base_url="http://test"
    ) as client:
        webhook = await client.post("/api/hotline/v1/webhooks/12345", headers=GZIP)
        other = await client.get("/api/hotline/v1/work-orders", headers=GZIP)
    assert "content-encoding" not in webhook.headers
    assert webhook.content == body
    assert other.headers["content-encoding"] == "gzip"
    assert other.content == body  # httpx decodes it
