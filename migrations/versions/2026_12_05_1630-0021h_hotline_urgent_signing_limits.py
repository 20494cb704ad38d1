"""hotline: urgent orders — a signing limit in minutes by urgency

Issue #26: the signing limit (签收) is minutes for an urgent order — `HOTLINE_URGENT_SIGNING_
MINUTES`, office default 15 for a risk to life or property (`life_property`), 30 for water,
power, gas or heating (`utilities`) — and otherwise working days per appeal kind
(`HOTLINE_RESPONSE_DAYS`, office default now 1 for every kind). `work_order.created` may carry
`urgency` (`normal` when absent).

- `hotline.work_order_state` and `hotline.work_orders` gain `urgency`;
- `hotline.signing_deadline(clock, kind, urgency, limits)` is the limit in SQL (Python:
  `shared.hotline_rates.signing_deadline`), used by `hotline.settle` for `within_limit`;
  `p_limits` gains `"urgent": {urgency: minutes}`;
- `work_order.response_expired` says its limit as the office reads it (`limit`: "15分钟",
  "1个工作日") instead of `limit_days`; stored events are reshaped.

Revision ID: 0021h
Revises: 0020h
Create Date: 2026-12-05 16:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.history import script, sql_file

revision: str = "0021h"
down_revision: str | None = "0020h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNING_DEADLINE = sql_file(
    "hotline.signing_deadline",
    "0021h",
    "47ec892235b20eaeecb102a81e30ace75e153e2789f5e4f8cb8c328146ed8b5c",
)

DERIVE = sql_file(
    "hotline.derive", "0021h", "7593c19b03ecddb70f78568009f750de816aefacbc7095280d0156580e28fa0a"
)

SETTLE = sql_file(
    "hotline.settle", "0021h", "7940f307210b72d5f42a953e90c6b20897b09bd6741908438def4c92da263be4"
)

# The stored `work_order.response_expired` data, reshaped in place: `{d}` is the data.
TO_LIMIT = (
    "(({d} - 'limit_days') || jsonb_build_object('limit', ({d} ->> 'limit_days') || '个工作日'))"
)
TO_LIMIT_DAYS = (
    "(({d} - 'limit') || jsonb_build_object('limit_days',"
    " coalesce(substring({d} ->> 'limit' FROM '^(\\d+)个工作日$')::int, 0)))"
)


def _reshape(change: str, old_key: str) -> None:
    """Statements built from the constants above only."""
    for table in ("evaluation.facts", "platform.outbox"):
        op.execute(
            f"UPDATE {table} SET data = {change.format(d='data')}"  # noqa: S608
            f" WHERE type = 'work_order.response_expired' AND data ? '{old_key}'"
        )
    data = "(envelope -> 'data')"
    op.execute(
        "UPDATE evaluation.parked_events"  # noqa: S608
        f" SET envelope = jsonb_set(envelope, '{{data}}', {change.format(d=data)})"
        f" WHERE type = 'work_order.response_expired' AND {data} ? '{old_key}'"
    )


def upgrade() -> None:
    op.execute("ALTER TYPE hotline.work_order_state ADD ATTRIBUTE urgency text")
    op.add_column(
        "work_orders",
        sa.Column("urgency", sa.String(16), nullable=False, server_default="normal"),
        schema="hotline",
    )
    op.execute(SIGNING_DEADLINE)
    op.execute(DERIVE)
    op.execute(SETTLE)
    _reshape(TO_LIMIT, "limit_days")


def downgrade() -> None:
    """Urgent orders' limits are lost: the old readers know working days only."""
    _reshape(TO_LIMIT_DAYS, "limit")
    op.execute(script("0020h", "SETTLE"))
    op.execute(script("0020h", "DERIVE"))
    op.execute("DROP FUNCTION hotline.signing_deadline(timestamptz, text, text, jsonb)")
    op.drop_column("work_orders", "urgency", schema="hotline")
    op.execute("ALTER TYPE hotline.work_order_state DROP ATTRIBUTE urgency")
