"""reform_tasks: accountability (问责) is the office's decision

A second supervision that expires unresolved now proposes accountability (`proposed`, 待决定); the
office decides: `held_accountable` (问责, which costs points) or `dismissed` (不予问责, with a
reason). Existing accountability rows were issued by the old automatic escalation and already
cost points: they become `held_accountable`.

Revision ID: 0016r
Revises: 0015r
Create Date: 2026-12-05 10:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016r"
down_revision: str | None = "0015r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "ck_supervisions_supervision_status"


def _allow(values: str) -> None:
    op.execute(f"ALTER TABLE tasks.supervisions DROP CONSTRAINT {CONSTRAINT}")
    op.execute(
        f"ALTER TABLE tasks.supervisions ADD CONSTRAINT {CONSTRAINT} CHECK (status IN ({values}))"
    )


def upgrade() -> None:
    _allow("'open', 'resolved', 'escalated', 'proposed', 'held_accountable', 'dismissed'")
    op.execute(
        "UPDATE tasks.supervisions SET status = 'held_accountable' "
        "WHERE level = 'accountability' AND status = 'open'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE tasks.supervisions SET status = 'open' "
        "WHERE status IN ('proposed', 'held_accountable', 'dismissed')"
    )
    _allow("'open', 'resolved', 'escalated'")
