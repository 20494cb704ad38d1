"""hotline: `hotline.link_repeats` planned once per connection, by index (issue #24)

The webhook links repeat requests in every group's transaction; the function's closing statement
(what changed since evaluation was last told) was planned afresh for every group, ~0.5 ms of a
group's ~2.8 ms in PostgreSQL (bench/bench_webhook.py with pg_stat_statements). It now carries
the same settings as `hotline.settle`: a generic plan, and index lookups however small the tables
were when it was planned. Same body otherwise.

Revision ID: 0039h
Revises: 0038e
Create Date: 2026-12-06 09:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from migrations.history import script, sql_file

revision: str = "0039h"
down_revision: str | None = "0038e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINK_REPEATS = sql_file(
    "hotline.link_repeats",
    "0039h",
    "8c87854cae50d0ab22c110d495f2fdd12a4c49232d328e389fd4e77dcde850d6",
)


def upgrade() -> None:
    op.execute(LINK_REPEATS)


def downgrade() -> None:
    op.execute(script("0033h", "LINK_REPEATS"))  # its definition replaces the SET clauses too
