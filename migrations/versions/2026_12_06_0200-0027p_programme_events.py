"""platform: the outbox may carry `programme.created` and `programme.closed` to evaluation

Issue #21: evaluation copies a programme's rule set into a new programme as a draft, and freezes
a closed programme's scores as its final results. The catalogue's guard is generated again from
shared/events.py (shared/sql/fits_catalogue/0027p.sql); the outbox's trigger function calls it by
name and is unchanged.

Revision ID: 0027p
Revises: 0026r
Create Date: 2026-12-06 02:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from migrations.history import script, sql_file

revision: str = "0027p"
down_revision: str | None = "0026r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FITS_CATALOGUE = sql_file(
    "platform.fits_catalogue",
    "0027p",
    "41fe97acab9faa9cd4b39fca96d53f5738092a48e8bf998db1da67f0e24b9c70",
)


def upgrade() -> None:
    op.execute(FITS_CATALOGUE)


def downgrade() -> None:
    op.execute(script("0022p", "FITS_CATALOGUE"))
