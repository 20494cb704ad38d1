"""Duplicated and reordered deliveries converge on the state an in-order replay gives
(hypothesis over random permutations, duplicates by webhook-id and by event)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.hotline_ingest import office_events
from shared.auth import Principal
from shared.models import Role, UnitKind, WorkOrder
from shared.settings import Settings
from tests.conftest import Factory
from tests.hotline.conftest import Platform, at, created

LIFECYCLE: list[tuple[str, dict[str, Any]]] = [
    ("work_order.created", {}),
    (
        "work_order.assigned",
        {"handling_unit_code": "shuiwu", "due_at": "2026-06-09T09:00:00+00:00"},
    ),
    ("work_order.accepted", {}),
    ("work_order.extended", {"new_due_at": "2026-06-12T09:00:00+00:00"}),
    ("work_order.replied", {"reply": "已办理完毕"}),
    ("work_order.closed", {}),
    ("work_order.visited", {"satisfaction": "basically_satisfied", "resolved": True}),
]
COLUMNS = (
    "status",
    "handling_unit_code",
    "due_at",
    "accepted_at",
    "replied_at",
    "closed_at",
    "visited_at",
    "satisfaction",
    "resolved",
)


def _event(index: int, order_no: str) -> tuple[str, dict[str, Any]]:
    kind, extra = LIFECYCLE[index]
    data = created(order_no) if kind == "work_order.created" else {**at(order_no, index), **extra}
    return kind, {**data, "order_no": order_no}


async def _state(session: AsyncSession, order_no: str) -> tuple[Any, ...]:
    row = await session.scalar(
        select(WorkOrder)
        .where(WorkOrder.order_no == order_no)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return tuple(getattr(row, c) for c in COLUMNS)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(0, len(LIFECYCLE) - 1), min_size=1, max_size=12),
    redeliver=st.lists(st.booleans(), min_size=12, max_size=12),
)
async def test_any_order_with_duplicates_converges(
    picks: list[int],
    redeliver: list[bool],
    platform: Platform,
    factory: Factory,
    connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    savepoint = await connection.begin_nested()
    try:
        for code, kind in (
            ("zhengwu", UnitKind.department),
            ("shuiwu", UnitKind.department),
            ("yunzhongqu", UnitKind.district),
        ):
            await factory.unit(code, kind)
        chosen = sorted(set(picks) | {0})  # every order exists once `created` is in
        for number, index in enumerate(picks + chosen):
            # A repeated pick is the same event under a new webhook-id; a redelivery reuses it.
            kind, data = _event(index, "RANDOM")
            webhook_id = f"msg-random-{number}"
            response = await platform.send(kind, data, webhook_id=webhook_id)
            assert response.status_code == 200, response.text
            if redeliver[number % len(redeliver)]:
                again = await platform.send(kind, data, webhook_id=webhook_id)
                assert again.json() == {"status": "duplicate_delivery"}
        for index in chosen:
            kind, data = _event(index, "INORDER")
            assert (await platform.send(kind, data)).status_code == 200
        assert await _state(session, "RANDOM") == await _state(session, "INORDER")
    finally:
        await session.rollback()
        await savepoint.rollback()


# --- issue #26: returns and their review, first contacts, appeals ---------------------------
# (type, data, from the office?) by index — the office's decisions are stored by the same SQL as
# the API's (services.hotline_ingest.office_events), at the moment given, so any order can be
# tried; a first contact reported later may say an earlier time.
REVIEWED: list[tuple[str, dict[str, Any], bool]] = [
    ("work_order.created", {}, False),
    ("work_order.accepted", {}, False),
    ("work_order.returned", {"reason": "非本单位职责"}, False),
    ("work_order.return_rejected", {"reason": "属本单位职责"}, True),
    ("work_order.first_contacted", {"contacted_at": "2026-06-04T09:00:00+00:00"}, False),
    ("work_order.first_contacted", {"contacted_at": "2026-06-02T03:00:00+00:00"}, False),
    ("work_order.visited", {"satisfaction": "dissatisfied", "resolved": False}, False),
    ("work_order.visit_overturned", {"reason": "超出政策范围", "appeal_id": 1}, True),
]
REVIEWED_COLUMNS = (
    "status",
    "handling_unit_code",
    "accepted_at",
    "returned_at",
    "returned_reason",
    "first_contacted_at",
    "satisfaction",
    "satisfaction_overturned",
)


async def _store_reviewed(
    index: int, order_no: str, platform: Platform, session: AsyncSession, hotline: Settings
) -> None:
    kind, extra, by_office = REVIEWED[index]
    data = created(order_no) if index == 0 else {**at(order_no, index), **extra}
    data = {**data, "order_no": order_no}
    if not by_office:
        response = await platform.send(kind, data)
        assert response.status_code == 200, response.text
        return
    model = (
        office_events.ReturnRejected
        if kind == office_events.RETURN_REJECTED
        else office_events.VisitOverturned
    )
    office = Principal(username="office", role=Role.office_admin, unit_code="gaigeban")
    await office_events.record(session, hotline, office, kind, model.model_validate(data))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(0, len(REVIEWED) - 1), min_size=1, max_size=12),
)
async def test_reviews_first_contacts_and_appeals_converge_in_any_order(
    picks: list[int],
    platform: Platform,
    factory: Factory,
    connection: AsyncConnection,
    session: AsyncSession,
    settings: Settings,
) -> None:
    savepoint = await connection.begin_nested()
    try:
        for code, kind in (("zhengwu", UnitKind.department), ("yunzhongqu", UnitKind.district)):
            await factory.unit(code, kind)
        chosen = sorted(set(picks) | {0})
        for index in picks + chosen:  # a repeated pick is the same event again
            await _store_reviewed(index, "REVIEWED-RANDOM", platform, session, settings)
        for index in chosen:
            await _store_reviewed(index, "REVIEWED-INORDER", platform, session, settings)
        random_state = await _state_of(session, "REVIEWED-RANDOM")
        assert random_state == await _state_of(session, "REVIEWED-INORDER")
    finally:
        await session.rollback()
        await savepoint.rollback()


async def _state_of(session: AsyncSession, order_no: str) -> tuple[Any, ...]:
    row = await session.scalar(
        select(WorkOrder)
        .where(WorkOrder.order_no == order_no)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return tuple(getattr(row, c) for c in REVIEWED_COLUMNS)
