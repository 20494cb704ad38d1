-- A unit merged into another (机构改革, issue #21; called by reform_tasks' unit directory in the
-- merge's own transaction): the 12345 platform's codes follow it. Every mapping to the merged
-- unit now names the survivor, the merged unit's own code maps to the survivor (the platform
-- may keep sending it), and its open orders (neither closed nor visited) are derived again under
-- their locks with those mappings, so `hotline.settle` stays the only writer of a derived field.
-- Settling tells evaluation nothing: no event is new and every order was already known. Closed
-- orders keep the unit they were handled by. Returns the orders moved.
CREATE OR REPLACE FUNCTION hotline.follow_unit_merge(p_from text, p_to text, p_by text,
                                                     p_limits jsonb)
RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    v_orders text[];
BEGIN
    UPDATE hotline.unit_code_mappings
    SET unit_code = p_to, mapped_by = p_by, mapped_at = now()
    WHERE unit_code = p_from;
    INSERT INTO hotline.unit_code_mappings (external_code, unit_code, mapped_by)
    VALUES (p_from, p_to, p_by)
    ON CONFLICT (external_code) DO UPDATE
    SET unit_code = excluded.unit_code, mapped_by = excluded.mapped_by, mapped_at = now();
    -- The same lock order as `hotline.receive_batch` (by order number), then read again: an
    -- order closed meanwhile stays where it was.
    PERFORM pg_advisory_xact_lock(hashtextextended('hotline.work_order:' || w.order_no, 0))
    FROM (SELECT order_no FROM hotline.work_orders
          WHERE handling_unit_code = p_from AND status NOT IN ('closed', 'visited')
          ORDER BY order_no) AS w;
    SELECT array_agg(order_no ORDER BY order_no) INTO v_orders
    FROM hotline.work_orders
    WHERE handling_unit_code = p_from AND status NOT IN ('closed', 'visited');
    IF v_orders IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM hotline.settle(v_orders, '{}',
                           array_fill(NULL::bytea, ARRAY[cardinality(v_orders)]),
                           array_fill(NULL::bytea, ARRAY[cardinality(v_orders)]), p_limits);
    RETURN cardinality(v_orders);
END
$$;
