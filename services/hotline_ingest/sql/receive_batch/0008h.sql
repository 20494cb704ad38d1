-- Several deliveries in one transaction (the webhook groups the requests that arrive while the
-- previous group is being committed): one commit and one round trip for all of them. Callers
-- sort them by order number, so concurrent groups take per-order locks in the same order.
CREATE OR REPLACE FUNCTION hotline.receive_batch(
    p_webhook_ids text[], p_sources text[], p_headers text[], p_bodies text[],
    p_event_types text[], p_outcomes text[], p_errors text[], p_order_nos text[],
    p_occurred_ats timestamptz[], p_datas text[], p_contact_names bytea[],
    p_contact_phones bytea[], p_limits jsonb)
RETURNS TABLE (outcome text, told int)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_webhook_ids, 1), 0) LOOP
        r := hotline.receive(
            p_webhook_ids[i], p_sources[i], p_headers[i]::jsonb, p_bodies[i], p_event_types[i],
            p_outcomes[i], p_errors[i]::jsonb, p_order_nos[i], p_occurred_ats[i],
            p_datas[i]::jsonb, p_contact_names[i], p_contact_phones[i], p_limits);
        outcome := r.outcome;
        told := r.told;
        RETURN NEXT;
    END LOOP;
END
$$;
