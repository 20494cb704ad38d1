-- Repeat requests (重复诉求, issue #26): link the orders of the given orders' callers and tell
-- evaluation what changed. Called in the transaction that stored the orders' events (after
-- hotline.settle), or that the office linked or unlinked one by hand; returns the outbox rows
-- written.
--
-- The office's default rule: orders of the same caller (the keyed hash of the phone number their
-- `created` event carried, `p_caller_keys`, kept in hotline.order_callers; never the number, and
-- never in the event log) about the same matter (the same
-- category, or the same handling unit while the category is unknown), received within
-- `p_window_days` days of the matter's first order, are repeats of that first order; an order
-- past the window starts the matter again. A pure function of the caller's orders (any arrival
-- order links the same), leaving alone every order the office linked or unlinked by hand.
CREATE OR REPLACE FUNCTION hotline.link_repeats(p_order_nos text[], p_caller_keys text[],
                                                 p_window_days int)
RETURNS int
LANGUAGE plpgsql
-- 0039h (issue #24): planned once per connection and by index, as hotline.settle; and the
-- closing statement, which cost ~0.4 ms of a webhook group's ~2.3 ms in PostgreSQL even when it
-- had nothing to tell, runs only when some link changed.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
    v_keys text[];
    v_key text;
    v_told int;
    r record;
    v_matter text;
    v_first text;
    v_first_at timestamptz;
    v_orders text[] := coalesce(p_order_nos, '{}');
    v_linked text[];  -- the caller's orders the system links now, and the first order of each
    v_firsts text[];
BEGIN
    -- The callers of the orders whose `created` came now (an order already stored: the FK).
    INSERT INTO hotline.order_callers AS c (order_no, caller_key)
    SELECT DISTINCT ON (t.order_no) t.order_no, t.caller_key
    FROM unnest(v_orders, coalesce(p_caller_keys, '{}')) AS t(order_no, caller_key)
    JOIN hotline.work_orders AS w ON w.order_no = t.order_no
    WHERE t.caller_key IS NOT NULL
    ORDER BY t.order_no
    ON CONFLICT (order_no) DO UPDATE SET caller_key = excluded.caller_key
        WHERE c.caller_key IS DISTINCT FROM excluded.caller_key;
    SELECT array_agg(DISTINCT c.caller_key ORDER BY c.caller_key)
    INTO v_keys
    FROM hotline.order_callers AS c
    WHERE c.order_no = ANY (v_orders);
    FOREACH v_key IN ARRAY coalesce(v_keys, '{}') LOOP
        -- One caller's orders are linked by one transaction at a time (the locks in one order).
        PERFORM pg_advisory_xact_lock(hashtextextended('hotline.caller:' || v_key, 0));
        v_matter := NULL;
        v_linked := '{}';
        v_firsts := '{}';
        FOR r IN
            SELECT w.order_no, w.received_at,
                   coalesce('c:' || w.category_code, 'u:' || w.handling_unit_code) AS matter
            FROM hotline.order_callers AS c
            JOIN hotline.work_orders AS w ON w.order_no = c.order_no
            WHERE c.caller_key = v_key
              AND w.received_at IS NOT NULL
              AND coalesce(w.category_code, w.handling_unit_code) IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM hotline.repeat_links AS l
                              WHERE l.order_no = w.order_no AND l.manual)
            ORDER BY 3, 2, 1
        LOOP
            IF r.matter IS DISTINCT FROM v_matter
               OR r.received_at > v_first_at + make_interval(days => p_window_days) THEN
                v_matter := r.matter;
                v_first := r.order_no;
                v_first_at := r.received_at;
            ELSE
                v_linked := v_linked || r.order_no;
                v_firsts := v_firsts || v_first;
            END IF;
        END LOOP;
        -- The caller's links as wanted now (the office's own are left alone).
        INSERT INTO hotline.repeat_links AS l (order_no, repeat_of, linked_by, linked_at)
        SELECT t.order_no, t.repeat_of, 'system', now()
        FROM unnest(v_linked, v_firsts) AS t(order_no, repeat_of)
        ON CONFLICT (order_no) DO UPDATE
            SET repeat_of = excluded.repeat_of, linked_by = 'system', linked_at = now(),
                unlinked_by = NULL, unlinked_at = NULL
            WHERE NOT l.manual AND l.repeat_of IS DISTINCT FROM excluded.repeat_of;
        UPDATE hotline.repeat_links AS l
        SET repeat_of = NULL, unlinked_by = 'system', unlinked_at = now()
        FROM hotline.order_callers AS c
        WHERE c.caller_key = v_key
          AND l.order_no = c.order_no AND NOT l.manual AND l.repeat_of IS NOT NULL
          AND NOT l.order_no = ANY (v_linked);
        v_orders := v_orders || ARRAY(
            SELECT c.order_no FROM hotline.order_callers AS c WHERE c.caller_key = v_key);
    END LOOP;
    -- Tell evaluation each order whose link changed since it was last told (an order held in
    -- quarantine is told once released: evaluation counts it only then). Most groups change no
    -- link: a plain look first, the writing statement only when there is something to tell.
    IF NOT EXISTS (SELECT 1 FROM hotline.repeat_links AS l
                   WHERE l.order_no = ANY (v_orders)
                     AND (l.repeat_of IS NOT NULL) <> l.told_repeat) THEN
        RETURN 0;
    END IF;
    WITH changed AS (
        SELECT l.order_no, l.repeat_of, l.told_version + 1 AS version, w.kind,
               w.district_code, w.handling_unit_code,
               (w.received_at AT TIME ZONE 'Asia/Shanghai')::date AS received_on
        FROM hotline.repeat_links AS l
        JOIN hotline.work_orders AS w ON w.order_no = l.order_no
        WHERE l.order_no = ANY (v_orders)
          AND (l.repeat_of IS NOT NULL) <> l.told_repeat
          AND w.quarantine_reason IS NULL AND w.received_at IS NOT NULL AND w.kind IS NOT NULL
        FOR UPDATE OF l
    ),
    marked AS (
        UPDATE hotline.repeat_links AS l
        SET told_version = c.version, told_repeat = c.repeat_of IS NOT NULL
        FROM changed AS c
        WHERE l.order_no = c.order_no
    ),
    told AS (
        INSERT INTO platform.outbox (id, type, occurred_at, unit_code, data, producer, consumer)
        SELECT md5(concat_ws(':', 'hotline', 'repeat', c.order_no, c.version))::uuid,
               CASE WHEN c.repeat_of IS NULL THEN 'work_order.unlinked'
                    ELSE 'work_order.linked_as_repeat' END,
               now(), c.handling_unit_code,
               jsonb_build_object('order_no', c.order_no, 'kind', c.kind,
                                  'district_code', c.district_code,
                                  'received_on', c.received_on, 'version', c.version)
               || CASE WHEN c.repeat_of IS NULL THEN '{}'::jsonb
                       ELSE jsonb_build_object('repeat_of', c.repeat_of) END,
               'hotline_ingest', 'evaluation'
        FROM changed AS c
        ON CONFLICT (id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_told FROM told;
    RETURN v_told;
END
$$;
