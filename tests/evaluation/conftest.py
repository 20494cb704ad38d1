from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared.models import Role, UnitKind
from tests.conftest import Factory


class Events:
    """Posts events to evaluation's /internal/events the way the outbox relay does."""

    def __init__(self, client: httpx.AsyncClient, factory: Factory) -> None:
        self.client = client
        self.headers = factory.headers("service:reform_tasks", Role.service, None)

    def envelope(
        self,
        event_type: str,
        unit: str,
        when: datetime,
        data: dict[str, Any] | None = None,
        *,
        event_id: uuid.UUID | None = None,
        programme: str | None = "2026",
    ) -> dict[str, Any]:
        return {
            "id": str(event_id or uuid.uuid4()),
            "type": event_type,
            "occurred_at": when.astimezone(UTC).isoformat(),
            "programme": programme,
            "unit_code": unit,
            "data": data or {},
        }

    async def post(self, envelope: dict[str, Any]) -> httpx.Response:
        response = await self.client.post("/internal/events", json=envelope, headers=self.headers)
        assert response.status_code == 200, response.text
        return response

    async def send(
        self, event_type: str, unit: str, when: datetime, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        envelope = self.envelope(event_type, unit, when, data)
        await self.post(envelope)
        return envelope


@pytest.fixture
async def events(evaluation_client: httpx.AsyncClient, factory: Factory) -> Events:
    return Events(evaluation_client, factory)


@pytest.fixture
async def city(factory: Factory) -> dict[str, Any]:
    """Three departments and two districts."""
    units = {}
    for code in ("shichang", "shuiwu", "zhengwu"):
        units[code] = await factory.unit(code, UnitKind.department, name=f"云岭市{code}局")
    for code in ("yunzhongqu", "hexiqu"):
        units[code] = await factory.unit(code, UnitKind.district, name=f"{code}人民政府")
    return units
