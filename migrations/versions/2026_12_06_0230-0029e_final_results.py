"""evaluation: a closed programme's final results (#21)

`evaluation.closed_programmes`: a programme whose year the office closed (`programme.closed`);
`evaluation.final_results`: its scores frozen at closing, per period and unit, with the rank in
the unit's ranking group — what scores, rankings, the 红黑榜, explain and the year-end list
answer for it from then on. A rule set copied into a new programme (`programme.created` with
`copy_from`) is an ordinary draft version in `evaluation.rule_sets`: no schema change. A
downgrade drops both tables (the programme's live scores stay where they were).

Revision ID: 0029e
Revises: 0028r
Create Date: 2026-12-06 02:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0029e"
down_revision: str | None = "0028r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"


def upgrade() -> None:
    op.create_table(
        "closed_programmes",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("closed_by", sa.String(64), nullable=False),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column(
            "frozen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_closed_programmes")),
        sa.UniqueConstraint("event_id", name=op.f("uq_closed_programmes_event_id")),
        schema=SCHEMA,
    )
    op.create_table(
        "final_results",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("programme", sa.String(32), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("unit_name", sa.String(128), nullable=False),
        sa.Column("unit_kind", sa.String(16), nullable=False),
        sa.Column("ranking_group", sa.String(32)),
        sa.Column("rank", sa.Integer()),
        sa.Column("top", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("bottom", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "survey_accountability", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("max_total", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(16), nullable=False),
        sa.Column("components", postgresql.JSON(), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True)),
        sa.Column(
            "frozen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_final_results")),
        sa.ForeignKeyConstraint(
            ["programme"],
            [f"{SCHEMA}.closed_programmes.code"],
            name=op.f("fk_final_results_programme_closed_programmes"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "programme",
            "period",
            "unit_code",
            name=op.f("uq_final_results_programme_period_unit_code"),
        ),
        sa.CheckConstraint(
            "rank IS NULL OR rank >= 1", name=op.f("ck_final_results_rank_positive")
        ),
        sa.CheckConstraint(
            "(rank IS NULL) = (ranking_group IS NULL)",
            name=op.f("ck_final_results_ranked_within_group"),
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("final_results", schema=SCHEMA)
    op.drop_table("closed_programmes", schema=SCHEMA)
