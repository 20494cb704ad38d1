"""hotline: a group of deliveries stored set-wise, outbox ids per event, raw bodies sealed

Three changes to the webhook's SQL (migration 0008h):

1. `hotline.receive_batch` stores a group in three statements (deliveries and events; the
   duplicate-event marks; `hotline.settle`, which derives, stores and tells every touched order
   once) instead of a dozen statements per delivery (docs/PERFORMANCE.md "hotline_ingest").
   `hotline.receive` is the group of one; `hotline.refresh_work_order` settles one order.
2. The outbox id of a told event is derived from (order, event, moment), so telling it again — an
   order that was told, then quarantined by a reassignment to an unknown unit, then released —
   is a no-op for the outbox and for evaluation (facts are keyed by event id). Before, the
   release told every event a second time.
3. The raw body of a delivery carries the contact's name and phone: it is kept encrypted
   (`body_enc`, Fernet with `PII_ENCRYPTION_KEY`, like the work order's contact) instead of as
   plain text. Existing rows are encrypted in place.

Revision ID: 0010h
Revises: 0009r
Create Date: 2026-12-01 18:00:00+00:00
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from migrations.history import function_statements
from shared.crypto import decrypt, encrypt
from shared.settings import get_settings

revision: str = "0010h"
down_revision: str | None = "0009r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROP_0008H = """
DROP FUNCTION hotline.receive_batch(text[], text[], text[], text[], text[], text[], text[],
    text[], timestamptz[], text[], bytea[], bytea[], jsonb);
-- statement
DROP FUNCTION hotline.receive(text, text, jsonb, text, text, text, jsonb, text, timestamptz,
    jsonb, bytea, bytea, jsonb);
-- statement
DROP FUNCTION hotline.refresh_work_order(text, bytea, bytea, jsonb, text, timestamptz);
-- statement
DROP FUNCTION hotline.tell(hotline.work_order_state, text, text, timestamptz, jsonb, text);
"""

DROP_0010H = """
DROP FUNCTION hotline.refresh_work_order(text, bytea, bytea, jsonb, text, timestamptz);
-- statement
DROP FUNCTION hotline.receive(text, text, jsonb, bytea, text, text, jsonb, text, timestamptz,
    jsonb, bytea, bytea, jsonb);
-- statement
DROP FUNCTION hotline.receive_batch(text[], text[], text[], bytea[], text[], text[], text[],
    text[], timestamptz[], text[], bytea[], bytea[], jsonb);
-- statement
DROP FUNCTION hotline.settle(text[], bigint[], bytea[], bytea[], jsonb);
"""

FUNCTIONS = r"""
-- Derive the given work orders from all their stored events (the caller holds their locks),
-- store each with its quarantine reason and tell evaluation what is new: the events in
-- `p_new_events`, or every event of an order that has just become known (new, or out of
-- quarantine). One statement for all of them; returns the outbox rows written.
CREATE FUNCTION hotline.settle(p_order_nos text[], p_new_events bigint[],
                               p_contact_names bytea[], p_contact_phones bytea[],
                               p_limits jsonb)
RETURNS int
LANGUAGE plpgsql
-- Planned once per connection (re-planning these statements for every group cost more than
-- running them), and a few orders out of a large table: the plan made while the tables were
-- small must still look them up by index.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
    v_told int;
