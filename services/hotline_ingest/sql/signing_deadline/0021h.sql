-- End of the signing limit from the handling unit's clock: minutes for an urgent order, else
-- the end of the N-th working day per kind (shared.hotline_rates.signing_deadline).
CREATE OR REPLACE FUNCTION hotline.signing_deadline(p_clock timestamptz, p_kind text, p_urgency text,
                                         p_limits jsonb)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_limits->'urgent' ? coalesce(p_urgency, '')
                THEN p_clock + make_interval(mins => (p_limits->'urgent'->>p_urgency)::int)
                ELSE hotline.working_deadline(
                    p_clock, coalesce((p_limits->'response'->>p_kind)::int, 1)) END
$$;
