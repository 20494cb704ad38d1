"""hotline: ingest in one statement (derive, quarantine, outbox in SQL), delivery source,
assigned_at, Open311 keys, 2027 provisional 补假 days

Why SQL functions: a delivery's whole durable effect (raw delivery, event, derived work order,
outbox rows) must commit before the 2xx, and the webhook must keep up with the 12345 platform
(docs/PERFORMANCE.md "hotline_ingest"). Doing it in one `SELECT hotline.receive(…)` makes it
one round trip and one implicit transaction instead of six to ten. The derivation is the pure
function `hotline.derive(events)`; docs/HOTLINE.md describes the rules, tests/hotline checks
them. Change the rules with a new migration (`CREATE OR REPLACE FUNCTION`).

Revision ID: 0008h
Revises: 0007h
Create Date: 2026-11-24 18:00:00+00:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from migrations.history import sql_file

revision: str = "0008h"
down_revision: str | None = "0007h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROVISIONAL = "法定假日暂定，待国务院通知后修订"
# 《全国年节及纪念日放假办法》: a holiday falling on a weekend is made up on a working day.
CALENDAR_2027 = [
    ("2027-02-09", "春节补假（暂定）"),
    ("2027-02-10", "春节补假（暂定）"),
    ("2027-05-03", "劳动节补假（暂定）"),
    ("2027-05-04", "劳动节补假（暂定）"),
    ("2027-10-04", "国庆节补假（暂定）"),
    ("2027-10-05", "国庆节补假（暂定）"),
]

WORK_ORDER_STATE = r"""
CREATE TYPE hotline.work_order_state AS (
    status text,
    has_created boolean,
    channel text,
    kind text,
    title text,
    content text,
    category_code text,
    district_code text,
    handling_unit_code text,
    enterprise_name text,
    credit_code text,
    received_at timestamptz,
    assigned_at timestamptz,
    due_at timestamptz,
    accepted_at timestamptz,
    replied_at timestamptz,
    closed_at timestamptz,
    visited_at timestamptz,
    satisfaction text,
    resolved boolean,
    reply text,
    returned_reason text
);
"""

# services/hotline_ingest/sql/<function>/0008h.sql, pinned by their sha256.
EVENT_STEP = sql_file(
    "hotline.event_step",
    "0008h",
    "631ff4702c30449f0a6176c49de88efe2ffb820e4182d06121aae61d9d1fd9e4",
)
DERIVE = sql_file(
    "hotline.derive", "0008h", "49f75ff529a0a16c2af582a9c54479ef97d89f83c5cf7d512f881143b6019a8c"
)
IS_WORKDAY = sql_file(
    "hotline.is_workday",
    "0008h",
    "fbe1abb395dd55dcadfb610fd4c352e11a51668ff3a959cd560fd92b73636e91",
)
WORKING_DEADLINE = sql_file(
    "hotline.working_deadline",
    "0008h",
    "224afc7d6671423fb0c9683a84ef12587c8da80c8e0956df3d673b90f60ba6d5",
)
TELL = sql_file(
    "hotline.tell", "0008h", "f72b0425d589580808a22b1b6bd048f3d38d0a7d0f5e6fce71f6a616d6db07c6"
)
REFRESH_WORK_ORDER = sql_file(
    "hotline.refresh_work_order",
    "0008h",
    "1b9179c46c1357d742cd11c47e2b02ec2bc8294ddd1a9a6be7e4dad11b72e669",
)
RECEIVE = sql_file(
    "hotline.receive", "0008h", "34e0e13097dcf00545f50659d0715b902fd015c78036b7c2d6d42538f59e4e88"
)
RECEIVE_BATCH = sql_file(
    "hotline.receive_batch",
    "0008h",
    "358a1ff9c41baeab99f039dcb60efe98076e7ab492f5455ed37df8d2bac1c15b",
)
FUNCTIONS = (
    WORK_ORDER_STATE,
    EVENT_STEP,
    DERIVE,
    IS_WORKDAY,
    WORKING_DEADLINE,
    TELL,
    REFRESH_WORK_ORDER,
    RECEIVE,
    RECEIVE_BATCH,
)

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS hotline.receive_batch(text[], text[], text[], text[], text[], text[],
    text[], text[], timestamptz[], text[], bytea[], bytea[], jsonb);
DROP FUNCTION IF EXISTS hotline.receive(text, text, jsonb, text, text, text, jsonb, text,
    timestamptz, jsonb, bytea, bytea, jsonb);
DROP FUNCTION IF EXISTS hotline.refresh_work_order(text, bytea, bytea, jsonb, text,
    timestamptz);
DROP FUNCTION IF EXISTS hotline.tell(hotline.work_order_state, text, text, timestamptz, jsonb,
    text);
DROP FUNCTION IF EXISTS hotline.working_deadline(timestamptz, int);
DROP FUNCTION IF EXISTS hotline.is_workday(date);
DROP FUNCTION IF EXISTS hotline.derive(hotline.work_order_events[]);
DROP FUNCTION IF EXISTS hotline.event_step(text);
DROP TYPE IF EXISTS hotline.work_order_state;
"""


