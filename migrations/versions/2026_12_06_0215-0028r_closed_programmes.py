"""reform_tasks: a programme can be closed and is then read-only (issue #21)

`tasks.programmes.closed_at` / `closed_by`: when and by whom the office closed the year
(`POST /api/tasks/v1/programmes/{code}/close`). From then on the year's record cannot change:
`tasks.refuse_closed_programme()` (services/reform_tasks/sql/refuse_closed_programme/0028r.sql),
a row trigger before INSERT, UPDATE and DELETE, refuses with SQLSTATE RT409 (answered as a 409
problem naming the programme, shared/errors.py) any row that belongs to a closed programme:

- directly by `programme_id`: domains, tasks, rating_windows, problems, supervisions, reports;
- through a task: task_responsible_units, milestones, timeline_entries (subject task);
- through a milestone: progress_reports, extension_requests; through a progress report:
  evidence_files;
- through a rating window: ratings; through a problem: timeline_entries (subject problem);
- through a supervision: supervision_replies; through a reply: supervision_reply_files;
- official_documents (UPDATE, DELETE) through the report or supervision that issued it, except
  that a PDF missing at sign-off is stored once when first rendered (the same document);
- the programme's own row (UPDATE, DELETE) once closed_at is set: its settings cannot change,
  and it cannot be reopened or deleted. Closing itself updates an open row.

Not guarded, by decision: `unit_messages` (a unit's inbox and its read receipts: reading a closed
year's notice is not a change of the year's record, and a message has no programme), and the
timeline note `task.carried_over` that a later year's 结转 writes on the task it continues (it is
about the new year; the closed task itself does not change). `platform` rows (audit, outbox) are
not the year's record.

Revision ID: 0028r
Revises: 0027p
Create Date: 2026-12-06 02:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.history import sql_file

revision: str = "0028r"
down_revision: str | None = "0027p"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSE_CLOSED_PROGRAMME = sql_file(
    "tasks.refuse_closed_programme",
    "0028r",
    "7652331176b6322cc3036803a833f3892a0765e3ad58e0dcbeaef319cf891e5b",
)
# Every table of the year's record, and the statements its trigger fires on.
GUARDED = {
    "programmes": "UPDATE OR DELETE",
    "official_documents": "UPDATE OR DELETE",
    **{
        table: "INSERT OR UPDATE OR DELETE"
        for table in (
            "domains",
            "tasks",
            "task_responsible_units",
            "milestones",
            "progress_reports",
            "evidence_files",
            "extension_requests",
            "rating_windows",
            "ratings",
            "problems",
            "supervisions",
            "supervision_replies",
            "supervision_reply_files",
            "timeline_entries",
            "reports",
        )
    },
}
TRIGGER = """
CREATE TRIGGER refuse_closed_programme BEFORE {events} ON tasks.{table}
FOR EACH ROW EXECUTE FUNCTION tasks.refuse_closed_programme()
"""


def upgrade() -> None:
    op.add_column("programmes", sa.Column("closed_at", sa.DateTime(timezone=True)), schema="tasks")
    op.add_column("programmes", sa.Column("closed_by", sa.String(64)), schema="tasks")
    op.execute(REFUSE_CLOSED_PROGRAMME)
    for table, events in GUARDED.items():
        op.execute(TRIGGER.format(events=events, table=table))


def downgrade() -> None:
    for table in GUARDED:
        op.execute(f"DROP TRIGGER refuse_closed_programme ON tasks.{table}")
    op.execute("DROP FUNCTION tasks.refuse_closed_programme()")
    op.drop_column("programmes", "closed_by", schema="tasks")
    op.drop_column("programmes", "closed_at", schema="tasks")
