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
    before_return text;  -- the step a return interrupted (a rejected return goes back to it)
BEGIN
    s.status := 'created';
    s.has_created := false;
    s.satisfaction_overturned := false;
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
            s.returned_at := NULL;  -- a return approved by re-dispatch: the new unit's clock
            s.status := 'assigned';
        WHEN 'work_order.categorized' THEN
            -- The platform's (or the office's) classification of an order that came without one.
            s.category_code := e.data->>'category_code';
        WHEN 'work_order.returned' THEN
            IF s.status <> 'returned' THEN
                before_return := s.status;
            END IF;
            s.returned_reason := e.data->>'reason';
            s.returned_at := e.occurred_at;
            s.status := 'returned';
        WHEN 'work_order.return_rejected' THEN
            -- The office sent the return back to the unit: it carries on where it was, on the
            -- clock it had (assigned_at and accepted_at are untouched: the clock never stopped).
            IF s.status = 'returned' THEN
                s.status := coalesce(before_return, 'created');
                s.returned_at := NULL;
            END IF;
        WHEN 'work_order.first_contacted' THEN
            -- 先行联系: the first contact with the caller (the earliest, whatever came first).
            s.first_contacted_at := least(s.first_contacted_at,
                                          (e.data->>'contacted_at')::timestamptz);
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
            s.satisfaction_overturned := false;  -- a new visit is judged afresh
            s.status := 'visited';
        WHEN 'work_order.visit_overturned' THEN
            -- The office upheld the unit's appeal (申诉): the dissatisfied rating leaves the
            -- satisfaction rate. Only a dissatisfied visit can be overturned.
            IF s.satisfaction = 'dissatisfied' THEN
                s.satisfaction_overturned := true;
            END IF;
        ELSE
            NULL;
        END CASE;
    END LOOP;
    RETURN s;
END
$$;
