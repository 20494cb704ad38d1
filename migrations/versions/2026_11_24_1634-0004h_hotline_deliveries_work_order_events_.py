"""hotline: deliveries, work-order events, work orders

Revision ID: 0004h
Revises: 0003e
Create Date: 2026-11-24 16:34:53.437081+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004h"
down_revision: str | None = "0003e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("webhook_id", sa.String(length=255), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("verified", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_deliveries_webhook_id")),
        schema="hotline",
    )
    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("category_code", sa.String(length=64), nullable=True),
        sa.Column("district_code", sa.String(length=32), nullable=True),
        sa.Column("handling_unit_code", sa.String(length=32), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("contact_name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("contact_phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("satisfaction", sa.String(length=32), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("returned_reason", sa.Text(), nullable=True),
        sa.Column("quarantine_reason", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("order_no", name=op.f("uq_work_orders_order_no")),
        schema="hotline",
    )
    op.create_index(
        "ix_work_orders_unit_status",
        "work_orders",
        ["handling_unit_code", "status"],
        unique=False,
        schema="hotline",
    )
    op.create_table(
        "work_order_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["hotline.deliveries.id"],
            name=op.f("fk_work_order_events_delivery_id_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_events")),
        sa.UniqueConstraint(
            "order_no",
            "type",
            "occurred_at",
            name=op.f("uq_work_order_events_order_no_type_occurred_at"),
        ),
        schema="hotline",
    )
    op.create_index(
        "ix_work_order_events_order",
        "work_order_events",
        ["order_no", "occurred_at"],
        unique=False,
        schema="hotline",
    )


def downgrade() -> None:
    op.drop_index("ix_work_order_events_order", table_name="work_order_events", schema="hotline")
    op.drop_table("work_order_events", schema="hotline")
    op.drop_index("ix_work_orders_unit_status", table_name="work_orders", schema="hotline")
    op.drop_table("work_orders", schema="hotline")
    op.drop_table("deliveries", schema="hotline")
