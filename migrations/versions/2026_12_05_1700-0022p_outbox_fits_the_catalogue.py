"""platform: every row written to the outbox fits the event catalogue, whoever writes it

Python producers checked their events against the catalogue (`shared.outbox.enqueue`), but the
hotline builds its events in SQL (`hotline.settle`) and wrote them past that check. A statement
trigger on `platform.outbox` now refuses any statement that writes a row whose type, consumer or
data does not fit: `platform.fits_catalogue`, generated from shared/events.py by
`python -m shared.event_guard` (shared/sql/fits_catalogue/0022p.sql). Rows already stored are
not checked again (0017e fitted them to the catalogue).

Revision ID: 0022p
Revises: 0021h
Create Date: 2026-12-05 17:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from migrations.history import sql_file

revision: str = "0022p"
down_revision: str | None = "0021h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FITS_CATALOGUE = sql_file(
    "platform.fits_catalogue",
    "0022p",
    "aeebd27fa3aca71e777269b04b6cf30a66ffde0259f24daca79ed4e7cd5df032",
)
OUTBOX_FITS_CATALOGUE = sql_file(
    "platform.outbox_fits_catalogue",
    "0022p",
    "4c08f51d8233dde5fd85073764e094339abc6eed287d883f63c5f9c4696ffe4f",
)
TRIGGER = """
CREATE TRIGGER fits_catalogue AFTER INSERT ON platform.outbox
REFERENCING NEW TABLE AS written
FOR EACH STATEMENT EXECUTE FUNCTION platform.outbox_fits_catalogue()
"""


def upgrade() -> None:
    op.execute(FITS_CATALOGUE)
    op.execute(OUTBOX_FITS_CATALOGUE)
    op.execute(TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER fits_catalogue ON platform.outbox")
    op.execute("DROP FUNCTION platform.outbox_fits_catalogue()")
    op.execute("DROP FUNCTION platform.fits_catalogue(text, text, jsonb)")
