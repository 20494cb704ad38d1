-- The work order from all its events, sorted by (occurred_at, step, delivery id): a fold with
-- no other input, so any arrival order (and any duplicate) gives the same state.
CREATE OR REPLACE FUNCTION hotline.derive(events hotline.work_order_events[])
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
            s.urgency := coalesce(nullif(e.data->>'urgency', ''), 'normal');
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
        WHEN 'work_order.categorized' THEN
            -- The platform's (or the office's) classification of an order that came without one.
            s.category_code := e.data->>'category_code';
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
