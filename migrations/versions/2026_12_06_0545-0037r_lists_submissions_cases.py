"""reform_tasks: unit-filed problem lists (三张清单, 备案), quarterly work reports, typical cases

`tasks.problem_lists` and `tasks.problem_list_items`: a unit's own problem / cause / measure list,
draft → submitted → accepted or returned; an accepted item points at the problem it became
(`problem_id`). `tasks.quarterly_submissions` (one per unit and quarter) and
`tasks.quarterly_submission_files` (the evidence store's columns). `tasks.cases`: the register
of typical cases (negative / positive, 一案双查 results, public flag). Every table carries its
programme and refuses changes in a closed year (tasks.refuse_closed_programme). A downgrade drops
them; files they named stay in the store.

Revision ID: 0037r
Revises: 0036r
Create Date: 2026-12-06 05:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037r"
down_revision: str | None = "0036r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCAN_STATUSES = ("pending", "clean", "infected", "unscanned")
TABLES = (
    "problem_lists",
    "problem_list_items",
    "quarterly_submissions",
    "quarterly_submission_files",
    "cases",
)
TRIGGER = """
CREATE TRIGGER refuse_closed_programme BEFORE INSERT OR UPDATE OR DELETE ON tasks.{table}
FOR EACH ROW EXECUTE FUNCTION tasks.refuse_closed_programme()
"""


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _now(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _programme(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["programme_id"], ["tasks.programmes.id"], name=op.f(f"fk_{table}_programme_id_programmes")
    )


def _unit(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["unit_id"], ["platform.units.id"], name=op.f(f"fk_{table}_unit_id_units")
    )


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_tasks_{table}_{column}"), table, [column], schema="tasks")


def _lists() -> None:
    op.create_table(
        "problem_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            _enum("problem_list_status", "draft", "submitted", "accepted", "returned"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        _programme("problem_lists"),
        _unit("problem_lists"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_lists")),
        schema="tasks",
    )
    _index("problem_lists", "programme_id")
    _index("problem_lists", "unit_id")
    op.create_table(
        "problem_list_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("responsible_person", sa.String(length=64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        _programme("problem_list_items"),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["tasks.problem_lists.id"],
            name=op.f("fk_problem_list_items_list_id_problem_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["tasks.problems.id"],
            name=op.f("fk_problem_list_items_problem_id_problems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_list_items")),
        sa.UniqueConstraint(
            "list_id", "position", name=op.f("uq_problem_list_items_list_id_position")
        ),
        sa.UniqueConstraint("problem_id", name=op.f("uq_problem_list_items_problem_id")),
        schema="tasks",
    )
    _index("problem_list_items", "list_id")


def _submissions() -> None:
    op.create_table(
        "quarterly_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        _now("submitted_at"),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        _programme("quarterly_submissions"),
        _unit("quarterly_submissions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarterly_submissions")),
        sa.UniqueConstraint(
            "programme_id",
            "unit_id",
            "quarter",
            name=op.f("uq_quarterly_submissions_programme_id_unit_id_quarter"),
        ),
        schema="tasks",
    )
    _index("quarterly_submissions", "unit_id")
    op.create_table(
        "quarterly_submission_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("scan_status", _enum("evidence_scan_status", *SCAN_STATUSES), nullable=False),
        _now("uploaded_at"),
        _programme("quarterly_submission_files"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["tasks.quarterly_submissions.id"],
            name=op.f("fk_quarterly_submission_files_submission_id_quarterly_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarterly_submission_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_quarterly_submission_files_storage_key")),
        schema="tasks",
    )
    _index("quarterly_submission_files", "submission_id")


def _cases() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("case_kind", "negative", "positive"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("handling", sa.Text(), server_default="", nullable=False),
        sa.Column("people_accountability", sa.Text(), nullable=True),
        sa.Column("unit_accountability", sa.Text(), nullable=True),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("public", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        _programme("cases"),
        _unit("cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        schema="tasks",
    )
    _index("cases", "programme_id")
    _index("cases", "unit_id")


def upgrade() -> None:
    _lists()
    _submissions()
    _cases()
    for table in TABLES:
        op.execute(TRIGGER.format(table=table))


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER refuse_closed_programme ON tasks.{table}")
    for table in reversed(TABLES):
        op.drop_table(table, schema="tasks")
