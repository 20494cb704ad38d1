"""hotline: an order may arrive without its codes — it waits to be dispatched or classified

Issue #26 (intake as real 12345 platforms send it): `work_order.created` may leave out, or send
null, the handling unit, the district and the category, which the platform may not know at
intake. The order is stored and derived as always, and held in the quarantine queue until the
codes arrive:

- no handling unit: "待派单" (as before) until an `assigned` event or the office's dispatch;
- no category: "待分类" (new) until a `work_order.categorized` event — sent by the platform, or
  recorded by the office when it picks one of the known categories — sets it.

`hotline.event_step` orders `categorized` with `assigned` (after `created` at the same moment);
`hotline.derive` applies it; `hotline.settle` names the new reason. Orders already held are not
changed; an order already stored without a category (none could be before: it was refused) is
held when next derived.

Revision ID: 0020h
Revises: 0019h
Create Date: 2026-12-05 16:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from migrations.history import script, sql_file

revision: str = "0020h"
down_revision: str | None = "0019h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_STEP = sql_file(
    "hotline.event_step",
    "0020h",
    "1dce843ad51b9f934d25e0696e6f8dcc8652bb653db67bef8c0be98833234e0e",
)

DERIVE = sql_file(
    "hotline.derive", "0020h", "52cb432da63f501dab91254e646218389f88b315ddcf5875d658c8575ddb6dcf"
)

SETTLE = sql_file(
    "hotline.settle", "0020h", "94dd8aa94ab118f78b0bbc3cae1620e3ad695bf27c72dbc5c445356da4712928"
)


def upgrade() -> None:
    op.execute(EVENT_STEP)
    op.execute(DERIVE)
    op.execute(SETTLE)


def downgrade() -> None:
    op.execute(script("0019h", "SETTLE"))
    op.execute(script("0008h", "DERIVE"))
    op.execute(script("0008h", "EVENT_STEP"))
