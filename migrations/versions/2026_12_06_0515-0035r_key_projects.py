"""reform_tasks: key projects, nodes, quality evaluation, 五个一, weekly reports (issue #27)

Seed 003_fe0a5556b3029276.txt items 17–21. `tasks.projects`: the register of 省、市重点项目 and
重大产业项目 (district, lead unit, owner, investment, industry, stage, admission status, the
五个一 leader and team); `project_nodes` (dated nodes, in order); `project_evaluations` (the
seven-aspect quality evaluation, one per project); `project_plan_files` (the construction plan,
kept in the evidence store); `project_problems` (the problem list, closed one by one);
`project_weekly_reports` (one per project and ISO week) and `project_weekly_report_photos`.
Every table carries its `programme_id` and the closed-year trigger (tasks.refuse_closed_programme,
migration 0028r). A downgrade drops them; the files they named stay in the store.

Revision ID: 0035r
Revises: 0034h
Create Date: 2026-12-06 05:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0035r"
down_revision: str | None = "0034h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "projects",
    "project_nodes",
    "project_evaluations",
    "project_plan_files",
    "project_problems",
    "project_weekly_reports",
    "project_weekly_report_photos",
)
TRIGGER = """
CREATE TRIGGER refuse_closed_programme BEFORE INSERT OR UPDATE OR DELETE ON tasks.{table}
FOR EACH ROW EXECUTE FUNCTION tasks.refuse_closed_programme()
"""


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "provincial",
                "municipal",
                "major_industrial",
                name="project_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("district_unit_id", sa.Integer(), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=200), server_default="", nullable=False),
        sa.Column(
            "investment", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False
        ),
        sa.Column("industry", sa.String(length=64), server_default="", nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "negotiating",
                "signed",
                "preparing",
                "started",
                "building",
                "completed",
                name="project_stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("stage_changed_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "admitted",
                "refused",
                name="project_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("leader_name", sa.String(length=64), server_default="", nullable=False),
        sa.Column("leader_title", sa.String(length=128), server_default="", nullable=False),
        sa.Column("team_members", sa.Text(), server_default="", nullable=False),
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
            ["district_unit_id"],
            ["platform.units.id"],
            name=op.f("fk_projects_district_unit_id_units"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_unit_id"], ["platform.units.id"], name=op.f("fk_projects_lead_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_projects_programme_id_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("programme_id", "code", name=op.f("uq_projects_programme_id_code")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_projects_lead_unit_id"),
        "projects",
        ["lead_unit_id"],
        unique=False,
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_projects_district_unit_id"),
        "projects",
        ["district_unit_id"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "project_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("actual_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_project_nodes_programme_id_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["tasks.projects.id"],
            name=op.f("fk_project_nodes_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_nodes")),
        sa.UniqueConstraint(
            "project_id", "ordinal", name=op.f("uq_project_nodes_project_id_ordinal")
        ),
        schema="tasks",
    )
    op.create_table(
        "project_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("scores", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("evaluated_by", sa.String(length=64), nullable=False),
        sa.Column(
            "evaluated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_project_evaluations_programme_id_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["tasks.projects.id"],
            name=op.f("fk_project_evaluations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_evaluations")),
        sa.UniqueConstraint("project_id", name=op.f("uq_project_evaluations_project_id")),
        schema="tasks",
    )
    op.create_table(
        "project_plan_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
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
                "unscanned",
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
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_project_plan_files_programme_id_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["tasks.projects.id"],
            name=op.f("fk_project_plan_files_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_plan_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_project_plan_files_storage_key")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_project_plan_files_project_id"),
        "project_plan_files",
        ["project_id"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "project_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="project_problem_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column(
            "raised_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_project_problems_programme_id_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["tasks.projects.id"],
            name=op.f("fk_project_problems_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_problems")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_project_problems_project_id"),
        "project_problems",
        ["project_id"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "project_weekly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "node_progress",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("problems", sa.Text(), server_default="", nullable=False),
        sa.Column("solutions", sa.Text(), server_default="", nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_project_weekly_reports_programme_id_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["tasks.projects.id"],
            name=op.f("fk_project_weekly_reports_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["platform.units.id"], name=op.f("fk_project_weekly_reports_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_weekly_reports")),
        sa.UniqueConstraint(
            "project_id", "week", name=op.f("uq_project_weekly_reports_project_id_week")
        ),
        schema="tasks",
    )
    op.create_table(
        "project_weekly_report_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
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
                "unscanned",
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
            ["programme_id"],
            ["tasks.programmes.id"],
            name=op.f("fk_project_weekly_report_photos_programme_id_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["tasks.project_weekly_reports.id"],
            name=op.f("fk_project_weekly_report_photos_report_id_project_weekly_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_weekly_report_photos")),
        sa.UniqueConstraint(
            "storage_key", name=op.f("uq_project_weekly_report_photos_storage_key")
        ),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_project_weekly_report_photos_report_id"),
        "project_weekly_report_photos",
        ["report_id"],
        unique=False,
        schema="tasks",
    )

    for table in TABLES:
        op.execute(TRIGGER.format(table=table))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"DROP TRIGGER refuse_closed_programme ON tasks.{table}")
        op.drop_table(table, schema="tasks")
