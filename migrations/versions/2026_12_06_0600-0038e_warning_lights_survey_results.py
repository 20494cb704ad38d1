"""evaluation: 万企评机关 results published — sub-unit scores, publications, decision items

`evaluation.survey_sub_results`: a round's 处室 / 站所 scores from the survey sheet's optional
sub-unit column. `evaluation.survey_publications`: the rounds the office published (units read a
ranking only from then on). `evaluation.survey_decisions`: accountability proposals (问责建议) for
the bottom five of two consecutive rounds, proposed → adopted / dismissed. The warning lights
(三色预警) need no table: their thresholds are keys of the programme's settings (JSONB, defaults in
code). A downgrade drops the three tables.

Revision ID: 0038e
Revises: 0037r
Create Date: 2026-12-06 06:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038e"
down_revision: str | None = "0037r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "survey_sub_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("sub_unit", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        _now("recorded_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_sub_results")),
        sa.UniqueConstraint(
            "period",
            "unit_code",
            "sub_unit",
            name=op.f("uq_survey_sub_results_period_unit_code_sub_unit"),
        ),
        schema="evaluation",
    )
    op.create_index(
        op.f("ix_evaluation_survey_sub_results_period"),
        "survey_sub_results",
        ["period"],
        schema="evaluation",
    )
    op.create_table(
        "survey_publications",
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        _now("published_at"),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_survey_publications")),
        schema="evaluation",
    )
    op.create_table(
        "survey_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("previous_period", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("sub_unit", sa.String(length=64), server_default="", nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("previous_rank", sa.SmallInteger(), nullable=False),
        sa.Column("ranked", sa.SmallInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "adopted",
                "dismissed",
                name="survey_decision_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        _now("proposed_at"),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_decisions")),
        sa.UniqueConstraint(
            "period",
            "unit_code",
            "sub_unit",
            name=op.f("uq_survey_decisions_period_unit_code_sub_unit"),
        ),
        schema="evaluation",
    )


def downgrade() -> None:
    op.drop_table("survey_decisions", schema="evaluation")
    op.drop_table("survey_publications", schema="evaluation")
    op.drop_index(
        op.f("ix_evaluation_survey_sub_results_period"),
        table_name="survey_sub_results",
        schema="evaluation",
    )
    op.drop_table("survey_sub_results", schema="evaluation")
