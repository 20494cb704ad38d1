-- One delivery, whole: the raw delivery (kept whatever happens next), the event once per
-- (order_no, type, occurred_at), the derived work order and the outbox rows, in the caller's
-- transaction (a bare `SELECT` is its own).
CREATE OR REPLACE FUNCTION hotline.receive(
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
