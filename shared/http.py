"""One shared httpx.AsyncClient per process, the tokens our services present to each other, and
the headers of a Standard Webhooks-signed POST we send (the OA system, the demo 12345 platform)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from standardwebhooks import Webhook

from shared.auth import issue_token
from shared.errors import ServiceUnavailable
from shared.models.platform import Role
from shared.settings import Settings

SERVICE_TOKEN_TTL = timedelta(minutes=10)


def create_http_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout_seconds),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        # Connection-level retries (refused/reset before a request is sent); request-level
        # retries belong to the caller (the outbox relay persists its own backoff).
        transport=httpx.AsyncHTTPTransport(retries=2),
    )


class ServiceTokens:
    """Short-lived JWTs with role `service`, cached until shortly before they expire."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._cache: dict[str, tuple[str, float]] = {}

    def token(self, service: str) -> str:
        cached = self._cache.get(service)
        now = time.monotonic()
        if cached and cached[1] > now:
            return cached[0]
        token = issue_token(
            self._settings,
            username=f"service:{service}",
            role=Role.service,
            unit_code=None,
            ttl=SERVICE_TOKEN_TTL,
        )
        self._cache[service] = (token, now + SERVICE_TOKEN_TTL.total_seconds() - 60)
        return token


async def get_from_service(
    client: httpx.AsyncClient,
    token: str,
    url: str,
    params: dict[str, str],
    unavailable: str,
) -> Any:
    """GET `url` of another of our services with a service `token`: its JSON. One that does not
    answer, answers an error or answers no JSON is a 503 problem, `unavailable` followed by what
    went wrong (the caller says what it could not do)."""
    try:
        response = await client.get(
            url, params=params, headers={"Authorization": f"Bearer {token}"}
        )
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ServiceUnavailable(f"{unavailable}：{type(exc).__name__}") from exc


def signed_headers(
    signer: Webhook, message_id: str, body: str, *, at: datetime | None = None
) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` (`at`, default now) and `webhook-signature` for a JSON
    body."""
    moment = at or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signer.sign(message_id, moment, body),
    }
