"""What a report needs from the other services, over HTTP with a service token: scores and
rankings from evaluation (the hotline's rates come with the scores, as the score counted them);
the returns (退单) per unit from the hotline."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from fastapi import Request

from shared.http import ServiceTokens, get_from_service
from shared.settings import Settings


class Sources:
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._tokens = ServiceTokens(settings)

    async def _get(self, base: str, path: str, params: dict[str, str], what: str) -> Any:
        return await get_from_service(
            self._client,
            self._tokens.token("reform_tasks"),
            base.rstrip("/") + path,
            params,
            f"{what}暂不可用，报告未生成",
        )

    async def scores(self, programme: str, period: str, as_of: date) -> list[dict[str, Any]]:
        body = await self._get(
            self._settings.evaluation_url,
            "/api/evaluation/v1/scores",
            {"programme": programme, "period": period, "as_of": as_of.isoformat()},
            "评价服务",
        )
        return list(body["items"])

    async def ranking(self, programme: str, period: str, group: str | None) -> dict[str, Any]:
        """One ranking group (None: the rule set's first), with the list of all groups."""
        params = {"programme": programme, "period": period}
        body: dict[str, Any] = await self._get(
            self._settings.evaluation_url,
            "/api/evaluation/v1/rankings",
            params if group is None else {**params, "group": group},
            "评价服务",
        )
        return body

    async def hotline_board(self, programme: str, period: str, group: str) -> dict[str, Any]:
        """One ranking group's 12345 红黑榜."""
        body: dict[str, Any] = await self._get(
            self._settings.evaluation_url,
            "/api/evaluation/v1/rankings/hotline",
            {"programme": programme, "period": period, "group": group},
            "评价服务",
        )
        return body

    async def hotline_returns(self, period: str) -> list[dict[str, Any]]:
        """The hotline's returns per unit in the period (issue #26: returned, approved and
        re-dispatched, rejected, pending), units with the most returns first."""
        body = await self._get(
            self._settings.hotline_url,
            "/api/hotline/v1/returns/summary",
            {"period": period},
            "12345热线服务",
        )
        return list(body["items"])


def sources_of(request: Request) -> Sources:
    """The app's one HTTP client (tests route it to the other apps in process)."""
    settings: Settings = request.app.state.settings
    return Sources(request.app.state.http, settings)
