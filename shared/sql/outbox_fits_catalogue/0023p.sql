-- The outbox's guard: every row written to platform.outbox (shared.outbox.enqueue in Python,
-- hotline.settle in SQL) is refused, with the statement that writes it, if it does not fit the
-- event catalogue (platform.fits_catalogue, generated from shared/events.py). A row trigger
-- before the row is stored: no transition table to build and scan per statement (0022p's
-- statement trigger cost ~100 us a statement, this ~5 us a row, docs/PERFORMANCE.md).
CREATE OR REPLACE FUNCTION platform.outbox_fits_catalogue()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT platform.fits_catalogue(NEW.type, NEW.consumer, NEW.data) THEN
        RAISE EXCEPTION 'outbox: % to % does not fit the event catalogue (shared/events.py)',
                        NEW.type, NEW.consumer
            USING ERRCODE = 'check_violation', DETAIL = NEW.data::text;
    END IF;
    RETURN NEW;
END
$$;
