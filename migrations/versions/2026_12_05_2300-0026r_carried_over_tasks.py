"""reform_tasks: a task carried over into a new year's programme names the task it continues

`tasks.tasks.continues_task_id`: the previous programme's task (结转, issue #21); at most one task
continues each. A downgrade drops the link (the carried tasks stay, as ordinary tasks).

Revision ID: 0026r
Revises: 0025r
Create Date: 2026-12-05 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026r"
down_revision: str | None = "0025r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("continues_task_id", sa.Integer()), schema="tasks")
    op.create_foreign_key(
        op.f("fk_tasks_continues_task_id_tasks"),
        "tasks",
        "tasks",
        ["continues_task_id"],
        ["id"],
        source_schema="tasks",
        referent_schema="tasks",
    )
    op.create_unique_constraint(
        op.f("uq_tasks_continues_task_id"), "tasks", ["continues_task_id"], schema="tasks"
    )


def downgrade() -> None:
    op.drop_column("tasks", "continues_task_id", schema="tasks")
