"""reform_tasks/evaluation: leader instructions (领导批示), "4+2" 观摩 rounds (issue #27)

`tasks.instructions`: a leader's instruction on a task (by its 序号), a key project or a typical
case, its deadline, and the leader's acknowledgement (阅示) that closes it.
`tasks.instruction_units`: the units it is assigned to (one row each, when each first answered).
`tasks.instruction_answers` and `tasks.instruction_answer_files`: the units' answers and their
files (the evidence store's columns).

`tasks.tour_rounds` (one 年中 and one 年末 round per programme), `tasks.tour_sheet_items` (the
round's score sheet), `tasks.tour_projects` (the key projects each district shows) and
`tasks.tour_scores` (the inspection team's points per district and item). Publishing a round
sends `tour.published` per district to evaluation: `platform.fits_catalogue` is generated again
(shared/sql/fits_catalogue/0036r.sql); a downgrade loads 0033h's again.

Every table carries its programme and refuses changes once that programme is closed
(tasks.refuse_closed_programme, 0028r).

Revision ID: 0036r
Revises: 0035r
Create Date: 2026-12-06 05:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.history import script, sql_file

revision: str = "0036r"
down_revision: str | None = "0035r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FITS_CATALOGUE = sql_file(
    "platform.fits_catalogue",
    "0036r",
    "bdf7b8524a96b37516c8a59cdba89d3bdc1ee240338be54dce2c09e0d1710a40",
)
PREVIOUS_GUARD = ("0033h", "FITS_CATALOGUE")
SCAN_STATUSES = ("pending", "clean", "infected", "unscanned")
GUARDED = (
    "instructions",
    "instruction_units",
    "instruction_answers",
    "instruction_answer_files",
    "tour_rounds",
    "tour_sheet_items",
    "tour_projects",
    "tour_scores",
)
TRIGGER = """
CREATE TRIGGER refuse_closed_programme BEFORE INSERT OR UPDATE OR DELETE ON tasks.{table}
FOR EACH ROW EXECUTE FUNCTION tasks.refuse_closed_programme()
"""


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _programme(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["programme_id"], ["tasks.programmes.id"], name=op.f(f"fk_{table}_programme_id_programmes")
    )


def _instructions() -> None:
    op.create_table(
        "instructions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column(
            "subject_type", _enum("instruction_subject", "task", "project", "case"), nullable=False
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("leader_name", sa.String(length=64), nullable=False),
        sa.Column("leader_title", sa.String(length=64), nullable=False),
        sa.Column("instructed_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", _enum("instruction_status", "open", "acknowledged"), nullable=False),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column("acknowledgement", sa.Text(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
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
        _programme("instructions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instructions")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_instructions_programme_id"),
        "instructions",
        ["programme_id"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "instruction_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["tasks.instructions.id"],
            name=op.f("fk_instruction_units_instruction_id_instructions"),
            ondelete="CASCADE",
        ),
        _programme("instruction_units"),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["platform.units.id"], name=op.f("fk_instruction_units_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction_units")),
        sa.UniqueConstraint(
            "instruction_id", "unit_id", name=op.f("uq_instruction_units_instruction_id_unit_id")
        ),
        schema="tasks",
    )
    for column in ("instruction_id", "unit_id"):
        op.create_index(
            op.f(f"ix_tasks_instruction_units_{column}"),
            "instruction_units",
            [column],
            unique=False,
            schema="tasks",
        )


def _answers() -> None:
    op.create_table(
        "instruction_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=64), nullable=False),
        sa.Column(
            "answered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["tasks.instructions.id"],
            name=op.f("fk_instruction_answers_instruction_id_instructions"),
            ondelete="CASCADE",
        ),
        _programme("instruction_answers"),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["platform.units.id"], name=op.f("fk_instruction_answers_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction_answers")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_instruction_answers_instruction_id"),
        "instruction_answers",
        ["instruction_id"],
        unique=False,
        schema="tasks",
    )
    op.create_table(
        "instruction_answer_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("scan_status", _enum("evidence_scan_status", *SCAN_STATUSES), nullable=False),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["tasks.instruction_answers.id"],
            name=op.f("fk_instruction_answer_files_answer_id_instruction_answers"),
            ondelete="CASCADE",
        ),
        _programme("instruction_answer_files"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction_answer_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_instruction_answer_files_storage_key")),
        schema="tasks",
    )
    op.create_index(
        op.f("ix_tasks_instruction_answer_files_answer_id"),
        "instruction_answer_files",
        ["answer_id"],
        unique=False,
        schema="tasks",
    )


def _fk(table: str, column: str, target: str, *, cascade: bool = False) -> sa.ForeignKeyConstraint:
    name = target.split(".")[1]
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{name}"),
        ondelete="CASCADE" if cascade else None,
    )


def _tour_rounds() -> None:
    op.create_table(
        "tour_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("tour_kind", "mid_year", "year_end"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("status", _enum("tour_status", "open", "published"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
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
        _programme("tour_rounds"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tour_rounds")),
        sa.UniqueConstraint("programme_id", "kind", name=op.f("uq_tour_rounds_programme_id_kind")),
        schema="tasks",
    )
    op.create_table(
        "tour_sheet_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("max_points", sa.Numeric(6, 2), nullable=False),
        _programme("tour_sheet_items"),
        _fk("tour_sheet_items", "round_id", "tasks.tour_rounds", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tour_sheet_items")),
        sa.UniqueConstraint("round_id", "name", name=op.f("uq_tour_sheet_items_round_id_name")),
        sa.UniqueConstraint(
            "round_id", "ordinal", name=op.f("uq_tour_sheet_items_round_id_ordinal")
        ),
        schema="tasks",
    )


def _tour_rows() -> None:
    roles = _enum("tour_project_role", "new_start", "completed")
    op.create_table(
        "tour_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("district_unit_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("role", roles, nullable=False),
        _programme("tour_projects"),
        _fk("tour_projects", "round_id", "tasks.tour_rounds", cascade=True),
        _fk("tour_projects", "district_unit_id", "platform.units"),
        _fk("tour_projects", "project_id", "tasks.projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tour_projects")),
        sa.UniqueConstraint(
            "round_id", "project_id", name=op.f("uq_tour_projects_round_id_project_id")
        ),
        schema="tasks",
    )
    op.create_table(
        "tour_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("district_unit_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Numeric(6, 2), nullable=False),
        sa.Column("scored_by", sa.String(length=64), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        _programme("tour_scores"),
        _fk("tour_scores", "round_id", "tasks.tour_rounds", cascade=True),
        _fk("tour_scores", "district_unit_id", "platform.units"),
        _fk("tour_scores", "item_id", "tasks.tour_sheet_items", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tour_scores")),
        sa.UniqueConstraint(
            "round_id",
            "district_unit_id",
            "item_id",
            name=op.f("uq_tour_scores_round_id_district_unit_id_item_id"),
        ),
        schema="tasks",
    )
    for table in ("tour_sheet_items", "tour_projects", "tour_scores"):
        op.create_index(
            op.f(f"ix_tasks_{table}_round_id"), table, ["round_id"], unique=False, schema="tasks"
        )


def upgrade() -> None:
    _instructions()
    _answers()
    _tour_rounds()
    _tour_rows()
    op.execute(FITS_CATALOGUE)
    for table in GUARDED:
        op.execute(TRIGGER.format(table=table))


def downgrade() -> None:
    op.execute(script(*PREVIOUS_GUARD))
    for table in reversed(GUARDED):
        op.execute(f"DROP TRIGGER refuse_closed_programme ON tasks.{table}")
    for table in reversed(GUARDED):
        op.drop_table(table, schema="tasks")
