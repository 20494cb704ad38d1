-- End (Asia/Shanghai) of the `days`-th working day after the day of `start_at`.
CREATE OR REPLACE FUNCTION hotline.working_deadline(start_at timestamptz, days int)
RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d date := (start_at AT TIME ZONE 'Asia/Shanghai')::date;
    remaining int := greatest(days, 0);
    read_until date;  -- the calendar's exceptions are known up to this day
    make_up date[];   -- 调休 working days on a weekend
    off date[];       -- holidays on a weekday
BEGIN
    IF start_at IS NULL THEN
        RETURN NULL;
    END IF;
    WHILE remaining > 0 LOOP
        IF read_until IS NULL OR d >= read_until THEN
            read_until := d + 31;
            SELECT coalesce(array_agg(c.day) FILTER (WHERE c.is_workday), '{}'),
                   coalesce(array_agg(c.day) FILTER (WHERE NOT c.is_workday), '{}')
            INTO make_up, off
            FROM hotline.calendar_days AS c
            WHERE c.day > d AND c.day <= read_until;
        END IF;
        d := d + 1;
        IF d = ANY (make_up) OR (extract(isodow FROM d) < 6 AND NOT d = ANY (off)) THEN
            remaining := remaining - 1;
        END IF;
    END LOOP;
    RETURN (d + 1)::timestamp AT TIME ZONE 'Asia/Shanghai';
END
$$;
