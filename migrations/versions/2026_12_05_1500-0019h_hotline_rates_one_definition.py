"""hotline: one definition per rate — receipt day, expiry and on-time closing told to evaluation

Issue #19, fix 3 (shared/hotline_rates.py defines the four rates once). What `hotline.settle`
tells evaluation now carries every fact the rates need, decided here and never re-derived:

- every work-order event carries `received_on`: an order counts in the period it was received,
  in hotline_ingest's table and in evaluation's counters alike;
- `work_order.responded` carries `after_expiry`: the sweep had already told the signing limit
  passed (`work_order.response_expired`, new), so the late signing is not counted twice;
- `work_order.closed` carries `on_time` (closed by the due time) and `after_overdue`;
- an order with no `due_at` from the platform gets one from the closing limit (办结,
  `HOTLINE_CLOSING_DAYS`), a setting apart from the signing limit (签收,
  `HOTLINE_RESPONSE_DAYS`); `p_limits` is now `{"response": {kind: days}, "closing": {…}}`.

`hotline.work_orders.response_expired_for` records the signing clock (receipt or last
reassignment) the sweep told an expiry for.

Event data stored before (facts, the outbox, parked envelopes) gets the new fields: the receipt
day from the order where the hotline still has it (else the event's own day), `after_expiry`
and `after_overdue` false, `on_time` from the order's close and due times. Evaluation's counters
gain `response_due`, `closed_on_time` and `closing_due`, and are keyed by receipt day from now
on: run a full recompute (`POST /api/evaluation/v1/recompute`) after upgrading.

Revision ID: 0019h
Revises: 0018e
Create Date: 2026-12-05 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.history import script, sql_file

revision: str = "0019h"
down_revision: str | None = "0018e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTLE = sql_file(
    "hotline.settle", "0019h", "4913a09cbcc8537ee8977a923eda4f0d847c99ed08f378fde4f9074038d79094"
)

SETTLE_SIGNATURE = "hotline.settle(text[], bigint[], bytea[], bytea[], jsonb)"
NEW_COUNTERS = ("response_due", "closed_on_time", "closing_due")
TYPES = (
    "work_order.created",
    "work_order.responded",
    "work_order.visited",
    "work_order.overdue",
    "work_order.closed",
)

# The order's receipt day where the hotline has it, else the event's own day (Asia/Shanghai).
RECEIVED_ON = (
    "'received_on', coalesce((SELECT (w.received_at AT TIME ZONE 'Asia/Shanghai')::date"
    " FROM hotline.work_orders AS w WHERE w.order_no = {d} ->> 'order_no'),"
    " ({at} AT TIME ZONE 'Asia/Shanghai')::date)"
)
ADDED = {
    "work_order.responded": ", 'after_expiry', false",
    "work_order.closed": (
        ", 'on_time', coalesce((SELECT w.closed_at <= w.due_at FROM hotline.work_orders AS w"
        " WHERE w.order_no = {d} ->> 'order_no'), true), 'after_overdue', false"
    ),
}
ENVELOPE_DATA = "(envelope -> 'data')"
ENVELOPE_AT = "(envelope ->> 'occurred_at')::timestamptz"


def _with_fields(event_type: str, data: str, at: str) -> str:
    fields = (RECEIVED_ON + ADDED.get(event_type, "")).format(d=data, at=at)
    return f"({data} || jsonb_build_object({fields}))"


def upgrade() -> None:
    op.add_column(
        "work_orders",
        sa.Column("response_expired_for", sa.DateTime(timezone=True), nullable=True),
        schema="hotline",
    )
    op.execute(SETTLE)
    for name in NEW_COUNTERS:
        op.add_column(
            "unit_counters",
            sa.Column(name, sa.Integer(), server_default="0", nullable=False),
            schema="evaluation",
        )
    # Statements built from the constants above only; the event type is a bound parameter.
    for event_type in TYPES:
        for table, column, value in (
            ("evaluation.facts", "data", _with_fields(event_type, "data", "occurred_at")),
            ("platform.outbox", "data", _with_fields(event_type, "data", "occurred_at")),
            (
                "evaluation.parked_events",
                "envelope",
                "jsonb_set(envelope, '{data}', "
                f"{_with_fields(event_type, ENVELOPE_DATA, ENVELOPE_AT)})",
            ),
        ):
            statement = f"UPDATE {table} SET {column} = {value} WHERE type = :type"  # noqa: S608
            op.execute(sa.text(statement).bindparams(type=event_type))


def downgrade() -> None:
    """The stored event data keeps its added fields (the old readers ignored extra keys)."""
    for name in NEW_COUNTERS:
        op.drop_column("unit_counters", name, schema="evaluation")
    op.execute(script("0010h", "SETTLE"))
    op.execute(f"ALTER FUNCTION {SETTLE_SIGNATURE} RESET ALL")  # as 0012h left it
    op.drop_column("work_orders", "response_expired_for", schema="hotline")
