-- Derive the given work orders from all their stored events (the caller holds their locks),
-- store each with its quarantine reason and tell evaluation what is new: the events in
-- `p_new_events`, or every event of an order that has just become known (new, or out of
-- quarantine), with the facts the rates need (shared/hotline_rates.py). One statement for all
-- of them; returns the outbox rows written.
CREATE OR REPLACE FUNCTION hotline.settle(p_order_nos text[], p_new_events bigint[],
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
               ((d.s).received_at AT TIME ZONE 'Asia/Shanghai')::date AS received_on,
               -- The handling unit's signing clock starts at receipt or the last reassignment.
               coalesce((d.s).assigned_at, (d.s).received_at) AS clock,
               -- Due as the platform sent it, else the closing limit (办结) of its kind.
               coalesce((d.s).due_at, hotline.working_deadline(
                   coalesce((d.s).assigned_at, (d.s).received_at),
                   coalesce((p_limits->'closing'->>(d.s).kind)::int, 1))) AS due_at,
               -- What the sweep has already told (counted once: shared.hotline_rates).
               coalesce(w.response_expired_for
                        = coalesce((d.s).assigned_at, (d.s).received_at), false)
                   AS expiry_told,
               w.overdue_reported_at IS NOT NULL AS overdue_told,
               nullif(concat_ws('；',
                   CASE WHEN NOT (d.s).has_created THEN '尚未收到工单受理事件（created）' END,
                   CASE WHEN x.unit_code IS NULL THEN
                            CASE WHEN (d.s).has_created THEN '待派单（尚无承办单位）' END
                        WHEN u.code IS NULL THEN format('未知承办单位“%s”', x.unit_code) END,
                   CASE WHEN (d.s).category_code IS NOT NULL AND c.code IS NULL
                        THEN format('未知分类“%s”', (d.s).category_code)
                        WHEN (d.s).has_created AND (d.s).category_code IS NULL
                        THEN '待分类（尚无诉求分类）' END), '') AS reason
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
            order_no, status, channel, kind, urgency, title, content, category_code,
            district_code,
            handling_unit_code, enterprise_name, credit_code, contact_name_enc,
            contact_phone_enc, received_at, assigned_at, due_at, accepted_at, replied_at,
            closed_at, visited_at, satisfaction, resolved, reply, returned_reason,
            quarantine_reason, updated_at, first_contacted_at, returned_at,
            satisfaction_overturned)
        SELECT j.order_no, (j.s).status, (j.s).channel, (j.s).kind,
               coalesce((j.s).urgency, 'normal'), (j.s).title, (j.s).content,
               (j.s).category_code, (j.s).district_code, j.unit_code, (j.s).enterprise_name,
               (j.s).credit_code, t.contact_name, t.contact_phone, (j.s).received_at,
               (j.s).assigned_at, j.due_at, (j.s).accepted_at, (j.s).replied_at,
               (j.s).closed_at, (j.s).visited_at, (j.s).satisfaction, (j.s).resolved,
               (j.s).reply, (j.s).returned_reason, j.reason, now(),
               (j.s).first_contacted_at, (j.s).returned_at,
               coalesce((j.s).satisfaction_overturned, false)
        FROM judged AS j
        LEFT JOIN unnest(p_order_nos, p_contact_names, p_contact_phones)
                  AS t(order_no, contact_name, contact_phone) ON t.order_no = j.order_no
        ON CONFLICT (order_no) DO UPDATE SET
            status = excluded.status, channel = excluded.channel, kind = excluded.kind,
            urgency = excluded.urgency,
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
            quarantine_reason = excluded.quarantine_reason, updated_at = excluded.updated_at,
            first_contacted_at = excluded.first_contacted_at,
            returned_at = excluded.returned_at,
            satisfaction_overturned = excluded.satisfaction_overturned
    ),
    told AS (
        INSERT INTO platform.outbox (id, type, occurred_at, unit_code, data, producer, consumer)
        -- One id per (order, event, moment): telling an event again (an order back out of
        -- quarantine) is a no-op here and for evaluation, which keys its facts by event id.
        -- The first contact (先行联系) is one per order: a later contact is not told again.
        SELECT md5(concat_ws(':', 'hotline', ev.order_no, ev.type,
                             CASE WHEN ev.type <> 'work_order.first_contacted'
                                  THEN extract(epoch FROM ev.occurred_at) END))::uuid,
               CASE ev.type WHEN 'work_order.accepted' THEN 'work_order.responded'
                            ELSE ev.type END,
               ev.occurred_at, j.unit_code,
               jsonb_build_object('order_no', j.order_no, 'kind', (j.s).kind,
                                  'district_code', (j.s).district_code,
                                  'received_on', j.received_on)
               || CASE ev.type
                  WHEN 'work_order.created' THEN
                      jsonb_build_object('category_code', (j.s).category_code,
                                         'domain_code', j.domain_code)
                  WHEN 'work_order.accepted' THEN
                      jsonb_build_object('within_limit', ev.occurred_at
                          <= hotline.signing_deadline(j.clock, (j.s).kind, (j.s).urgency,
                                                      p_limits),
                          'after_expiry', j.expiry_told)
                  WHEN 'work_order.closed' THEN
                      jsonb_build_object('on_time', ev.occurred_at <= j.due_at,
                                         'after_overdue', j.overdue_told)
                  WHEN 'work_order.visited' THEN
                      jsonb_build_object('resolved', (j.s).resolved,
                                         'satisfaction', (j.s).satisfaction)
                  -- 先行联系 within the limit: the signing limit (office default), counted
                  -- from receipt — the caller's clock, whichever unit handles the order.
                  WHEN 'work_order.first_contacted' THEN
                      jsonb_build_object('within_limit', (j.s).first_contacted_at
                          <= hotline.signing_deadline((j.s).received_at, (j.s).kind,
                                                      (j.s).urgency, p_limits))
                  WHEN 'work_order.visit_overturned' THEN
                      jsonb_build_object('reason', ev.data->>'reason',
                                         'appeal_id', (ev.data->>'appeal_id')::bigint)
                  ELSE '{}'::jsonb END,
               'hotline_ingest', 'evaluation'
        FROM events AS ev
        JOIN judged AS j ON j.order_no = ev.order_no
        WHERE j.reason IS NULL
          AND (ev.is_new OR NOT j.existed OR j.was_held)
          AND (ev.type IN ('work_order.created', 'work_order.accepted', 'work_order.closed',
                           'work_order.visited')
               -- the earliest contact only; an overturn only of the visit it judged
               OR (ev.type = 'work_order.first_contacted'
                   AND (ev.data->>'contacted_at')::timestamptz = (j.s).first_contacted_at)
               OR (ev.type = 'work_order.visit_overturned'
                   AND coalesce((j.s).satisfaction_overturned, false)))
        ON CONFLICT (id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_told FROM told;
    RETURN v_told;
END
$$;
