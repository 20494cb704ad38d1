CREATE OR REPLACE FUNCTION hotline.event_step(event_type text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE event_type
        WHEN 'work_order.created' THEN 0
        WHEN 'work_order.assigned' THEN 1
        WHEN 'work_order.categorized' THEN 1
        WHEN 'work_order.returned' THEN 2
        WHEN 'work_order.accepted' THEN 3
        WHEN 'work_order.extended' THEN 4
        WHEN 'work_order.replied' THEN 5
        WHEN 'work_order.closed' THEN 6
        WHEN 'work_order.visited' THEN 7
        ELSE 99 END
$$;
