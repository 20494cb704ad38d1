-- One delivery: the group of one (0031h: with its platform and mapping version).
CREATE OR REPLACE FUNCTION hotline.receive(
    p_webhook_id text, p_source text, p_headers jsonb, p_body bytea, p_event_type text,
    p_outcome text, p_errors jsonb, p_order_no text, p_occurred_at timestamptz, p_data jsonb,
    p_contact_name bytea, p_contact_phone bytea, p_platform text, p_mapping_version int,
    p_limits jsonb,
    OUT outcome text, OUT told int)
LANGUAGE sql AS $$
    SELECT b.outcome, b.told
    FROM hotline.receive_batch(
        ARRAY[p_webhook_id], ARRAY[p_source], ARRAY[p_headers::text], ARRAY[p_body],
        ARRAY[p_event_type], ARRAY[p_outcome], ARRAY[p_errors::text], ARRAY[p_order_no],
        ARRAY[p_occurred_at], ARRAY[p_data::text], ARRAY[p_contact_name],
        ARRAY[p_contact_phone], ARRAY[p_platform], ARRAY[p_mapping_version], p_limits) AS b
$$;
