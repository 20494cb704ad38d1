-- Derive one order again (after the office mapped a code): no new event, so only an order
-- that leaves quarantine tells evaluation (all its events). The event arguments are unused.
CREATE OR REPLACE FUNCTION hotline.refresh_work_order(p_order_no text, p_contact_name bytea,
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