def upgrade() -> None:
    op.add_column(
        "deliveries",
        sa.Column("source", sa.String(length=16), server_default="webhook", nullable=False),
        schema="hotline",
    )
    op.add_column(
        "work_orders",
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        schema="hotline",
    )
    # The unique (order_no, type, occurred_at) index already serves lookups by order.
    op.drop_index("ix_work_order_events_order", table_name="work_order_events", schema="hotline")
    op.create_index("ix_work_orders_received_at", "work_orders", ["received_at"], schema="hotline")
    # Every event rewrites its order's row: without `status` in an index, and with room left on
    # each page, most of those updates are HOT (no new index entries).
    op.drop_index("ix_work_orders_unit_status", table_name="work_orders", schema="hotline")
    op.create_index("ix_work_orders_unit", "work_orders", ["handling_unit_code"], schema="hotline")
    op.execute("ALTER TABLE hotline.work_orders SET (fillfactor = 70)")
    op.create_table(
        "open311_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_keys_key_hash")),
        schema="hotline",
    )
    for statement in FUNCTIONS:
        op.execute(statement)
    table = sa.table(
        "calendar_days",
        sa.column("day", sa.Date()),
        sa.column("is_workday", sa.Boolean()),
        sa.column("note", sa.String()),
        sa.column("source", sa.String()),
        schema="hotline",
    )
    op.bulk_insert(
        table,
        [
            {"day": date.fromisoformat(d), "is_workday": False, "note": n, "source": PROVISIONAL}
            for d, n in CALENDAR_2027
        ],
    )


def downgrade() -> None:
    days = ", ".join(f"'{d}'" for d, _ in CALENDAR_2027)  # constants above
    op.execute(f"DELETE FROM hotline.calendar_days WHERE day IN ({days})")  # noqa: S608
    for statement in DROP_FUNCTIONS.split(";"):
        if statement.strip():
            op.execute(statement)
    op.drop_table("open311_keys", schema="hotline")
    op.execute("ALTER TABLE hotline.work_orders RESET (fillfactor)")
    op.drop_index("ix_work_orders_unit", table_name="work_orders", schema="hotline")
    op.create_index(
        "ix_work_orders_unit_status",
        "work_orders",
        ["handling_unit_code", "status"],
        schema="hotline",
    )
    op.drop_index("ix_work_orders_received_at", table_name="work_orders", schema="hotline")
    op.create_index(
        "ix_work_order_events_order",
        "work_order_events",
        ["order_no", "occurred_at"],
        schema="hotline",
    )
    op.drop_column("work_orders", "assigned_at", schema="hotline")
    op.drop_column("deliveries", "source", schema="hotline")
