"""hotline: evidence files of appeals (issue #26)

`hotline.appeal_files`: the files a unit attaches to its appeal of a dissatisfied visit, kept in
the shared evidence store (shared/evidence) under the same rules as any evidence; the appeal's
`evidence` text stays as the unit's account of them.

Revision ID: 0034h
Revises: 0033h
Create Date: 2026-12-06 05:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034h"
down_revision: str | None = "0033h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCAN_STATUSES = ("pending", "clean", "infected", "unscanned")


def upgrade() -> None:
    op.create_table(
        "appeal_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column(
            "scan_status",
            sa.Enum(
                *SCAN_STATUSES,
                name="evidence_scan_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["hotline.appeals.id"],
            name=op.f("fk_appeal_files_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_appeal_files_storage_key")),
        schema="hotline",
    )
    op.create_index(
        op.f("ix_hotline_appeal_files_appeal_id"),
        "appeal_files",
        ["appeal_id"],
        unique=False,
        schema="hotline",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_hotline_appeal_files_appeal_id"), table_name="appeal_files", schema="hotline"
    )
    op.drop_table("appeal_files", schema="hotline")
