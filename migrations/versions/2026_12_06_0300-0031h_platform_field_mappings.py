"""hotline: per-platform field mappings applied before validation (issue #26)

- `hotline.platform_mappings`: the office admin's mapping of one platform's payloads to our
  contract (event type names, field names, code values, the time zone of naive times), one row
  per version; the newest applies (docs/HOTLINE.md "Platforms whose payloads differ").
- `hotline.deliveries.platform` / `mapping_version`: which platform sent a delivery (the prefix
  of the secret that verified it; NULL: our own contract) and the mapping version that
  translated it; a partial index for the review list of rejected deliveries.
- `hotline.receive_batch` / `hotline.receive` 0031h: take the two per delivery, and take a
  delivery kept as `rejected_mapping` again when the platform retries the same webhook id.

Revision ID: 0031h
Revises: 0030r
Create Date: 2026-12-06 03:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.history import script, sql_file

revision: str = "0031h"
down_revision: str | None = "0030r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECEIVE_BATCH = sql_file(
    "hotline.receive_batch",
    "0031h",
    "b0a70fab3a796c45d94bfd326beedac6717fc23f22a14b6aa456c14b903c99bd",
)
RECEIVE = sql_file(
    "hotline.receive", "0031h", "39742836e75de533a63b34cf7b6bcd96ea5489f567815dd4432029fa281d0631"
)

OLD_RECEIVE_BATCH = (
    "hotline.receive_batch(text[], text[], text[], bytea[], text[], text[], text[], text[],"
    " timestamptz[], text[], bytea[], bytea[], jsonb)"
)
OLD_RECEIVE = (
    "hotline.receive(text, text, jsonb, bytea, text, text, jsonb, text, timestamptz, jsonb,"
    " bytea, bytea, jsonb)"
)
NEW_RECEIVE_BATCH = (
    "hotline.receive_batch(text[], text[], text[], bytea[], text[], text[], text[], text[],"
    " timestamptz[], text[], bytea[], bytea[], text[], integer[], jsonb)"
)
NEW_RECEIVE = (
    "hotline.receive(text, text, jsonb, bytea, text, text, jsonb, text, timestamptz, jsonb,"
    " bytea, bytea, text, integer, jsonb)"
)
# As 0012h: the session callers' entry point carries the webhook's planner settings.
PLANNED = "SET plan_cache_mode = force_generic_plan SET enable_seqscan = off"
REJECTED = "outcome IN ('rejected_schema', 'rejected_mapping')"


def upgrade() -> None:
    op.create_table(
        "platform_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_platform_mappings_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_mappings")),
        sa.UniqueConstraint(
            "platform", "version", name=op.f("uq_platform_mappings_platform_version")
        ),
        schema="hotline",
    )
    op.add_column("deliveries", sa.Column("platform", sa.String(length=32)), schema="hotline")
    op.add_column("deliveries", sa.Column("mapping_version", sa.Integer()), schema="hotline")
    op.create_index(
        "ix_deliveries_rejected",
        "deliveries",
        ["id"],
        schema="hotline",
        postgresql_where=sa.text(REJECTED),
    )
    op.execute(f"DROP FUNCTION {OLD_RECEIVE}")
    op.execute(f"DROP FUNCTION {OLD_RECEIVE_BATCH}")
    op.execute(RECEIVE_BATCH)
    op.execute(RECEIVE)
    op.execute(f"ALTER FUNCTION {NEW_RECEIVE} {PLANNED}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {NEW_RECEIVE}")
    op.execute(f"DROP FUNCTION {NEW_RECEIVE_BATCH}")
    op.execute(script("0010h", "RECEIVE_BATCH"))
    op.execute(script("0010h", "RECEIVE"))
    op.execute(f"ALTER FUNCTION {OLD_RECEIVE} {PLANNED}")
    op.drop_index("ix_deliveries_rejected", table_name="deliveries", schema="hotline")
    op.drop_column("deliveries", "mapping_version", schema="hotline")
    op.drop_column("deliveries", "platform", schema="hotline")
    op.drop_table("platform_mappings", schema="hotline")
