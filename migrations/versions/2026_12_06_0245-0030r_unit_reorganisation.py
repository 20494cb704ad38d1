"""platform: units merged, split and deactivated with their open items reassigned (issue #21)

- `platform.units.merged_into_id`: the unit a merged unit lives on in (the link from its closed
  history to the survivor); a merged unit is inactive and never merged into itself.
  `reorganised_at`: when the unit was last merged, split or deactivated by a reorganisation.
- `platform.unit_reorganisations`: one row per merge, split or deactivation — the unit, the
  units that took its open items, who and when, and how many items of each kind moved.
- `hotline.follow_unit_merge(from, to, by, limits)`: the hotline's codes follow a merge (its
  mappings, the merged unit's own code, its open orders derived again).

Revision ID: 0030r
Revises: 0029e
Create Date: 2026-12-06 02:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.history import sql_file

revision: str = "0030r"
down_revision: str | None = "0029e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLLOW_UNIT_MERGE = sql_file(
    "hotline.follow_unit_merge",
    "0030r",
    "7b3be7a4ae3cd9b53f6a72f93d38c89582750e55daf5434df22bf1680f6140fa",
)


def upgrade() -> None:
    op.add_column("units", sa.Column("merged_into_id", sa.Integer()), schema="platform")
    op.add_column(
        "units", sa.Column("reorganised_at", sa.DateTime(timezone=True)), schema="platform"
    )
    op.create_foreign_key(
        op.f("fk_units_merged_into_id_units"),
        "units",
        "units",
        ["merged_into_id"],
        ["id"],
        source_schema="platform",
        referent_schema="platform",
    )
    op.create_check_constraint(
        op.f("ck_units_merged_is_inactive"),
        "units",
        "merged_into_id IS NULL OR (NOT is_active AND merged_into_id <> id)",
        schema="platform",
    )
    op.create_table(
        "unit_reorganisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("into_codes", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("moved", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reorganised_by", sa.String(length=64), nullable=False),
        sa.Column(
            "reorganised_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('merge', 'split', 'deactivate')",
            name=op.f("ck_unit_reorganisations_reorganisation_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["platform.units.id"], name=op.f("fk_unit_reorganisations_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_reorganisations")),
        schema="platform",
    )
    op.create_index(
        op.f("ix_platform_unit_reorganisations_unit_id"),
        "unit_reorganisations",
        ["unit_id"],
        schema="platform",
    )
    op.execute(FOLLOW_UNIT_MERGE)


def downgrade() -> None:
    """Merges are forgotten (the merged units stay inactive; the mappings stay)."""
    op.execute("DROP FUNCTION hotline.follow_unit_merge(text, text, text, jsonb)")
    op.drop_table("unit_reorganisations", schema="platform")
    op.drop_constraint(op.f("ck_units_merged_is_inactive"), "units", schema="platform")
    op.drop_column("units", "reorganised_at", schema="platform")
    op.drop_column("units", "merged_into_id", schema="platform")
