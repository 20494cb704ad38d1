"""Rule sets: validated with the failing path named, immutable once published, and a mid-period
publication is explicit and recorded."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.evaluation.ledger.service import ensure_default_rule_set
from shared.models import AuditLog, Role, RuleSet
from tests.conftest import Factory

ADMIN = ("office", Role.office_admin, "gaigeban")


async def _default(client: httpx.AsyncClient, factory: Factory) -> dict[str, Any]:
    response = await client.get(
        "/api/evaluation/v1/rule-sets/default", headers=factory.headers(*ADMIN)
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_invalid_rule_set_is_422_with_the_failing_path(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    body = await _default(evaluation_client, factory)
    body["components"][2]["weight"]["unit"] = -5
    response = await evaluation_client.post(
        "/api/evaluation/v1/rule-sets/2026",
        json={"body": body, "note": "坏的"},
        headers=factory.headers(*ADMIN),
    )
    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["errors"]]
    assert ["body", "components", 2, "hotline", "weight", "unit"] in locs


async def test_weights_must_add_up_to_the_total(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    body = await _default(evaluation_client, factory)
    body["district_total"] = 100
    response = await evaluation_client.post(
        "/api/evaluation/v1/rule-sets/2026",
        json={"body": body},
        headers=factory.headers(*ADMIN),
    )
    assert response.status_code == 422
    assert "district" in response.json()["detail"]
    # The rule's own message reaches the office, in Chinese (not a generic 取值无效).
    messages = [e["msg"] for e in response.json()["errors"]]
    assert any("权重之和" in m and "应等于满分" in m for m in messages), messages


async def test_published_rule_set_cannot_change_and_mid_period_needs_confirmation(
    evaluation_client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    admin = factory.headers(*ADMIN)
    body = await _default(evaluation_client, factory)
    body["top_n"] = 3
    draft = await evaluation_client.post(
        "/api/evaluation/v1/rule-sets/2026",
        json={"body": body, "note": "下半年调整"},
        headers=admin,
    )
    assert draft.status_code == 201, draft.text
    version = draft.json()["version"]
    assert version == 2  # version 1 is the default set, published from the year's start

    unconfirmed = await evaluation_client.post(
        f"/api/evaluation/v1/rule-sets/2026/{version}/publish",
        json={"effective_from": "2026-07-01"},
        headers=admin,
    )
    assert unconfirmed.status_code == 409
    published = await evaluation_client.post(
        f"/api/evaluation/v1/rule-sets/2026/{version}/publish",
        json={"effective_from": "2026-07-01", "confirm_mid_period": True},
        headers=admin,
    )
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"

    edit = await evaluation_client.put(
        f"/api/evaluation/v1/rule-sets/2026/{version}", json={"body": body}, headers=admin
    )
    assert edit.status_code == 409
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "rule_set.published"))
    assert audit is not None
    assert audit.after == {"effective_from": "2026-07-01", "mid_period": True}

    ranking = await evaluation_client.get(
        "/api/evaluation/v1/rankings",
        params={"period": "2026-Q3", "group": "department"},
        headers=admin,
    )
    assert ranking.json()["top_n"] == 3
    earlier = await evaluation_client.get(
        "/api/evaluation/v1/rankings",
        params={"period": "2026-Q1", "group": "department"},
        headers=admin,
    )
    assert earlier.json()["top_n"] == 5


async def test_only_office_admin_edits_rule_sets(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    body = await _default(evaluation_client, factory)
    for role, unit in (
        (Role.office_staff, "gaigeban"),
        (Role.lead_unit, "shichang"),
        (Role.viewer, None),
    ):
        response = await evaluation_client.post(
            "/api/evaluation/v1/rule-sets/2026",
            json={"body": body},
            headers=factory.headers("x", role, unit),
        )
        assert response.status_code == 403


async def _until_a_backend_waits_on_a_lock(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        for _ in range(200):
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE '%rule_sets%'"
                )
            )
            # pg_stat_activity is read once per transaction: a new one for the next look.
            await conn.rollback()
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the second request never waited for the first")


async def test_two_first_requests_at_once_store_the_default_rule_set_once(
    engine: AsyncEngine,
) -> None:
    """Two offices open the rules of a new programme together: both get the default set, one
    row is stored (the second insert waited for the first and found it)."""
    programme = "2099-race"
    maker = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with maker() as first, maker() as second:
            mine = await ensure_default_rule_set(first, programme, date(2099, 1, 1), "a")
            other = asyncio.create_task(
                ensure_default_rule_set(second, programme, date(2099, 1, 1), "b")
            )
            await _until_a_backend_waits_on_a_lock(engine)  # the second, on the first's row
            assert not other.done()
            await first.commit()
            theirs = await asyncio.wait_for(other, 10)
            await second.commit()
        assert (mine.version, theirs.version, theirs.id) == (1, 1, mine.id)
        async with maker() as check:
            count = await check.scalar(
                select(func.count()).select_from(RuleSet).where(RuleSet.programme == programme)
            )
        assert count == 1
    finally:
        async with maker() as cleanup, cleanup.begin():
            await cleanup.execute(delete(RuleSet).where(RuleSet.programme == programme))
