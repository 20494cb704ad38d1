CREATE OR REPLACE FUNCTION hotline.is_workday(day date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT c.is_workday FROM hotline.calendar_days AS c WHERE c.day = is_workday.day),
        extract(isodow FROM day) < 6)
$$;
