-- Tell evaluation one event of a work order (rates inputs), through the outbox.
CREATE OR REPLACE FUNCTION hotline.tell(s hotline.work_order_state, order_no text, event_type text,
                             occurred_at timestamptz, limits jsonb, domain_code text)
RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    mapped text;
    extra jsonb;
BEGIN
    CASE event_type
    WHEN 'work_order.created' THEN
        mapped := 'work_order.created';
        extra := jsonb_build_object('category_code', s.category_code,
                                    'domain_code', domain_code);
    WHEN 'work_order.accepted' THEN
        mapped := 'work_order.responded';
        extra := jsonb_build_object(
            'within_limit',
            occurred_at <= hotline.working_deadline(
                coalesce(s.assigned_at, s.received_at),
                coalesce((limits->>s.kind)::int, 1)));
    WHEN 'work_order.visited' THEN
        mapped := 'work_order.visited';
        extra := jsonb_build_object('resolved', s.resolved, 'satisfaction', s.satisfaction);
    WHEN 'work_order.closed' THEN
        mapped := 'work_order.closed';
        extra := '{}'::jsonb;
    ELSE
        RETURN 0;
    END CASE;
    INSERT INTO platform.outbox (id, type, occurred_at, unit_code, data, producer, consumer)
    VALUES (
        gen_random_uuid(), mapped, tell.occurred_at, s.handling_unit_code,
        jsonb_build_object('order_no', order_no, 'kind', s.kind,
                           'district_code', s.district_code) || extra,
        'hotline_ingest', 'evaluation');
    RETURN 1;
END
$$;
