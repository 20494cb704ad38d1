"""hotline: working_deadline reads the calendar once per call, and a NULL start is NULL

`hotline.working_deadline` (0008h) asked `hotline.is_workday` about every day it stepped over:
five to nine queries for a complaint's 5 working days, for every `accepted` event the webhook
tells evaluation — measured ~80 µs of PostgreSQL CPU per call, the largest single part of
settling a group (docs/PERFORMANCE.md "hotline_ingest"). It now reads the calendar exceptions of
the next month in one query and steps over the days in memory (reading the month after that
only if the limit runs past it). Same answers: a day in `hotline.calendar_days` is what that
row says, any other day a working day from Monday to Friday; a test compares it day by day with
the Python calendar (`services.hotline_ingest.calendar.service.WorkingCalendar`).

A NULL start used to loop for ever (NULL is never a working day); it now returns NULL.

Revision ID: 0011h
Revises: 0010h
Create Date: 2026-12-01 21:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from migrations.history import script, sql_file

revision: str = "0011h"
down_revision: str | None = "0010h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_QUERY = sql_file(
    "hotline.working_deadline",
    "0011h",
    "c3252dd94947dc3723fa27ce354405d2f22154a3339c5b948dd5aad5c8bf73a8",
)


def upgrade() -> None:
    op.execute(ONE_QUERY)


def downgrade() -> None:
    op.execute(script("0008h", "WORKING_DEADLINE"))
