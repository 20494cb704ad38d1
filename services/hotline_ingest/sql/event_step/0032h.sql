CREATE OR REPLACE FUNCTION hotline.event_step(event_type text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE event_type
        WHEN 'work_order.created' THEN 0
        WHEN 'work_order.assigned' THEN 1
        WHEN 'work_order.categorized' THEN 1
        WHEN 'work_order.returned' THEN 2
        -- The office's rejection of a return comes after the return it decides.
        WHEN 'work_order.return_rejected' THEN 3
        WHEN 'work_order.first_contacted' THEN 4
        WHEN 'work_order.accepted' THEN 5
        WHEN 'work_order.extended' THEN 6
        WHEN 'work_order.replied' THEN 7
        WHEN 'work_order.closed' THEN 8
        WHEN 'work_order.visited' THEN 9
        -- The office's overturning of a dissatisfied rating comes after the visit it judges.
        WHEN 'work_order.visit_overturned' THEN 10
        ELSE 99 END
$$;
