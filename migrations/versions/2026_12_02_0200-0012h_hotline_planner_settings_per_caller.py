"""hotline: the planner settings of the webhook's functions move to their callers

`hotline.settle` and `hotline.receive_batch` (0010h) carried `SET plan_cache_mode =
force_generic_plan` (and `settle` `SET enable_seqscan = off`): every call saved and restored
those settings, 6–10 % of a group's PostgreSQL CPU (docs/PERFORMANCE.md "hotline_ingest"). The
settings now come from the caller instead:

- the webhook's own asyncpg pool sets them for its connections (`create_pool`), which run
  nothing else;
- `hotline.receive` and `hotline.refresh_work_order`, the one-delivery and one-order entry
  points the SQLAlchemy sessions call, carry them, and they hold for what those call;
- the historical import sets them for each chunk's transaction (`set_config(…, true)`).

Same rows, same answers; only where the settings are made changes.

Revision ID: 0012h
Revises: 0011h
Create Date: 2026-12-02 02:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012h"
down_revision: str | None = "0011h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTLE = "hotline.settle(text[], bigint[], bytea[], bytea[], jsonb)"
RECEIVE_BATCH = (
    "hotline.receive_batch(text[], text[], text[], bytea[], text[], text[], text[], text[],"
    " timestamptz[], text[], bytea[], bytea[], jsonb)"
)
RECEIVE = (
    "hotline.receive(text, text, jsonb, bytea, text, text, jsonb, text, timestamptz, jsonb,"
    " bytea, bytea, jsonb)"
)
REFRESH = "hotline.refresh_work_order(text, bytea, bytea, jsonb, text, timestamptz)"
PLANNED = "SET plan_cache_mode = force_generic_plan SET enable_seqscan = off"


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION {SETTLE} RESET ALL")
    op.execute(f"ALTER FUNCTION {RECEIVE_BATCH} RESET ALL")
    op.execute(f"ALTER FUNCTION {RECEIVE} {PLANNED}")
    op.execute(f"ALTER FUNCTION {REFRESH} {PLANNED}")


def downgrade() -> None:
    op.execute(f"ALTER FUNCTION {RECEIVE} RESET ALL")
    op.execute(f"ALTER FUNCTION {REFRESH} RESET ALL")
    op.execute(f"ALTER FUNCTION {SETTLE} {PLANNED}")
    op.execute(f"ALTER FUNCTION {RECEIVE_BATCH} SET plan_cache_mode = force_generic_plan")
