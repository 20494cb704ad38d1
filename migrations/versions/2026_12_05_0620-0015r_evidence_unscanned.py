"""reform_tasks: evidence files can be `unscanned`

With no virus scanner configured (EVIDENCE_SCANNER=none, dev machines) a file used to be recorded
as `clean`. It is now recorded as `unscanned` and shown as such (未扫描); production requires a
scanner command (shared/settings.py). Files already stored keep their status.

Revision ID: 0015r
Revises: 0014p
Create Date: 2026-12-05 06:20:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015r"
down_revision: str | None = "0014p"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "ck_evidence_files_evidence_scan_status"


def _allow(values: str) -> None:
    op.execute(f"ALTER TABLE tasks.evidence_files DROP CONSTRAINT {CONSTRAINT}")
    op.execute(
        f"ALTER TABLE tasks.evidence_files ADD CONSTRAINT {CONSTRAINT}"
        f" CHECK (scan_status IN ({values}))"
    )


def upgrade() -> None:
    _allow("'pending', 'clean', 'infected', 'unscanned'")


def downgrade() -> None:
    op.execute(
        "UPDATE tasks.evidence_files SET scan_status = 'pending' WHERE scan_status = 'unscanned'"
    )
    _allow("'pending', 'clean', 'infected'")
