"""hotline: the office reviews returns and appeals of dissatisfied visits; first contact (issue #26)

- 退单/改派 review: `work_order.returned` waits in the office's queue (status `returned`,
  `returned_at`); the office approves by re-dispatching (`assigned`, source office: the clock
  restarts for the new unit only) or rejects (`work_order.return_rejected`, source office: the
  order goes back to the step it was at, on the clock it had). `hotline.derive` and
  `hotline.event_step` know the new step.
- 申诉: `hotline.appeals` (one per visit of an order); an overturned dissatisfied rating is the
  office's `work_order.visit_overturned` event (`satisfaction_overturned` on the order), told to
  evaluation, whose counters gain `overturned` (out of the satisfaction rate's denominator).
- 先行联系: the platform's `work_order.first_contacted` (`contacted_at`) sets
  `first_contacted_at`; told to evaluation once per order with `within_limit` (office default:
  the signing limit, from receipt); evaluation's counters gain `first_contacted_in_time`.
- The outbox guard is generated again from shared/events.py (shared/sql/fits_catalogue/0032h.sql).

Revision ID: 0032h
Revises: 0031h
Create Date: 2026-12-06 03:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.history import script, sql_file

revision: str = "0032h"
down_revision: str | None = "0031h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_STEP = sql_file(
    "hotline.event_step",
    "0032h",
    "273dd99590999455cfdcdbb73ca891fe56c011b59c9ac5bdb28ff62abfa3e33f",
)
DERIVE = sql_file(
    "hotline.derive", "0032h", "6f76f338ddc72948a6650420293a2a61edad29a098f4d42656b956d49012eeb0"
)
SETTLE = sql_file(
    "hotline.settle", "0032h", "39e133452af9187619187abca6f1d2dc1275ca6e600483b7d6cf1e91149a11b6"
)
FITS_CATALOGUE = sql_file(
    "platform.fits_catalogue",
    "0032h",
    "1d788e373cfdab94bf85bb508540f73035bf77244117e4421e28a2c41643637f",
)

STATE_ATTRIBUTES = (
    ("first_contacted_at", "timestamptz"),
    ("returned_at", "timestamptz"),
    ("satisfaction_overturned", "boolean"),
)
COUNTERS = ("first_contacted_in_time", "overturned")


def upgrade() -> None:
    for name, kind in STATE_ATTRIBUTES:
        op.execute(f"ALTER TYPE hotline.work_order_state ADD ATTRIBUTE {name} {kind}")
    op.add_column(
        "work_orders",
        sa.Column("first_contacted_at", sa.DateTime(timezone=True)),
        schema="hotline",
    )
    op.add_column(
        "work_orders", sa.Column("returned_at", sa.DateTime(timezone=True)), schema="hotline"
    )
    op.add_column(
        "work_orders",
        sa.Column(
            "satisfaction_overturned", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
        schema="hotline",
    )
    # Orders already waiting as returned enter the review queue from when they were returned.
    op.execute(
        "UPDATE hotline.work_orders AS w SET returned_at = ("
        " SELECT max(e.occurred_at) FROM hotline.work_order_events AS e"
        " WHERE e.order_no = w.order_no AND e.type = 'work_order.returned')"
        " WHERE w.status = 'returned'"
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_no", sa.String(64), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_reason", sa.Text()),
        sa.CheckConstraint(
            "status IN ('pending', 'upheld', 'overturned')", name=op.f("ck_appeals_status")
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)", name=op.f("ck_appeals_decided")
        ),
        sa.ForeignKeyConstraint(
            ["order_no"],
            ["hotline.work_orders.order_no"],
            name=op.f("fk_appeals_order_no_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("order_no", "visited_at", name=op.f("uq_appeals_order_no_visited_at")),
        schema="hotline",
    )
    op.create_index(op.f("ix_appeals_unit_code"), "appeals", ["unit_code"], schema="hotline")
    for name in COUNTERS:
        op.add_column(
            "unit_counters",
            sa.Column(name, sa.Integer(), nullable=False, server_default="0"),
            schema="evaluation",
        )
    op.execute(EVENT_STEP)
    op.execute(DERIVE)
    op.execute(SETTLE)
    op.execute(FITS_CATALOGUE)


def downgrade() -> None:
    """Appeals, return decisions and first contacts are lost with their columns; the events
    stay in the log (ignored by the older derivation)."""
    op.execute(script("0027p", "FITS_CATALOGUE"))
    op.execute(script("0021h", "SETTLE"))
    op.execute(script("0021h", "DERIVE"))
    op.execute(script("0020h", "EVENT_STEP"))
    for name in COUNTERS:
        op.drop_column("unit_counters", name, schema="evaluation")
    op.drop_index(op.f("ix_appeals_unit_code"), table_name="appeals", schema="hotline")
    op.drop_table("appeals", schema="hotline")
    for name in ("satisfaction_overturned", "returned_at", "first_contacted_at"):
        op.drop_column("work_orders", name, schema="hotline")
    for name, _ in reversed(STATE_ATTRIBUTES):
        op.execute(f"ALTER TYPE hotline.work_order_state DROP ATTRIBUTE {name}")
