"""reform_tasks: a supervised unit replies to a supervision (督办回复) with evidence files

`tasks.supervision_replies`: what the unit did (facts), who replied and when, one row per reply
(a unit may reply more than once while the supervision is open). `tasks.supervision_reply_files`:
the evidence files of a reply, the same columns as a progress report's `tasks.evidence_files`
(the bytes live in the same file store under a random key). A downgrade drops both tables; the
files they named stay in the store.

Revision ID: 0024r
Revises: 0023p
Create Date: 2026-12-05 20:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024r"
down_revision: str | None = "0023p"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCAN_STATUSES = ("pending", "clean", "infected", "unscanned")


def upgrade() -> None:
    op.create_table(
        "supervision_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervision_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("replied_by", sa.String(length=64), nullable=False),
        sa.Column(
            "replied_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["supervision_id"],
            ["tasks.supervisions.id"],
            name=op.f("fk_supervision_replies_supervision_id_supervisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["platform.units.id"],
            name=op.f("fk_supervision_replies_unit_id_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_replies")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_supervision_replies_supervision_id"),
        "supervision_replies",
        ["supervision_id"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "supervision_reply_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=False),
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
            ["reply_id"],
            ["tasks.supervision_replies.id"],
            name=op.f("fk_supervision_reply_files_reply_id_supervision_replies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_reply_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_supervision_reply_files_storage_key")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_supervision_reply_files_reply_id"),
        "supervision_reply_files",
        ["reply_id"],
        unique=False,
        schema="tasks",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_tasks_supervision_reply_files_reply_id"),
        table_name="supervision_reply_files",
        schema="tasks",
    )
    op.drop_table("supervision_reply_files", schema="tasks")
    op.drop_index(
        op.f("ix_tasks_supervision_replies_supervision_id"),
        table_name="supervision_replies",
        schema="tasks",
    )
    op.drop_table("supervision_replies", schema="tasks")
