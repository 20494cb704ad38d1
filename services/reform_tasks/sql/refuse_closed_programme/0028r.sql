-- A closed programme (tasks.programmes.closed_at set, issue #21) is read-only: every row of the
-- tasks schema that belongs to it refuses INSERT, UPDATE and DELETE, with SQLSTATE RT409 and
-- the programme's name and year (shared/errors.py answers it as a 409 problem). A row belongs to
-- the programme through its programme_id, or through the task, milestone, progress report,
-- rating window, supervision, reply or problem it hangs on (a row before and after an UPDATE,
-- both). Reading the programme's row FOR SHARE makes a write wait for a close in progress (and
-- a close wait for the writes in progress), so nothing lands in a year after it closed.
-- Three things are not changes of the year's record and pass:
--   * the programme's own row while it is open (closing sets closed_at); a closed one's row
--     changes no more and is never deleted;
--   * an official document's PDF stored once, when a download renders one missing at sign-off;
--   * the 结转 note on a task's timeline that says which later year continues it.
CREATE OR REPLACE FUNCTION tasks.refuse_closed_programme()
RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_rows jsonb[] := '{}';
    v_row jsonb;
    v_programme_id integer;
    v_programme record;
BEGIN
    IF TG_TABLE_NAME = 'programmes' THEN
        IF OLD.closed_at IS NULL AND TG_OP = 'DELETE' THEN
            RETURN OLD;
        ELSIF OLD.closed_at IS NULL THEN
            RETURN NEW;
        END IF;
        v_rows := ARRAY[jsonb_build_object('programme_id', OLD.id)];
    ELSIF TG_TABLE_NAME = 'official_documents' THEN
        IF TG_OP = 'UPDATE' THEN
            IF (NEW.id, NEW.kind, NEW.word, NEW.year, NEW.serial, NEW.document_number, NEW.title,
                    NEW.publicity, NEW.signed_at, NEW.signed_by, NEW.content, NEW.docx,
                    NEW.public_docx)
                   IS NOT DISTINCT FROM
                   (OLD.id, OLD.kind, OLD.word, OLD.year, OLD.serial, OLD.document_number,
                    OLD.title, OLD.publicity, OLD.signed_at, OLD.signed_by, OLD.content, OLD.docx,
                    OLD.public_docx)
               AND (OLD.pdf IS NULL OR NEW.pdf IS NOT DISTINCT FROM OLD.pdf)
               AND (OLD.public_pdf IS NULL OR NEW.public_pdf IS NOT DISTINCT FROM OLD.public_pdf)
            THEN
                RETURN NEW;
            END IF;
        END IF;
        v_rows := ARRAY(
            SELECT jsonb_build_object('programme_id', r.programme_id)
            FROM tasks.reports AS r WHERE r.document_id = OLD.id
            UNION ALL
            SELECT jsonb_build_object('programme_id', s.programme_id)
            FROM tasks.supervisions AS s WHERE s.document_id = OLD.id
        );
    ELSE
        IF TG_TABLE_NAME = 'timeline_entries' AND TG_OP = 'INSERT' THEN
            IF NEW.kind = 'task.carried_over' THEN
                RETURN NEW;
            END IF;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            v_rows := v_rows || to_jsonb(OLD);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            v_rows := v_rows || to_jsonb(NEW);
        END IF;
    END IF;
    FOREACH v_row IN ARRAY v_rows LOOP
        v_programme_id := CASE
            WHEN v_row ? 'programme_id' THEN (v_row->>'programme_id')::integer
            WHEN TG_TABLE_NAME IN ('milestones', 'task_responsible_units') THEN (
                SELECT t.programme_id FROM tasks.tasks AS t
                WHERE t.id = (v_row->>'task_id')::integer)
            WHEN TG_TABLE_NAME IN ('progress_reports', 'extension_requests') THEN (
                SELECT t.programme_id FROM tasks.milestones AS m
                JOIN tasks.tasks AS t ON t.id = m.task_id
                WHERE m.id = (v_row->>'milestone_id')::integer)
            WHEN TG_TABLE_NAME = 'evidence_files' THEN (
                SELECT t.programme_id FROM tasks.progress_reports AS p
                JOIN tasks.milestones AS m ON m.id = p.milestone_id
                JOIN tasks.tasks AS t ON t.id = m.task_id
                WHERE p.id = (v_row->>'report_id')::integer)
            WHEN TG_TABLE_NAME = 'ratings' THEN (
                SELECT w.programme_id FROM tasks.rating_windows AS w
                WHERE w.id = (v_row->>'window_id')::integer)
            WHEN TG_TABLE_NAME = 'supervision_replies' THEN (
                SELECT s.programme_id FROM tasks.supervisions AS s
                WHERE s.id = (v_row->>'supervision_id')::integer)
            WHEN TG_TABLE_NAME = 'supervision_reply_files' THEN (
                SELECT s.programme_id FROM tasks.supervision_replies AS r
                JOIN tasks.supervisions AS s ON s.id = r.supervision_id
                WHERE r.id = (v_row->>'reply_id')::integer)
            WHEN TG_TABLE_NAME = 'timeline_entries' AND v_row->>'subject_type' = 'task' THEN (
                SELECT t.programme_id FROM tasks.tasks AS t
                WHERE t.id = (v_row->>'subject_id')::integer)
            WHEN TG_TABLE_NAME = 'timeline_entries' AND v_row->>'subject_type' = 'problem' THEN (
                SELECT p.programme_id FROM tasks.problems AS p
                WHERE p.id = (v_row->>'subject_id')::integer)
        END;
        IF v_programme_id IS NOT NULL THEN
            SELECT p.code, p.name, p.year, p.closed_at INTO v_programme
            FROM tasks.programmes AS p WHERE p.id = v_programme_id FOR SHARE;
            IF v_programme.closed_at IS NOT NULL THEN
                RAISE EXCEPTION '改革工程“%”（%年度）已结束，不能修改',
                                v_programme.name, v_programme.year
                    USING ERRCODE = 'RT409', DETAIL = v_programme.code,
                          TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
            END IF;
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
