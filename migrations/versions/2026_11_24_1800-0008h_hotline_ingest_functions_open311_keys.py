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

FUNCTIONS = r"""
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
-- statement

-- Lifecycle step: breaks ties between events of the same instant.
CREATE FUNCTION hotline.event_step(event_type text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE event_type
        WHEN 'work_order.created' THEN 0
        WHEN 'work_order.assigned' THEN 1
        WHEN 'work_order.returned' THEN 2
        WHEN 'work_order.accepted' THEN 3
        WHEN 'work_order.extended' THEN 4
        WHEN 'work_order.replied' THEN 5
        WHEN 'work_order.closed' THEN 6
        WHEN 'work_order.visited' THEN 7
        ELSE 99 END
$$;
-- statement

-- The work order from all its events, sorted by (occurred_at, step, delivery id): a fold with
-- no other input, so any arrival order (and any duplicate) gives the same state.
CREATE FUNCTION hotline.derive(events hotline.work_order_events[])
RETURNS hotline.work_order_state
LANGUAGE plpgsql STABLE AS $$
DECLARE
    s hotline.work_order_state;
    e hotline.work_order_events;
    sorted hotline.work_order_events[] := events;
    previous hotline.work_order_events;
    reassigned boolean := false;
BEGIN
    s.status := 'created';
    s.has_created := false;
    -- Sort unless already sorted (refresh_work_order reads the events in this order).
    FOREACH e IN ARRAY events LOOP
        IF previous.id IS NOT NULL AND (previous.occurred_at, hotline.event_step(previous.type),
                                        previous.delivery_id)
                                       > (e.occurred_at, hotline.event_step(e.type),
                                          e.delivery_id) THEN
            sorted := ARRAY(SELECT u FROM unnest(events) AS u
                            ORDER BY u.occurred_at, hotline.event_step(u.type), u.delivery_id);
            EXIT;
        END IF;
        previous := e;
    END LOOP;
    FOREACH e IN ARRAY coalesce(sorted, '{}') LOOP
        CASE e.type
        WHEN 'work_order.created' THEN
            s.has_created := true;
            s.channel := e.data->>'channel';
            s.kind := e.data->>'kind';
            s.title := e.data->>'title';
            s.content := e.data->>'content';
            s.category_code := e.data->>'category_code';
            s.district_code := e.data->>'district_code';
            s.enterprise_name := e.data->>'enterprise_name';
            s.credit_code := e.data->>'credit_code';
            s.received_at := (e.data->>'received_at')::timestamptz;
            IF NOT reassigned THEN
                s.handling_unit_code := e.data->>'handling_unit_code';
                s.due_at := (e.data->>'due_at')::timestamptz;
                s.assigned_at := s.received_at;
            END IF;
            s.status := 'created';
        WHEN 'work_order.assigned' THEN
            reassigned := true;
            s.handling_unit_code := e.data->>'handling_unit_code';
            s.due_at := (e.data->>'due_at')::timestamptz;
            s.assigned_at := e.occurred_at;
            s.accepted_at := NULL;  -- the (new) handling unit has to accept it again
            s.status := 'assigned';
        WHEN 'work_order.returned' THEN
            s.returned_reason := e.data->>'reason';
            s.status := 'returned';
        WHEN 'work_order.accepted' THEN
            s.accepted_at := coalesce(s.accepted_at, e.occurred_at);
            s.status := 'accepted';
        WHEN 'work_order.extended' THEN
            s.due_at := (e.data->>'new_due_at')::timestamptz;
        WHEN 'work_order.replied' THEN
            s.replied_at := e.occurred_at;
            s.reply := e.data->>'reply';
            s.status := 'replied';
        WHEN 'work_order.closed' THEN
            s.closed_at := e.occurred_at;
            s.status := 'closed';
        WHEN 'work_order.visited' THEN
            s.visited_at := e.occurred_at;
            s.satisfaction := e.data->>'satisfaction';
            s.resolved := (e.data->>'resolved')::boolean;
            s.status := 'visited';
        ELSE
            NULL;
        END CASE;
    END LOOP;
    RETURN s;
END
$$;
-- statement

CREATE FUNCTION hotline.is_workday(day date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT c.is_workday FROM hotline.calendar_days AS c WHERE c.day = is_workday.day),
        extract(isodow FROM day) < 6)
$$;
-- statement

-- End (Asia/Shanghai) of the `days`-th working day after the day of `start_at`.
CREATE FUNCTION hotline.working_deadline(start_at timestamptz, days int) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d date := (start_at AT TIME ZONE 'Asia/Shanghai')::date;
    remaining int := greatest(days, 0);
BEGIN
    WHILE remaining > 0 LOOP
        d := d + 1;
        IF hotline.is_workday(d) THEN
            remaining := remaining - 1;
        END IF;
    END LOOP;
    RETURN (d + 1)::timestamp AT TIME ZONE 'Asia/Shanghai';
END
$$;
-- statement

-- Tell evaluation one event of a work order (rates inputs), through the outbox.
CREATE FUNCTION hotline.tell(s hotline.work_order_state, order_no text, event_type text,
                             occurred_at timestamptz, limits jsonb, domain_code text)
RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    mapped text;
    extra jsonb;
BEGIN
    CASE event_type
    WHEN 'work_order.created' THEN
        mapped := 'work_order.created';
        extra := jsonb_build_object('category_code', s.category_code,
                                    'domain_code', domain_code);
    WHEN 'work_order.accepted' THEN
        mapped := 'work_order.responded';
        extra := jsonb_build_object(
            'within_limit',
            occurred_at <= hotline.working_deadline(
                coalesce(s.assigned_at, s.received_at),
                coalesce((limits->>s.kind)::int, 1)));
    WHEN 'work_order.visited' THEN
        mapped := 'work_order.visited';
        extra := jsonb_build_object('resolved', s.resolved, 'satisfaction', s.satisfaction);
    WHEN 'work_order.closed' THEN
        mapped := 'work_order.closed';
        extra := '{}'::jsonb;
    ELSE
        RETURN 0;
    END CASE;
    INSERT INTO platform.outbox (id, type, occurred_at, unit_code, data, producer, consumer)
    VALUES (
        gen_random_uuid(), mapped, tell.occurred_at, s.handling_unit_code,
        jsonb_build_object('order_no', order_no, 'kind', s.kind,
                           'district_code', s.district_code) || extra,
        'hotline_ingest', 'evaluation');
    RETURN 1;
END
$$;
-- statement

-- Derive one work order again (serialised per order), store it with its quarantine reason and
-- tell evaluation what is new: the given event, or every event in order when the order has
-- just become known (new, or out of quarantine). Returns the number of outbox rows written.
CREATE FUNCTION hotline.refresh_work_order(p_order_no text, p_contact_name bytea,
                                           p_contact_phone bytea, p_limits jsonb,
                                           p_event_type text, p_occurred_at timestamptz)
RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    s hotline.work_order_state;
    existed boolean := false;
    was_held boolean := false;
    reasons text[] := '{}';
    reason text;
    mapped text;
    unit_known boolean;
    category_known boolean;
    domain text;
    told int := 0;
    events hotline.work_order_events[];
    e hotline.work_order_events;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('hotline.work_order:' || p_order_no, 0));
    SELECT w.order_no IS NOT NULL, w.quarantine_reason IS NOT NULL,
           ARRAY(SELECT e0 FROM hotline.work_order_events AS e0
                 WHERE e0.order_no = p_order_no
                 ORDER BY e0.occurred_at, hotline.event_step(e0.type), e0.delivery_id)
    INTO existed, was_held, events
    FROM (SELECT 1) AS one
    LEFT JOIN hotline.work_orders AS w ON w.order_no = p_order_no;
    s := hotline.derive(events);
    -- The office's code tables in one statement: the unit-code mapping, whether the unit and
    -- the category are known, and the category's task-list domain.
    SELECT m.unit_code, u.id IS NOT NULL, c.code IS NOT NULL, c.domain_code
    INTO mapped, unit_known, category_known, domain
    FROM (SELECT 1) AS one
    LEFT JOIN hotline.unit_code_mappings AS m ON m.external_code = s.handling_unit_code
    LEFT JOIN platform.units AS u ON u.code = coalesce(m.unit_code, s.handling_unit_code)
    LEFT JOIN hotline.categories AS c ON c.code = s.category_code;
    s.handling_unit_code := coalesce(mapped, s.handling_unit_code);
    IF NOT s.has_created THEN
        reasons := reasons || '尚未收到工单受理事件（created）'::text;
    END IF;
    IF s.handling_unit_code IS NULL THEN
        IF s.has_created THEN
            reasons := reasons || '待派单（尚无承办单位）'::text;
        END IF;
    ELSIF NOT unit_known THEN
        reasons := reasons || format('未知承办单位“%s”', s.handling_unit_code);
    END IF;
    IF s.category_code IS NOT NULL AND NOT category_known THEN
        reasons := reasons || format('未知分类“%s”', s.category_code);
    END IF;
    reason := nullif(array_to_string(reasons, '；'), '');
    IF existed THEN
        -- Plain UPDATE (the advisory lock above serialises writers of this order): no
        -- speculative insertion, and a HOT update when no indexed column changed.
        UPDATE hotline.work_orders AS w SET
            status = s.status, channel = s.channel, kind = s.kind, title = s.title,
            content = s.content, category_code = s.category_code,
            district_code = s.district_code, handling_unit_code = s.handling_unit_code,
            enterprise_name = s.enterprise_name, credit_code = s.credit_code,
            contact_name_enc = coalesce(p_contact_name, w.contact_name_enc),
            contact_phone_enc = coalesce(p_contact_phone, w.contact_phone_enc),
            received_at = s.received_at, assigned_at = s.assigned_at, due_at = s.due_at,
            accepted_at = s.accepted_at, replied_at = s.replied_at, closed_at = s.closed_at,
            visited_at = s.visited_at, satisfaction = s.satisfaction, resolved = s.resolved,
            reply = s.reply, returned_reason = s.returned_reason, quarantine_reason = reason,
            updated_at = now()
        WHERE w.order_no = p_order_no;
    ELSE
        INSERT INTO hotline.work_orders (
            order_no, status, channel, kind, title, content, category_code, district_code,
            handling_unit_code, enterprise_name, credit_code, contact_name_enc,
            contact_phone_enc, received_at, assigned_at, due_at, accepted_at, replied_at,
            closed_at, visited_at, satisfaction, resolved, reply, returned_reason,
            quarantine_reason, updated_at)
        VALUES (
            p_order_no, s.status, s.channel, s.kind, s.title, s.content, s.category_code,
            s.district_code, s.handling_unit_code, s.enterprise_name, s.credit_code,
            p_contact_name, p_contact_phone, s.received_at, s.assigned_at, s.due_at,
            s.accepted_at, s.replied_at, s.closed_at, s.visited_at, s.satisfaction, s.resolved,
            s.reply, s.returned_reason, reason, now());
    END IF;
    IF reason IS NOT NULL THEN
        RETURN 0;  -- kept, not scored, until the office resolves it
    END IF;
    IF was_held OR NOT existed THEN
        FOREACH e IN ARRAY events LOOP
            told := told + hotline.tell(s, p_order_no, e.type, e.occurred_at, p_limits, domain);
        END LOOP;
    ELSIF p_event_type IS NOT NULL THEN
        told := hotline.tell(s, p_order_no, p_event_type, p_occurred_at, p_limits, domain);
    END IF;
    RETURN told;
END
$$;
-- statement

-- One delivery, whole: the raw delivery (kept whatever happens next), the event once per
-- (order_no, type, occurred_at), the derived work order and the outbox rows, in the caller's
-- transaction (a bare `SELECT` is its own).
CREATE FUNCTION hotline.receive(
    p_webhook_id text, p_source text, p_headers jsonb, p_body text, p_event_type text,
    p_outcome text, p_errors jsonb, p_order_no text, p_occurred_at timestamptz, p_data jsonb,
    p_contact_name bytea, p_contact_phone bytea, p_limits jsonb,
    OUT outcome text, OUT told int)
LANGUAGE plpgsql AS $$
DECLARE
    v_delivery bigint;
    v_event bigint;
BEGIN
    told := 0;
    INSERT INTO hotline.deliveries (webhook_id, source, headers, body, verified, event_type,
                                    outcome, errors)
    VALUES (p_webhook_id, p_source, p_headers, p_body, true, p_event_type, p_outcome, p_errors)
    ON CONFLICT (webhook_id) DO NOTHING
    RETURNING id INTO v_delivery;
    IF v_delivery IS NULL THEN
        outcome := 'duplicate_delivery';
        RETURN;
    END IF;
    IF p_outcome <> 'applied' THEN
        outcome := p_outcome;
        RETURN;
    END IF;
    INSERT INTO hotline.work_order_events (order_no, type, occurred_at, delivery_id, data)
    VALUES (p_order_no, p_event_type, p_occurred_at, v_delivery, p_data)
    ON CONFLICT (order_no, type, occurred_at) DO NOTHING
    RETURNING id INTO v_event;
    IF v_event IS NULL THEN
        UPDATE hotline.deliveries SET outcome = 'duplicate_event' WHERE id = v_delivery;
        outcome := 'duplicate_event';
        RETURN;
    END IF;
    told := hotline.refresh_work_order(p_order_no, p_contact_name, p_contact_phone, p_limits,
                                       p_event_type, p_occurred_at);
    outcome := 'applied';
END
$$;
-- statement

-- Several deliveries in one transaction (the webhook groups the requests that arrive while the
-- previous group is being committed): one commit and one round trip for all of them. Callers
-- sort them by order number, so concurrent groups take per-order locks in the same order.
CREATE FUNCTION hotline.receive_batch(
    p_webhook_ids text[], p_sources text[], p_headers text[], p_bodies text[],
    p_event_types text[], p_outcomes text[], p_errors text[], p_order_nos text[],
    p_occurred_ats timestamptz[], p_datas text[], p_contact_names bytea[],
    p_contact_phones bytea[], p_limits jsonb)
RETURNS TABLE (outcome text, told int)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_webhook_ids, 1), 0) LOOP
        r := hotline.receive(
            p_webhook_ids[i], p_sources[i], p_headers[i]::jsonb, p_bodies[i], p_event_types[i],
            p_outcomes[i], p_errors[i]::jsonb, p_order_nos[i], p_occurred_ats[i],
            p_datas[i]::jsonb, p_contact_names[i], p_contact_phones[i], p_limits);
        outcome := r.outcome;
        told := r.told;
        RETURN NEXT;
    END LOOP;
END
$$;
-- statement
"""

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
    for statement in FUNCTIONS.split("-- statement"):
        if statement.strip():
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