BEGIN
    WITH events AS (
        SELECT e.*, e.id = ANY (p_new_events) AS is_new
        FROM unnest(p_order_nos) AS t(order_no)
        JOIN hotline.work_order_events AS e ON e.order_no = t.order_no
    ),
    derived AS MATERIALIZED (
        SELECT ev.order_no,
               hotline.derive(array_agg(
                   ROW(ev.id, ev.order_no, ev.type, ev.occurred_at, ev.delivery_id,
                       ev.data)::hotline.work_order_events
                   ORDER BY ev.occurred_at, hotline.event_step(ev.type), ev.delivery_id)) AS s
        FROM events AS ev
        GROUP BY ev.order_no
    ),
    judged AS MATERIALIZED (  -- the office's code tables, and the order as stored before
        SELECT d.order_no, d.s, x.unit_code, c.domain_code, w.order_no IS NOT NULL AS existed,
               w.quarantine_reason IS NOT NULL AS was_held,
               nullif(concat_ws('；',
                   CASE WHEN NOT (d.s).has_created THEN '尚未收到工单受理事件（created）' END,
                   CASE WHEN x.unit_code IS NULL THEN
                            CASE WHEN (d.s).has_created THEN '待派单（尚无承办单位）' END
                        WHEN u.code IS NULL THEN format('未知承办单位“%s”', x.unit_code) END,
                   CASE WHEN (d.s).category_code IS NOT NULL AND c.code IS NULL
                        THEN format('未知分类“%s”', (d.s).category_code) END), '') AS reason
        FROM derived AS d
        CROSS JOIN LATERAL (
            SELECT coalesce((SELECT m.unit_code FROM hotline.unit_code_mappings AS m
                             WHERE m.external_code = (d.s).handling_unit_code),
                            (d.s).handling_unit_code) AS unit_code) AS x
        LEFT JOIN platform.units AS u ON u.code = x.unit_code
        LEFT JOIN hotline.categories AS c ON c.code = (d.s).category_code
        LEFT JOIN hotline.work_orders AS w ON w.order_no = d.order_no
    ),
    stored AS (
        INSERT INTO hotline.work_orders AS w (
            order_no, status, channel, kind, title, content, category_code, district_code,
            handling_unit_code, enterprise_name, credit_code, contact_name_enc,
            contact_phone_enc, received_at, assigned_at, due_at, accepted_at, replied_at,
            closed_at, visited_at, satisfaction, resolved, reply, returned_reason,
            quarantine_reason, updated_at)
        SELECT j.order_no, (j.s).status, (j.s).channel, (j.s).kind, (j.s).title, (j.s).content,
               (j.s).category_code, (j.s).district_code, j.unit_code, (j.s).enterprise_name,
               (j.s).credit_code, t.contact_name, t.contact_phone, (j.s).received_at,
               (j.s).assigned_at, (j.s).due_at, (j.s).accepted_at, (j.s).replied_at,
               (j.s).closed_at, (j.s).visited_at, (j.s).satisfaction, (j.s).resolved,
               (j.s).reply, (j.s).returned_reason, j.reason, now()
        FROM judged AS j
        LEFT JOIN unnest(p_order_nos, p_contact_names, p_contact_phones)
                  AS t(order_no, contact_name, contact_phone) ON t.order_no = j.order_no
        ON CONFLICT (order_no) DO UPDATE SET
            status = excluded.status, channel = excluded.channel, kind = excluded.kind,
            title = excluded.title, content = excluded.content,
            category_code = excluded.category_code, district_code = excluded.district_code,
            handling_unit_code = excluded.handling_unit_code,
            enterprise_name = excluded.enterprise_name, credit_code = excluded.credit_code,
            contact_name_enc = coalesce(excluded.contact_name_enc, w.contact_name_enc),
            contact_phone_enc = coalesce(excluded.contact_phone_enc, w.contact_phone_enc),
            received_at = excluded.received_at, assigned_at = excluded.assigned_at,
            due_at = excluded.due_at, accepted_at = excluded.accepted_at,
            replied_at = excluded.replied_at, closed_at = excluded.closed_at,
            visited_at = excluded.visited_at, satisfaction = excluded.satisfaction,
            resolved = excluded.resolved, reply = excluded.reply,
            returned_reason = excluded.returned_reason,
            quarantine_reason = excluded.quarantine_reason, updated_at = excluded.updated_at
    ),
    told AS (
        INSERT INTO platform.outbox (id, type, occurred_at, unit_code, data, producer, consumer)
        -- One id per (order, event, moment): telling an event again (an order back out of
        -- quarantine) is a no-op here and for evaluation, which keys its facts by event id.
        SELECT md5(concat_ws(':', 'hotline', ev.order_no, ev.type,
                             extract(epoch FROM ev.occurred_at)))::uuid,
               CASE ev.type WHEN 'work_order.accepted' THEN 'work_order.responded'
                            ELSE ev.type END,
               ev.occurred_at, j.unit_code,
               jsonb_build_object('order_no', j.order_no, 'kind', (j.s).kind,
                                  'district_code', (j.s).district_code)
               || CASE ev.type
                  WHEN 'work_order.created' THEN
                      jsonb_build_object('category_code', (j.s).category_code,
                                         'domain_code', j.domain_code)
                  WHEN 'work_order.accepted' THEN
                      jsonb_build_object('within_limit', ev.occurred_at
                          <= hotline.working_deadline(
                              coalesce((j.s).assigned_at, (j.s).received_at),
                              coalesce((p_limits->>(j.s).kind)::int, 1)))
                  WHEN 'work_order.visited' THEN
                      jsonb_build_object('resolved', (j.s).resolved,
                                         'satisfaction', (j.s).satisfaction)
                  ELSE '{}'::jsonb END,
               'hotline_ingest', 'evaluation'
        FROM events AS ev
        JOIN judged AS j ON j.order_no = ev.order_no
        WHERE j.reason IS NULL
          AND (ev.is_new OR NOT j.existed OR j.was_held)
          AND ev.type IN ('work_order.created', 'work_order.accepted', 'work_order.closed',
                          'work_order.visited')
        ON CONFLICT (id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_told FROM told;
    RETURN v_told;
END
$$;
-- statement

-- Several deliveries in one transaction (the webhook's group commit, the import's chunks): the
-- raw deliveries (kept whatever happens next), each event once per (order_no, type,
-- occurred_at), then every touched order settled once — four statements for the whole group
-- instead of a dozen per delivery. One row per delivery, in the given order; the outbox rows
-- the group wrote are counted on its last row.
CREATE FUNCTION hotline.receive_batch(
    p_webhook_ids text[], p_sources text[], p_headers text[], p_bodies bytea[],
    p_event_types text[], p_outcomes text[], p_errors text[], p_order_nos text[],
    p_occurred_ats timestamptz[], p_datas text[], p_contact_names bytea[],
    p_contact_phones bytea[], p_limits jsonb)
RETURNS TABLE (outcome text, told int)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan  -- as in hotline.settle
AS $$
DECLARE
    v_outcomes text[];
    v_orders text[];
    v_new_events bigint[];
    v_names bytea[];
    v_phones bytea[];
    v_duplicate_events bigint[];
    v_told int := 0;
BEGIN
    -- Writers of one order are serialised, taking the locks in one order (no deadlock) and
    -- before the statements below take their snapshots (they see every earlier event).
    PERFORM pg_advisory_xact_lock(hashtextextended('hotline.work_order:' || l.order_no, 0))
    FROM (SELECT DISTINCT o AS order_no FROM unnest(p_order_nos) AS o
          WHERE o IS NOT NULL ORDER BY 1) AS l;
    WITH input AS (
        SELECT *
        FROM unnest(p_webhook_ids, p_sources, p_headers, p_bodies, p_event_types, p_outcomes,
                    p_errors, p_order_nos, p_occurred_ats, p_datas, p_contact_names,
                    p_contact_phones)
             WITH ORDINALITY AS i(webhook_id, source, headers, body, event_type, outcome,
                                  errors, order_no, occurred_at, data, contact_name,
                                  contact_phone, ord)
    ),
    delivered AS (
        INSERT INTO hotline.deliveries AS d (webhook_id, source, headers, body_enc, verified,
                                             event_type, outcome, errors)
        SELECT i.webhook_id, i.source, i.headers::jsonb, i.body, true, i.event_type, i.outcome,
               i.errors::jsonb
        FROM input AS i
        ON CONFLICT (webhook_id) DO NOTHING
        RETURNING d.id, d.webhook_id
    ),
    kept AS (  -- a new delivery's input row (the first one, if the group holds it twice)
        SELECT DISTINCT ON (i.webhook_id) i.ord, dv.id AS delivery_id
        FROM input AS i
        JOIN delivered AS dv ON dv.webhook_id = i.webhook_id
        ORDER BY i.webhook_id, i.ord
    ),
    recorded AS (
        INSERT INTO hotline.work_order_events AS e (order_no, type, occurred_at, delivery_id,
                                                    data)
        SELECT i.order_no, i.event_type, i.occurred_at, k.delivery_id, i.data::jsonb
        FROM input AS i
        JOIN kept AS k ON k.ord = i.ord
        WHERE i.outcome = 'applied'
        ON CONFLICT ON CONSTRAINT uq_work_order_events_order_no_type_occurred_at DO NOTHING
        RETURNING e.id, e.delivery_id
    ),
    judged AS (
        SELECT i.ord, i.order_no, i.contact_name, i.contact_phone, r.id AS event_id,
               k.delivery_id,
               CASE WHEN k.delivery_id IS NULL THEN 'duplicate_delivery'
                    WHEN i.outcome <> 'applied' THEN i.outcome
                    WHEN r.id IS NULL THEN 'duplicate_event'
                    ELSE 'applied' END AS outcome
        FROM input AS i
        LEFT JOIN kept AS k ON k.ord = i.ord
        LEFT JOIN recorded AS r ON r.delivery_id = k.delivery_id
    ),
    per_order AS (  -- the last personal data of each order's new events (only `created` has it)
        SELECT j.order_no,
               (array_agg(j.contact_name ORDER BY j.ord DESC)
                   FILTER (WHERE j.contact_name IS NOT NULL))[1] AS contact_name,
               (array_agg(j.contact_phone ORDER BY j.ord DESC)
                   FILTER (WHERE j.contact_phone IS NOT NULL))[1] AS contact_phone
        FROM judged AS j
        WHERE j.event_id IS NOT NULL
        GROUP BY j.order_no
    )
    SELECT (SELECT array_agg(j.outcome ORDER BY j.ord) FROM judged AS j),
           (SELECT array_agg(j.event_id) FROM judged AS j WHERE j.event_id IS NOT NULL),
           (SELECT array_agg(j.delivery_id) FROM judged AS j
            WHERE j.outcome = 'duplicate_event'),
           array_agg(p.order_no), array_agg(p.contact_name), array_agg(p.contact_phone)
    INTO v_outcomes, v_new_events, v_duplicate_events, v_orders, v_names, v_phones
    FROM per_order AS p;
    IF v_duplicate_events IS NOT NULL THEN
        UPDATE hotline.deliveries SET outcome = 'duplicate_event'
        WHERE id = ANY (v_duplicate_events);
    END IF;
    IF v_orders IS NOT NULL THEN
        v_told := hotline.settle(v_orders, v_new_events, v_names, v_phones, p_limits);
    END IF;
    RETURN QUERY
    SELECT o.outcome, CASE WHEN o.ord = cardinality(v_outcomes) THEN v_told ELSE 0 END
    FROM unnest(v_outcomes) WITH ORDINALITY AS o(outcome, ord);
END
$$;
-- statement

-- One delivery: the group of one.
CREATE FUNCTION hotline.receive(
    p_webhook_id text, p_source text, p_headers jsonb, p_body bytea, p_event_type text,
    p_outcome text, p_errors jsonb, p_order_no text, p_occurred_at timestamptz, p_data jsonb,
    p_contact_name bytea, p_contact_phone bytea, p_limits jsonb,
    OUT outcome text, OUT told int)
LANGUAGE sql AS $$
    SELECT b.outcome, b.told
    FROM hotline.receive_batch(
        ARRAY[p_webhook_id], ARRAY[p_source], ARRAY[p_headers::text], ARRAY[p_body],
        ARRAY[p_event_type], ARRAY[p_outcome], ARRAY[p_errors::text], ARRAY[p_order_no],
        ARRAY[p_occurred_at], ARRAY[p_data::text], ARRAY[p_contact_name],
        ARRAY[p_contact_phone], p_limits) AS b
$$;
-- statement

-- Derive one order again (after the office mapped a code): no new event, so only an order
-- that leaves quarantine tells evaluation (all its events). The event arguments are unused.
CREATE FUNCTION hotline.refresh_work_order(p_order_no text, p_contact_name bytea,
                                           p_contact_phone bytea, p_limits jsonb,
                                           p_event_type text, p_occurred_at timestamptz)
RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('hotline.work_order:' || p_order_no, 0));
    RETURN hotline.settle(ARRAY[p_order_no], '{}', ARRAY[p_contact_name],
                          ARRAY[p_contact_phone], p_limits);
END
$$;
"""

CHUNK = 1000


def _run(statements: str) -> None:
    for statement in statements.split("-- statement"):
        if statement.strip():
            op.execute(statement)


def _reseal(source: str, target: str, convert: Callable[[Any], Any]) -> None:
    """Copy `source` into `target` through `convert`, a chunk of rows at a time."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                f"SELECT id, {source} FROM hotline.deliveries WHERE id > :last"  # noqa: S608
                " ORDER BY id LIMIT :chunk"
            ),
            {"last": last, "chunk": CHUNK},
        ).all()
        if not rows:
            return
        bind.execute(
            sa.text(f"UPDATE hotline.deliveries SET {target} = :value WHERE id = :id"),  # noqa: S608
            [{"id": row[0], "value": convert(row[1])} for row in rows],
        )
        last = rows[-1][0]


def upgrade() -> None:
    key = get_settings().pii_encryption_key
    op.add_column("deliveries", sa.Column("body_enc", sa.LargeBinary()), schema="hotline")
    _reseal("body", "body_enc", lambda body: encrypt(key, body))
    op.alter_column("deliveries", "body_enc", nullable=False, schema="hotline")
    op.drop_column("deliveries", "body", schema="hotline")
    _run(DROP_0008H)
    _run(FUNCTIONS)


def downgrade() -> None:
    key = get_settings().pii_encryption_key
    _run(DROP_0010H)
    wanted = (
        "hotline.tell(",
        "hotline.refresh_work_order(",
        "hotline.receive(",
        "hotline.receive_batch(",
    )
    for statement in function_statements("0008h"):
        if any(f"CREATE FUNCTION {name}" in statement for name in wanted):
            op.execute(statement)
    op.add_column("deliveries", sa.Column("body", sa.Text()), schema="hotline")
    _reseal("body_enc", "body", lambda token: decrypt(key, token) or "")
    op.alter_column("deliveries", "body", nullable=False, schema="hotline")
    op.drop_column("deliveries", "body_enc", schema="hotline")
