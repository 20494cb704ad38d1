-- End (Asia/Shanghai) of the `days`-th working day after the day of `start_at`.
CREATE OR REPLACE FUNCTION hotline.working_deadline(start_at timestamptz, days int) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d date := (start_at AT TIME ZONE 'Asia/Shanghai')::date;
    remaining int := greatest(days, 0);
BEGIN
    WHILE remaining > 0 LOOP
        d := d + 1;
        IF hotline.is_workday(d) THEN
            remaining := remaining - 1;
        END IF;
    END LOOP;
    RETURN (d + 1)::timestamp AT TIME ZONE 'Asia/Shanghai';
END
$$;
