"""hotline: repeat requests linked, escalating reminders for overdue orders (issue #26)

- `hotline.repeat_links`: whether an order is a repeat request (重复诉求) of an earlier order of
  the same caller about the same matter — linked at intake by `hotline.link_repeats` or by the
  office by hand — and what evaluation was last told (`work_order.linked_as_repeat` /
  `work_order.unlinked`, versioned), so the rates count the matter once.
- `hotline.order_callers`: each order's caller as the keyed hash of the phone number its
  `created` carried (never the number; not in the event log); `evaluation.ix_facts_work_order`:
  one order's facts (taken out of the rates, and back, as a link changes).
- `hotline.overdue_reminders`: 催办, each step once per order, limit and deadline.
- `platform.fits_catalogue` generated again (the two link events and `work_order.escalated`).

Revision ID: 0033h
Revises: 0032h
Create Date: 2026-12-06 03:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.history import script, sql_file

revision: str = "0033h"
down_revision: str | None = "0032h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINK_REPEATS = sql_file(
    "hotline.link_repeats",
    "0033h",
    "df4ed76cf8f45f521cc899ec42fe494e9fda23fead04137a690a62c020c80639",
)
FITS_CATALOGUE = sql_file(
    "platform.fits_catalogue",
    "0033h",
    "eec4875635bef15d63d694f23366abecf015b9f69c7f8f8783c0d0ce97318677",
)
# The guard this revision replaces (the newest before it).
PREVIOUS_GUARD = ("0032h", "FITS_CATALOGUE")


def upgrade() -> None:
    op.create_table(
        "order_callers",
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("caller_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_no"],
            ["hotline.work_orders.order_no"],
            name=op.f("fk_order_callers_order_no_work_orders"),
        ),
        sa.PrimaryKeyConstraint("order_no", name=op.f("pk_order_callers")),
        schema="hotline",
    )
    op.create_index(
        "ix_order_callers_caller_key", "order_callers", ["caller_key"], schema="hotline"
    )
    op.create_table(
        "repeat_links",
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("repeat_of", sa.String(length=64)),
        sa.Column("manual", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("linked_by", sa.String(length=64)),
        sa.Column("linked_at", sa.DateTime(timezone=True)),
        sa.Column("unlinked_by", sa.String(length=64)),
        sa.Column("unlinked_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.Text()),
        sa.Column("told_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("told_repeat", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint("repeat_of <> order_no", name=op.f("ck_repeat_links_not_itself")),
        sa.ForeignKeyConstraint(
            ["order_no"],
            ["hotline.work_orders.order_no"],
            name=op.f("fk_repeat_links_order_no_work_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["repeat_of"],
            ["hotline.work_orders.order_no"],
            name=op.f("fk_repeat_links_repeat_of_work_orders"),
        ),
        sa.PrimaryKeyConstraint("order_no", name=op.f("pk_repeat_links")),
        schema="hotline",
    )
    op.create_index("ix_repeat_links_repeat_of", "repeat_links", ["repeat_of"], schema="hotline")
    op.create_table(
        "overdue_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("limit_kind", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("step IN (1, 2)", name=op.f("ck_overdue_reminders_step")),
        sa.CheckConstraint(
            "limit_kind IN ('signing', 'closing')", name=op.f("ck_overdue_reminders_limit_kind")
        ),
        sa.ForeignKeyConstraint(
            ["order_no"],
            ["hotline.work_orders.order_no"],
            name=op.f("fk_overdue_reminders_order_no_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overdue_reminders")),
        sa.UniqueConstraint(
            "order_no",
            "limit_kind",
            "deadline",
            "step",
            name=op.f("uq_overdue_reminders_order_no_limit_kind_deadline_step"),
        ),
        schema="hotline",
    )
    op.create_index(
        "ix_overdue_reminders_unit_sent",
        "overdue_reminders",
        ["unit_code", "sent_at"],
        schema="hotline",
    )
    op.create_index(
        "ix_facts_work_order",
        "facts",
        [sa.text("(data ->> 'order_no')")],
        schema="evaluation",
        postgresql_where=sa.text("type LIKE 'work_order.%'"),
    )
    op.execute(LINK_REPEATS)
    op.execute(FITS_CATALOGUE)


def downgrade() -> None:
    op.execute(script(*PREVIOUS_GUARD))
    op.execute("DROP FUNCTION hotline.link_repeats(text[], text[], int)")
    op.drop_index("ix_facts_work_order", table_name="facts", schema="evaluation")
    op.drop_table("overdue_reminders", schema="hotline")
    op.drop_table("repeat_links", schema="hotline")
    op.drop_table("order_callers", schema="hotline")
