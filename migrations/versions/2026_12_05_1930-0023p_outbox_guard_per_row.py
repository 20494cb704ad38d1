"""platform: the outbox's catalogue guard checks each row before it is stored

0022p's statement trigger built a transition table of the statement's rows and scanned it: about
100 us a statement, on every delivery of the 12345 webhook. The same check as a row trigger
before the row is stored costs about 5 us a row (docs/PERFORMANCE.md "hotline_ingest"). Same
check (`platform.fits_catalogue`, unchanged), same refusal: the statement fails whole, with the
misfit's type, consumer and data. It now also covers an UPDATE that rewrites type, consumer or
data (the relay's updates of attempts and delivery never fire it).

Revision ID: 0023p
Revises: 0022p
Create Date: 2026-12-05 19:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from migrations.history import script, sql_file

revision: str = "0023p"
down_revision: str | None = "0022p"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOX_FITS_CATALOGUE = sql_file(
    "platform.outbox_fits_catalogue",
    "0023p",
    "074b0604af9915d39eea009bb306273d83c38023a69715a538c102b3f0ea0763",
)
TRIGGER = """
CREATE TRIGGER fits_catalogue BEFORE INSERT OR UPDATE OF type, consumer, data
ON platform.outbox
FOR EACH ROW EXECUTE FUNCTION platform.outbox_fits_catalogue()
"""


def upgrade() -> None:
    op.execute("DROP TRIGGER fits_catalogue ON platform.outbox")
    op.execute(OUTBOX_FITS_CATALOGUE)
    op.execute(TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER fits_catalogue ON platform.outbox")
    op.execute(script("0022p", "OUTBOX_FITS_CATALOGUE"))
    op.execute(script("0022p", "TRIGGER"))
