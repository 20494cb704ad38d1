-- The outbox's guard: every statement that writes platform.outbox (shared.outbox.enqueue in
-- Python, hotline.settle in SQL) is refused, whole, if one of its rows does not fit the event
-- catalogue (platform.fits_catalogue, generated from shared/events.py). Once per statement:
-- the check runs set-wise over the rows the statement wrote.
CREATE OR REPLACE FUNCTION platform.outbox_fits_catalogue()
RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_misfit record;
BEGIN
    SELECT w.type, w.consumer, w.data INTO v_misfit
    FROM written AS w
    WHERE NOT platform.fits_catalogue(w.type, w.consumer, w.data)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'outbox: % to % does not fit the event catalogue (shared/events.py)',
                        v_misfit.type, v_misfit.consumer
            USING ERRCODE = 'check_violation', DETAIL = v_misfit.data::text;
    END IF;
    RETURN NULL;
END
$$;
