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

from migrations.history import create_function

revision: str = "0011h"
down_revision: str | None = "0010h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_QUERY = r"""
-- End (Asia/Shanghai) of the `days`-th working day after the day of `start_at`.
CREATE OR REPLACE FUNCTION hotline.working_deadline(start_at timestamptz, days int)
RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d date := (start_at AT TIME ZONE 'Asia/Shanghai')::date;
    remaining int := greatest(days, 0);
    read_until date;  -- the calendar's exceptions are known up to this day
    make_up date[];   -- 调休 working days on a weekend
    off date[];       -- holidays on a weekday
BEGIN
    IF start_at IS NULL THEN
        RETURN NULL;
    END IF;
    WHILE remaining > 0 LOOP
        IF read_until IS NULL OR d >= read_until THEN
            read_until := d + 31;
            SELECT coalesce(array_agg(c.day) FILTER (WHERE c.is_workday), '{}'),
                   coalesce(array_agg(c.day) FILTER (WHERE NOT c.is_workday), '{}')
            INTO make_up, off
            FROM hotline.calendar_days AS c
            WHERE c.day > d AND c.day <= read_until;
        END IF;
        d := d + 1;
        IF d = ANY (make_up) OR (extract(isodow FROM d) < 6 AND NOT d = ANY (off)) THEN
            remaining := remaining - 1;
        END IF;
    END LOOP;
    RETURN (d + 1)::timestamp AT TIME ZONE 'Asia/Shanghai';
END
$$;
"""


def upgrade() -> None:
    op.execute(ONE_QUERY)


def downgrade() -> None:
    op.execute(create_function("0008h", "hotline.working_deadline", replace=True))
