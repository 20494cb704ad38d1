"""Duplicated and reordered deliveries converge on the state an in-order replay gives
(hypothesis over random permutations, duplicates by webhook-id and by event)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.models import UnitKind, WorkOrder
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
