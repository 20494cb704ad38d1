"""reform_tasks: official documents (公文) are signed off, numbered and stored (issue #20)

`tasks.official_documents`: each document the office issued — a report or notice signed off
(签发), a 督办单, a 问责建议 — with its 文号 (代字, year, serial: unique, so one number is never
given twice), what it was rendered from, and the DOCX and PDF as signed. Reports gain 核稿
(`reviewed`) and 已被替代 (`superseded`), who reviewed them, their document and the signed report
they correct; supervisions gain their document. Users may be `office_leader` (改革办领导).

Reports published before this revision keep their status and have no stored document (they are
rendered as before, with the 文号 their snapshot carries); supervisions issued before it have no
number. A downgrade turns reviewed reports back into drafts and superseded ones into published
ones, office leaders into office staff, and drops the documents.

Revision ID: 0025r
Revises: 0024r
Create Date: 2026-12-05 22:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025r"
down_revision: str | None = "0024r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = (
    "'office_admin', 'office_staff', 'lead_unit', 'unit', 'hotline_platform', 'viewer', 'service'"
)
REPORT_STATUSES = "'draft', 'published'"


def _check(table: str, constraint: str, column: str, values: str) -> None:
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} CHECK ({column} IN ({values}))")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    _check("platform.users", "ck_users_user_role", "role", f"{ROLES}, 'office_leader'")
    _check(
        "tasks.reports",
        "ck_reports_report_status",
        "status",
        f"{REPORT_STATUSES}, 'reviewed', 'superseded'",
    )
    op.create_table(
        "official_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum(
                "document_kind",
                "monthly_dispatch",
                "quarterly_notice",
                "supervision",
                "accountability",
            ),
            nullable=False,
        ),
        sa.Column("word", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("document_number", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "publicity", _enum("publicity", "public", "on_request", "not_public"), nullable=True
        ),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_by", sa.String(length=64), nullable=False),
        sa.Column("content", sa.dialects.postgresql.JSONB(), nullable=False),
        sa.Column("docx", sa.LargeBinary(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("public_docx", sa.LargeBinary(), nullable=True),
        sa.Column("public_pdf", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_documents")),
        sa.UniqueConstraint("document_number", name=op.f("uq_official_documents_document_number")),
        sa.UniqueConstraint(
            "word", "year", "serial", name=op.f("uq_official_documents_word_year_serial")
        ),
        schema="tasks",
    )
    op.add_column("reports", sa.Column("reviewed_at", sa.DateTime(timezone=True)), schema="tasks")
    op.add_column("reports", sa.Column("reviewed_by", sa.String(length=64)), schema="tasks")
    op.add_column("reports", sa.Column("document_id", sa.Integer()), schema="tasks")
    op.add_column("reports", sa.Column("supersedes_id", sa.Integer()), schema="tasks")
    op.create_foreign_key(
        op.f("fk_reports_document_id_official_documents"),
        "reports",
        "official_documents",
        ["document_id"],
        ["id"],
        source_schema="tasks",
        referent_schema="tasks",
    )
    op.create_unique_constraint(
        op.f("uq_reports_document_id"), "reports", ["document_id"], schema="tasks"
    )
    op.create_foreign_key(
        op.f("fk_reports_supersedes_id_reports"),
        "reports",
        "reports",
        ["supersedes_id"],
        ["id"],
        source_schema="tasks",
        referent_schema="tasks",
    )
    op.add_column("supervisions", sa.Column("document_id", sa.Integer()), schema="tasks")
    op.create_foreign_key(
        op.f("fk_supervisions_document_id_official_documents"),
        "supervisions",
        "official_documents",
        ["document_id"],
        ["id"],
        source_schema="tasks",
        referent_schema="tasks",
    )
    op.create_unique_constraint(
        op.f("uq_supervisions_document_id"), "supervisions", ["document_id"], schema="tasks"
    )


def downgrade() -> None:
    op.drop_column("supervisions", "document_id", schema="tasks")
    for column in ("supersedes_id", "document_id", "reviewed_by", "reviewed_at"):
        op.drop_column("reports", column, schema="tasks")
    op.drop_table("official_documents", schema="tasks")
    op.execute("UPDATE tasks.reports SET status = 'draft' WHERE status = 'reviewed'")
    op.execute("UPDATE tasks.reports SET status = 'published' WHERE status = 'superseded'")
    _check("tasks.reports", "ck_reports_report_status", "status", REPORT_STATUSES)
    op.execute("UPDATE platform.users SET role = 'office_staff' WHERE role = 'office_leader'")
    _check("platform.users", "ck_users_user_role", "role", ROLES)
