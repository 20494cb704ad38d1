"""evaluation and platform: stored event data fits the typed catalogue (shared/events.py)

Events are now validated against one pydantic model per type, strictly, with no extra keys.
Data stored before had three differences, fixed here wherever it is kept (facts, the outbox,
parked envelopes):

- `milestone.lagging` carried its ordinal twice (`ordinal` and `milestone`), and the sweep's
  lacked `baseline_date` (now null when unknown);
- `supervision.escalated` carried `subject`, a second spelling of the flat subject fields;
- the demo's `task.closed_out` lacked `responsible_units` (now empty: only the lead unit's
  score uses that event).

Revision ID: 0017e
Revises: 0016r
Create Date: 2026-12-05 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017e"
down_revision: str | None = "0016r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENVELOPE_DATA = "(envelope -> 'data')"
FIXES = (
    (
        "milestone.lagging",
        "(({d} - 'ordinal') || jsonb_build_object('baseline_date',"
        " coalesce({d} -> 'baseline_date', 'null'::jsonb)))",
    ),
    ("supervision.escalated", "({d} - 'subject')"),
    (
        "task.closed_out",
        "({d} || jsonb_build_object('responsible_units',"
        " coalesce({d} -> 'responsible_units', '[]'::jsonb)))",
    ),
)


def upgrade() -> None:
    # Statements built from the constants above only; the event type is a bound parameter.
    for event_type, fixed in FIXES:
        for table, column, value in (
            ("evaluation.facts", "data", fixed.format(d="data")),
            ("platform.outbox", "data", fixed.format(d="data")),
            (
                "evaluation.parked_events",
                "envelope",
                f"jsonb_set(envelope, '{{data}}', {fixed.format(d=ENVELOPE_DATA)})",
            ),
        ):
            statement = f"UPDATE {table} SET {column} = {value} WHERE type = :type"  # noqa: S608
            op.execute(sa.text(statement).bindparams(type=event_type))


def downgrade() -> None:
    """Nothing to undo: the old readers took the new shape too."""
