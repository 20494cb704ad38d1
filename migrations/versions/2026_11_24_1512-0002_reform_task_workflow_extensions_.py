"""reform task workflow: extensions, evidence, ratings, problems, supervision, timeline,
unit messages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:12:23.509128+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "timeline_entries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("actor_username", sa.String(length=64), nullable=True),
        sa.Column("actor_unit_code", sa.String(length=32), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_entries")),
        schema="tasks",
    )
    op.create_index(
        "ix_timeline_subject",
        "timeline_entries",
        ["subject_type", "subject_id", "occurred_at"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "inspection",
                "hotline",
                "survey",
                "self_check",
                name="problem_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), server_default="", nullable=False),
        sa.Column("measure", sa.Text(), server_default="", nullable=False),
        sa.Column("responsible_unit_id", sa.Integer(), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="problem_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("overdue_reported_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_problems_programme_id_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_unit_id"],
            ["platform.units.id"],
            name=op.f("fk_problems_responsible_unit_id_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
        sa.UniqueConstraint("programme_id", "number", name=op.f("uq_problems_programme_id_number")),
        schema="tasks",
    )
    op.create_table(
        "rating_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("scale_max", sa.SmallInteger(), server_default=sa.text("100"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_rating_windows_programme_id_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_windows")),
        sa.UniqueConstraint(
            "programme_id", "code", name=op.f("uq_rating_windows_programme_id_code")
        ),
        schema="tasks",
    )
    op.create_table(
        "unit_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("link", sa.String(length=255), nullable=True),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["platform.units.id"], name=op.f("fk_unit_messages_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_unit_messages_dedupe_key")),
        schema="tasks",
    )
    op.create_index(
        "ix_unit_messages_unit_read",
        "unit_messages",
        ["unit_id", "read_at"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("rater_unit_id", sa.Integer(), nullable=False),
        sa.Column("rated_unit_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("rated_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["rated_unit_id"], ["platform.units.id"], name=op.f("fk_ratings_rated_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["rater_unit_id"], ["platform.units.id"], name=op.f("fk_ratings_rater_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.tasks.id"],
            name=op.f("fk_ratings_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["tasks.rating_windows.id"],
            name=op.f("fk_ratings_window_id_rating_windows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint(
            "window_id",
            "task_id",
            "rated_unit_id",
            name=op.f("uq_ratings_window_id_task_id_rated_unit_id"),
        ),
        schema="tasks",
    )
    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("current_date", sa.Date(), nullable=False),
        sa.Column("requested_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="extension_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["tasks.milestones.id"],
            name=op.f("fk_extension_requests_milestone_id_milestones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["platform.units.id"], name=op.f("fk_extension_requests_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_requests")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_extension_requests_milestone_id"),
        "extension_requests",
        ["milestone_id"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "first",
                "second",
                "accountability",
                name="supervision_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "resolved",
                "escalated",
                name="supervision_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["tasks.milestones.id"],
            name=op.f("fk_supervisions_milestone_id_milestones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["tasks.supervisions.id"],
            name=op.f("fk_supervisions_parent_id_supervisions"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["tasks.problems.id"],
            name=op.f("fk_supervisions_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_supervisions_programme_id_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["platform.units.id"], name=op.f("fk_supervisions_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisions")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_supervisions_unit_id"),
        "supervisions",
        ["unit_id"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column(
            "scan_status",
            sa.Enum(
                "pending",
                "clean",
                "infected",
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
            ["report_id"],
            ["tasks.progress_reports.id"],
            name=op.f("fk_evidence_files_report_id_progress_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_evidence_files_storage_key")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_evidence_files_report_id"),
        "evidence_files",
        ["report_id"],
        unique=False,
        schema="tasks",
    )
    op.add_column(
        "milestones",
        sa.Column("lagging_level", sa.String(length=32), server_default="none", nullable=False),
        schema="tasks",
    )
    op.add_column(
        "progress_reports",
        sa.Column(
            "claims_completion", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        schema="tasks",
    )
    op.add_column(
        "progress_reports", sa.Column("completion_date", sa.Date(), nullable=True), schema="tasks"
    )
    op.create_index(
        "ix_tasks_search_trgm",
        "tasks",
        [
            sa.literal_column(
                "(title || ' ' || goal || ' ' || measures || ' ' || benchmark) gin_trgm_ops"
            )
        ],
        unique=False,
        schema="tasks",
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_tasks_search_trgm", table_name="tasks", schema="tasks", postgresql_using="gin"
    )
    op.drop_column("progress_reports", "completion_date", schema="tasks")
    op.drop_column("progress_reports", "claims_completion", schema="tasks")
    op.drop_column("milestones", "lagging_level", schema="tasks")
    op.drop_index(
        op.f("ix_tasks_evidence_files_report_id"), table_name="evidence_files", schema="tasks"
    )
    op.drop_table("evidence_files", schema="tasks")
    op.drop_index(op.f("ix_tasks_supervisions_unit_id"), table_name="supervisions", schema="tasks")
    op.drop_table("supervisions", schema="tasks")
    op.drop_index(
        op.f("ix_tasks_extension_requests_milestone_id"),
        table_name="extension_requests",
        schema="tasks",
    )
    op.drop_table("extension_requests", schema="tasks")
    op.drop_table("ratings", schema="tasks")
    op.drop_index("ix_unit_messages_unit_read", table_name="unit_messages", schema="tasks")
    op.drop_table("unit_messages", schema="tasks")
    op.drop_table("rating_windows", schema="tasks")
    op.drop_table("problems", schema="tasks")
    op.drop_index("ix_timeline_subject", table_name="timeline_entries", schema="tasks")
    op.drop_table("timeline_entries", schema="tasks")
