from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.rule_set.schemas import (
    RuleSetBody,
    deduction_task_delivery,
    default_rule_set,
)
from shared.models import Role, RuleSet, RuleSetStatus, UnitKind
from shared.periods import business_day
from tests.conftest import Factory
from tests.event_data import event_data


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
        raw: bool = False,
    ) -> dict[str, Any]:
        """`data` on top of a complete sample of the type (`tests.event_data`); `raw` sends it
        as given (to test what the consumer does with data that does not fit)."""
        return {
            "id": str(event_id or uuid.uuid4()),
            "type": event_type,
            "occurred_at": when.astimezone(UTC).isoformat(),
            "programme": programme,
            "unit_code": unit,
            "data": (data or {})
            if raw
            else event_data(event_type, unit, data, day=business_day(when)),
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


async def publish_rule_set(
    client: httpx.AsyncClient,
    factory: Factory,
    components: dict[str, dict[str, Any]],
    **settings: Any,
) -> None:
    """Publish, through the API and from 2026-01-01, the default rule set with these changes:
    `components` by key (fields to update), `settings` on the body itself."""
    admin = factory.headers("office", Role.office_admin, "gaigeban")
    body = (await client.get("/api/evaluation/v1/rule-sets/default", headers=admin)).json()
    body.update(settings)
    for component in body["components"]:
        component.update(components.get(component["key"], {}))
    draft = await client.post(
        "/api/evaluation/v1/rule-sets/2026", json={"body": body}, headers=admin
    )
    assert draft.status_code == 201, draft.text
    published = await client.post(
        f"/api/evaluation/v1/rule-sets/2026/{draft.json()['version']}/publish",
        json={"effective_from": "2026-01-01"},
        headers=admin,
    )
    assert published.status_code == 200, published.text


async def add_published_rule_set(session: AsyncSession, body: RuleSetBody, since: date) -> None:
    """Version 1 of programme 2026's rules, published from `since`, written directly."""
    session.add(
        RuleSet(
            programme="2026",
            version=1,
            status=RuleSetStatus.published,
            body=body.model_dump(mode="json"),
            effective_from=since,
            created_by="test",
        )
    )
    await session.flush()


@pytest.fixture
async def deduction_model(session: AsyncSession) -> None:
    """The rule-set option that scores 改革任务推进 by fixed points per late or lagging milestone
    (`deduction_task_delivery`), published from the year's start instead of the default rate:
    for the deduction mechanics, and for tests that need each event to move a score a known
    step (rankings, streams)."""
    body = default_rule_set()
    body.components = [
        deduction_task_delivery() if c.key == "task_delivery" else c for c in body.components
    ]
    await add_published_rule_set(session, body, date(2026, 1, 1))


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
