-- Derive one work order again (serialised per order), store it with its quarantine reason and
-- tell evaluation what is new: the given event, or every event in order when the order has
-- just become known (new, or out of quarantine). Returns the number of outbox rows written.
CREATE OR REPLACE FUNCTION hotline.refresh_work_order(p_order_no text, p_contact_name bytea,
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
