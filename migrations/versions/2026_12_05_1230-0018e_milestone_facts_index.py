"""evaluation: an index on the milestone events the delivery rate reads

The default 改革任务推进 is now a rate (issue #19, fix 2): each score refresh reads the unit's
milestone events (`milestone.completed`, `.lagging`, `.reopened`) from the programme's start. A
partial index keeps that a few hundred index entries, not a scan of the hotline's facts.

Revision ID: 0018e
Revises: 0017e
Create Date: 2026-12-05 12:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018e"
down_revision: str | None = "0017e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_facts_milestone_states ON evaluation.facts (programme, occurred_at) "
        "WHERE type IN ('milestone.completed', 'milestone.lagging', 'milestone.reopened')"
    )


def downgrade() -> None:
    op.execute("DROP INDEX evaluation.ix_facts_milestone_states")
