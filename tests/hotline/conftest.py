from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from shared.http import signed_headers
from shared.models import OutboxEvent, Role, WorkOrder
from shared.settings import Settings
from tests.pg import settings_for

SECRET = "whsec_" + base64.b64encode(b"hotline-test-secret-0123456789ab").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"rotated-out-secret-0123456789abc").decode()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """The hotline tests' services accept two secrets (rotation)."""
    return settings_for(database_url, hotline_webhook_secrets=f"{OLD_SECRET},{SECRET}")


class Platform:
    """The 12345 platform: signs deliveries with the official Standard Webhooks signer."""

    def __init__(self, client: httpx.AsyncClient, secret: str = SECRET) -> None:
        self.client = client
        self.signer = Webhook(secret)

    def headers(
        self, body: str, *, webhook_id: str | None = None, at: datetime | None = None
    ) -> dict[str, str]:
        return signed_headers(self.signer, webhook_id or f"msg_{uuid.uuid4().hex}", body, at=at)

    async def send(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        webhook_id: str | None = None,
        at: datetime | None = None,
        ensure_ascii: bool = False,
    ) -> httpx.Response:
        body = json.dumps(
            {"type": event_type, "timestamp": datetime.now(UTC).isoformat(), "data": data},
            ensure_ascii=ensure_ascii,
        )
        return await self.client.post(
            "/api/hotline/v1/webhooks/12345",
            content=body.encode(),
            headers=self.headers(body, webhook_id=webhook_id, at=at),
        )


# One caller per order unless a test says otherwise (the same caller about the same matter
# within the window would be a repeat request, issue #26); masked, each is 138****5678.
_CALLERS: dict[str, str] = {}


def caller_phone(order_no: str) -> str:
    return _CALLERS.setdefault(order_no, f"138{len(_CALLERS) % 10000:04d}5678")


def created(order_no: str, **override: Any) -> dict[str, Any]:
    now = datetime(2026, 6, 1, 9, tzinfo=UTC)
    data = {
        "order_no": order_no,
        "occurred_at": now.isoformat(),
        "channel": "phone",
        "kind": "complaint",
        "title": "企业开办材料被要求重复提交",
        "content": "在政务服务中心办理企业开办时被要求重复提交营业执照复印件。",
        "received_at": now.isoformat(),
        "district_code": "yunzhongqu",
        "enterprise_name": "云岭市鑫达机械制造有限公司",
        "credit_code": "91360100MA35F3WQ1W",
        "contact_name": "张三明",
        "contact_phone": caller_phone(order_no),
        "category_code": "qy_kaiban",
        "handling_unit_code": "zhengwu",
        "due_at": (now + timedelta(days=5)).isoformat(),
    }
    data.update(override)
    return data


def at(order_no: str, days: float) -> dict[str, Any]:
    return {
        "order_no": order_no,
        "occurred_at": (datetime(2026, 6, 1, 9, tzinfo=UTC) + timedelta(days=days)).isoformat(),
    }


@pytest.fixture
async def platform(hotline_client: httpx.AsyncClient) -> Platform:
    return Platform(hotline_client)


OFFICE = ("office", "office_admin", "gaigeban")


@pytest.fixture
async def units(factory: Any) -> None:
    """The units the fixtures' orders name: the handling unit, another unit, the district."""
    from shared.models import UnitKind

    await factory.unit("zhengwu", name="云岭市政务服务管理局")
    await factory.unit("shuiwu", name="国家税务总局云岭市税务局")
    await factory.unit("yunzhongqu", UnitKind.district, name="云中区人民政府")


@pytest.fixture
def office(factory: Any) -> dict[str, str]:
    from shared.models import Role

    headers: dict[str, str] = factory.headers("office", Role.office_admin, "gaigeban")
    return headers


async def tell_evaluation(
    session: AsyncSession,
    evaluation_client: httpx.AsyncClient,
    factory: Any,
    order: int,
    *,
    chunked: bool = False,
) -> None:
    """What the hotline told evaluation, delivered as the outbox relay does — in `order`
    (1: as written; -1: reversed, as if the relay's retries reordered them), each event its own
    batch or (`chunked`) all in one, as a burst's relay sends them (applied set-wise)."""
    rows = (
        await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.consumer == "evaluation")
            .order_by(OutboxEvent.created_at, OutboxEvent.id)
        )
    ).all()
    events = [
        {
            "id": str(r.id),
            "type": r.type,
            "occurred_at": r.occurred_at.isoformat(),
            "programme": r.programme,
            "unit_code": r.unit_code,
            "data": r.data,
        }
        for r in rows
    ][::order]
    headers = factory.headers("service:hotline_ingest", Role.service, None)
    for batch in [events] if chunked else [[event] for event in events]:
        sent = await evaluation_client.post(
            "/internal/events/batch", json={"events": batch}, headers=headers
        )
        assert sent.status_code == 200, sent.text


async def stored_order(session: AsyncSession, order_no: str) -> WorkOrder:
    """The order as derived now (not the session's cached copy)."""
    order = await session.scalar(
        select(WorkOrder)
        .where(WorkOrder.order_no == order_no)
        .execution_options(populate_existing=True)
    )
    assert order is not None
    return order
