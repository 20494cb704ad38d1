"""What closing a year asks hotline_ingest, over HTTP with a service token (as report/sources.py
asks evaluation): the 12345 orders still held in its quarantine queue (待处理队列) that were
received within the programme's dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

import httpx
from fastapi import Depends, Request

from shared.errors import ServiceUnavailable
from shared.http import ServiceTokens, get_from_service
from shared.settings import Settings

# Orders named one by one in the refusal; the rest are counted.
LISTED = 20


@dataclass(frozen=True, slots=True)
class Held:
    total: int
    order_nos: list[str]  # the first LISTED, oldest received first


class Quarantine:
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._tokens = ServiceTokens(settings)

    async def held(self, starts_on: date, ends_on: date) -> Held:
        """The held orders received from `starts_on` to `ends_on` (Shanghai days); 503 if the
        hotline does not answer."""
        unavailable = "12345热线服务暂不可用，无法核对待处理队列，年度未结束"
        body = await get_from_service(
            self._client,
            self._tokens.token("reform_tasks"),
            self._settings.hotline_url.rstrip("/") + "/api/hotline/v1/work-orders",
            {
                "quarantined": "true",
                "received_from": starts_on.isoformat(),
                "received_to": ends_on.isoformat(),
                "sort": "received_at",
                "limit": str(LISTED),
            },
            unavailable,
        )
        try:
            return Held(int(body["total"]), [str(o["order_no"]) for o in body["items"]])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceUnavailable(f"{unavailable}：{type(exc).__name__}") from exc


def _quarantine(request: Request) -> Quarantine:
    """The app's one HTTP client (tests route it to the hotline app in process)."""
    settings: Settings = request.app.state.settings
    return Quarantine(request.app.state.http, settings)


HotlineQuarantine = Annotated[Quarantine, Depends(_quarantine)]
