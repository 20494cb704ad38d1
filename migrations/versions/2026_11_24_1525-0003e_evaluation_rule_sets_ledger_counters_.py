"""evaluation: rule sets, ledger, counters, scores, parked events, office inputs

Revision ID: 0003e
Revises: 0002
Create Date: 2026-11-24 15:25:17.930686+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003e"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_ranks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("lead_unit", sa.String(length=32), nullable=False),
        sa.Column("national_rank", sa.Integer(), nullable=True),
        sa.Column("provincial_rank", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_ranks")),
        sa.UniqueConstraint(
            "programme",
            "year",
            "indicator",
            name=op.f("uq_external_ranks_programme_year_indicator"),
        ),
        schema="evaluation",
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "scheduled",
                "unannounced",
                name="inspection_mode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("deduction", sa.Float(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
        sa.UniqueConstraint("event_id", name=op.f("uq_inspections_event_id")),
        schema="evaluation",
    )
    op.create_table(
        "latest_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("window", sa.String(length=32), nullable=False),
        sa.Column("task_number", sa.Integer(), nullable=False),
        sa.Column("rated_unit", sa.String(length=32), nullable=False),
        sa.Column("rater_unit", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("scale_max", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_latest_ratings")),
        sa.UniqueConstraint(
            "programme",
            "window",
            "task_number",
            "rated_unit",
            name=op.f("uq_latest_ratings_programme_window_task_number_rated_unit"),
        ),
        schema="evaluation",
    )
    op.create_table(
        "parked_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "parked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parked_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_parked_events_event_id")),
        schema="evaluation",
    )
    op.create_table(
        "rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "superseded",
                name="rule_set_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_sets")),
        sa.UniqueConstraint("programme", "version", name=op.f("uq_rule_sets_programme_version")),
        schema="evaluation",
    )
    op.create_table(
        "score_entries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_entries")),
        sa.UniqueConstraint(
            "event_id",
            "unit_code",
            "component",
            "rule",
            name=op.f("uq_score_entries_event_id_unit_code_component_rule"),
        ),
        schema="evaluation",
    )
    op.create_index(
        "ix_score_entries_unit_day",
        "score_entries",
        ["programme", "unit_code", "day"],
        unique=False,
        schema="evaluation",
    )
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("max_total", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("components", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scores")),
        sa.UniqueConstraint(
            "programme", "period", "unit_code", name=op.f("uq_scores_programme_period_unit_code")
        ),
        schema="evaluation",
    )
    op.create_table(
        "survey_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_results")),
        sa.UniqueConstraint(
            "programme",
            "period",
            "unit_code",
            name=op.f("uq_survey_results_programme_period_unit_code"),
        ),
        schema="evaluation",
    )
    op.create_table(
        "unit_counters",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("orders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("responded", sa.Integer(), server_default="0", nullable=False),
        sa.Column("responded_in_time", sa.Integer(), server_default="0", nullable=False),
        sa.Column("visited", sa.Integer(), server_default="0", nullable=False),
        sa.Column("resolved", sa.Integer(), server_default="0", nullable=False),
        sa.Column("satisfied", sa.Integer(), server_default="0", nullable=False),
        sa.Column("overdue", sa.Integer(), server_default="0", nullable=False),
        sa.Column("closed", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_counters")),
        sa.UniqueConstraint(
            "programme", "unit_code", "day", name=op.f("uq_unit_counters_programme_unit_code_day")
        ),
        schema="evaluation",
    )


def downgrade() -> None:
    op.drop_table("unit_counters", schema="evaluation")
    op.drop_table("survey_results", schema="evaluation")
    op.drop_table("scores", schema="evaluation")
    op.drop_index("ix_score_entries_unit_day", table_name="score_entries", schema="evaluation")
    op.drop_table("score_entries", schema="evaluation")
    op.drop_table("rule_sets", schema="evaluation")
    op.drop_table("parked_events", schema="evaluation")
    op.drop_table("latest_ratings", schema="evaluation")
    op.drop_table("inspections", schema="evaluation")
    op.drop_table("external_ranks", schema="evaluation")
