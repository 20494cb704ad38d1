-- Several deliveries in one transaction (the webhook's group commit, the import's chunks): the
-- raw deliveries (kept whatever happens next), each event once per (order_no, type,
-- occurred_at), then every touched order settled once — four statements for the whole group
-- instead of a dozen per delivery. One row per delivery, in the given order; the outbox rows
-- the group wrote are counted on its last row.
-- 0031h: each delivery says which platform sent it (NULL: our own contract) and which version of
-- that platform's field mapping translated it; a delivery kept as `rejected_mapping` is taken
-- again when the platform retries it under the same webhook id (the office fixed the mapping).
CREATE OR REPLACE FUNCTION hotline.receive_batch(
    p_webhook_ids text[], p_sources text[], p_headers text[], p_bodies bytea[],
    p_event_types text[], p_outcomes text[], p_errors text[], p_order_nos text[],
    p_occurred_ats timestamptz[], p_datas text[], p_contact_names bytea[],
    p_contact_phones bytea[], p_platforms text[], p_mapping_versions int[], p_limits jsonb)
RETURNS TABLE (outcome text, told int)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan  -- as in hotline.settle
AS $$
DECLARE
    v_outcomes text[];
    v_orders text[];
    v_new_events bigint[];
    v_names bytea[];
    v_phones bytea[];
    v_duplicate_events bigint[];
    v_told int := 0;
BEGIN
    -- Writers of one order are serialised, taking the locks in one order (no deadlock) and
    -- before the statements below take their snapshots (they see every earlier event).
    PERFORM pg_advisory_xact_lock(hashtextextended('hotline.work_order:' || l.order_no, 0))
    FROM (SELECT DISTINCT o AS order_no FROM unnest(p_order_nos) AS o
          WHERE o IS NOT NULL ORDER BY 1) AS l;
    WITH input AS (
        SELECT *
        FROM unnest(p_webhook_ids, p_sources, p_headers, p_bodies, p_event_types, p_outcomes,
                    p_errors, p_order_nos, p_occurred_ats, p_datas, p_contact_names,
                    p_contact_phones, p_platforms, p_mapping_versions)
             WITH ORDINALITY AS i(webhook_id, source, headers, body, event_type, outcome,
                                  errors, order_no, occurred_at, data, contact_name,
                                  contact_phone, platform, mapping_version, ord)
    ),
    delivered AS (
        INSERT INTO hotline.deliveries AS d (webhook_id, source, headers, body_enc, verified,
                                             event_type, outcome, errors, platform,
                                             mapping_version)
        SELECT DISTINCT ON (i.webhook_id)  -- a retry in the same group is its duplicate
               i.webhook_id, i.source, i.headers::jsonb, i.body, true, i.event_type, i.outcome,
               i.errors::jsonb, i.platform, i.mapping_version
        FROM input AS i
        ORDER BY i.webhook_id, i.ord
        ON CONFLICT (webhook_id) DO UPDATE
            SET headers = excluded.headers, body_enc = excluded.body_enc,
                event_type = excluded.event_type, outcome = excluded.outcome,
                errors = excluded.errors, platform = excluded.platform,
                mapping_version = excluded.mapping_version
            WHERE d.outcome = 'rejected_mapping'
        RETURNING d.id, d.webhook_id
    ),
    kept AS (  -- a new delivery's input row (the first one, if the group holds it twice)
        SELECT DISTINCT ON (i.webhook_id) i.ord, dv.id AS delivery_id
        FROM input AS i
        JOIN delivered AS dv ON dv.webhook_id = i.webhook_id
        ORDER BY i.webhook_id, i.ord
    ),
    recorded AS (
        INSERT INTO hotline.work_order_events AS e (order_no, type, occurred_at, delivery_id,
                                                    data)
        SELECT i.order_no, i.event_type, i.occurred_at, k.delivery_id, i.data::jsonb
        FROM input AS i
        JOIN kept AS k ON k.ord = i.ord
        WHERE i.outcome = 'applied'
        ON CONFLICT ON CONSTRAINT uq_work_order_events_order_no_type_occurred_at DO NOTHING
        RETURNING e.id, e.delivery_id
    ),
    judged AS (
        SELECT i.ord, i.order_no, i.contact_name, i.contact_phone, r.id AS event_id,
               k.delivery_id,
               CASE WHEN k.delivery_id IS NULL THEN 'duplicate_delivery'
                    WHEN i.outcome <> 'applied' THEN i.outcome
                    WHEN r.id IS NULL THEN 'duplicate_event'
                    ELSE 'applied' END AS outcome
        FROM input AS i
        LEFT JOIN kept AS k ON k.ord = i.ord
        LEFT JOIN recorded AS r ON r.delivery_id = k.delivery_id
    ),
    per_order AS (  -- the last personal data of each order's new events (only `created` has it)
        SELECT j.order_no,
               (array_agg(j.contact_name ORDER BY j.ord DESC)
                   FILTER (WHERE j.contact_name IS NOT NULL))[1] AS contact_name,
               (array_agg(j.contact_phone ORDER BY j.ord DESC)
                   FILTER (WHERE j.contact_phone IS NOT NULL))[1] AS contact_phone
        FROM judged AS j
        WHERE j.event_id IS NOT NULL
        GROUP BY j.order_no
    )
    SELECT (SELECT array_agg(j.outcome ORDER BY j.ord) FROM judged AS j),
           (SELECT array_agg(j.event_id) FROM judged AS j WHERE j.event_id IS NOT NULL),
           (SELECT array_agg(j.delivery_id) FROM judged AS j
            WHERE j.outcome = 'duplicate_event'),
           array_agg(p.order_no), array_agg(p.contact_name), array_agg(p.contact_phone)
    INTO v_outcomes, v_new_events, v_duplicate_events, v_orders, v_names, v_phones
    FROM per_order AS p;
    IF v_duplicate_events IS NOT NULL THEN
        UPDATE hotline.deliveries SET outcome = 'duplicate_event'
        WHERE id = ANY (v_duplicate_events);
    END IF;
    IF v_orders IS NOT NULL THEN
        v_told := hotline.settle(v_orders, v_new_events, v_names, v_phones, p_limits);
    END IF;
    RETURN QUERY
    SELECT o.outcome, CASE WHEN o.ord = cardinality(v_outcomes) THEN v_told ELSE 0 END
    FROM unnest(v_outcomes) WITH ORDINALITY AS o(outcome, ord);
END
$$;
