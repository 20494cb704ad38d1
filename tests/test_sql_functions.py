"""SQL functions live in versioned files (services/hotline_ingest/sql/<function>/<revision>.sql,
shared/sql/<function>/<revision>.sql) that the revisions load and pin: the database runs the
newest version of each, the revisions import no live code, and where a rule also has a Python
reading (the limits' deadlines: shared/hotline_rates.py, shared/working_days.py) the two agree
on any input."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from migrations.history import SQL_DIRS
from services.hotline_ingest.webhook.repository import limits_json
from shared import hotline_rates
from shared.appeals import APPEAL_KINDS, URGENCIES
from shared.settings import Settings
from shared.working_days import WorkingCalendar

REPO = Path(__file__).resolve().parents[1]
LIVE_CODE = {"shared", "services", "tests", "bench"}


def _newest(function: Path) -> Path:
    return max(function.glob("*.sql"))  # revisions sort by their number: 0008h < 0010h < 0021h


def _body(sql: str) -> str:
    return sql[sql.index("$$") + 2 : sql.rindex("$$")]


async def test_the_database_runs_the_newest_version_of_each_function(
    connection: AsyncConnection,
) -> None:
    rows = (
        await connection.execute(
            text(
                "SELECT n.nspname || '.' || p.proname, p.prosrc FROM pg_proc AS p"
                " JOIN pg_namespace AS n ON n.oid = p.pronamespace"
                " WHERE n.nspname = ANY (CAST(:schemas AS text[]))"
            ),
            {"schemas": list(SQL_DIRS)},
        )
    ).all()
    running = {name: source for name, source in rows}
    assert len(running) == len(rows), "one function per name"
    files = {
        f"{schema}.{d.name}": _newest(d)
        for schema, root in SQL_DIRS.items()
        for d in root.iterdir()
        if d.is_dir()
    }
    assert set(running) <= set(files), "every function lives in a versioned file"
    stale = [
        f"{name}: runs another text than {files[name].relative_to(REPO)}"
        for name, source in running.items()
        if source != _body(files[name].read_text(encoding="utf-8"))
    ]
    assert stale == []


def test_revisions_import_no_live_code() -> None:
    """A revision does what it did when written: it reads the settings it needs from the
    Alembic config (migrations/env.py hands them over), never from the platform's modules."""
    offenders = []
    for path in sorted((REPO / "migrations").rglob("*.py")):
        if path.name == "env.py":
            continue  # the harness, not a revision: it connects with the live settings
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in LIVE_CODE]
    assert offenders == []


def test_every_versioned_file_is_pinned_by_the_revision_that_loads_it() -> None:
    """Each <function>/<revision>.sql is loaded by its revision through `sql_file`, with the
    sha256 pinned there: a file nobody loads is dead, and an edited one fails to load."""
    loaded = set()
    for path in (REPO / "migrations" / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r'^revision: str = "(\w+)"', source, re.MULTILINE)
        assert revision is not None
        for function, file_revision in re.findall(r'sql_file\(\s*"([\w.]+)",\s*"(\w+)"', source):
            assert file_revision == revision.group(1), f"{path.name} loads {function}"
            schema, name = function.split(".")
            loaded.add(SQL_DIRS[schema] / name / f"{file_revision}.sql")
    on_disk = {p for root in SQL_DIRS.values() for p in root.rglob("*.sql")}
    assert on_disk == loaded


# --- SQL and Python read the limits the same way -----------------------------------------------

START = date(2026, 1, 1)
days_off_or_on = st.dictionaries(
    st.integers(min_value=0, max_value=120).map(lambda n: START + timedelta(days=n)),
    st.booleans(),
    max_size=40,
)
working_days = st.integers(min_value=0, max_value=20)
limits = st.fixed_dictionaries(
    {
        "response": st.fixed_dictionaries({k: working_days for k in APPEAL_KINDS}),
        "closing": st.fixed_dictionaries({k: working_days for k in APPEAL_KINDS}),
        "urgent": st.dictionaries(
            st.sampled_from(URGENCIES[1:]), st.integers(min_value=1, max_value=1440)
        ),
    }
)
clocks = st.integers(min_value=0, max_value=100 * 24 * 60).map(
    lambda minutes: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
)
orders = st.lists(
    st.tuples(clocks, st.sampled_from(APPEAL_KINDS), st.sampled_from(URGENCIES)),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(exceptions=days_off_or_on, office=limits, cases=orders)
async def test_sql_and_python_deadlines_agree_on_any_calendar_and_limits(
    connection: AsyncConnection,
    exceptions: dict[date, bool],
    office: dict[str, dict[str, int]],
    cases: list[tuple[datetime, str, str]],
) -> None:
    """`hotline.signing_deadline` and `hotline.working_deadline` (what the webhook tells
    evaluation) against `hotline_rates.signing_deadline` / `closing_deadline` (what the views,
    the sweeps and the history import read), for any calendar of holidays and 调休 days, any
    limits the office sets, any clock, kind and urgency."""
    configured = Settings(
        hotline_response_days=office["response"],
        hotline_closing_days=office["closing"],
        hotline_urgent_signing_minutes=office["urgent"],
        _env_file=None,  # type: ignore[call-arg]
    )
    savepoint = await connection.begin_nested()
    try:
        await connection.execute(text("DELETE FROM hotline.calendar_days"))
        if exceptions:
            await connection.execute(
                text(
                    "INSERT INTO hotline.calendar_days (day, is_workday, note, source)"
                    " SELECT d, w, '测试', '测试' FROM unnest(CAST(:days AS date[]),"
                    " CAST(:workdays AS boolean[])) AS t(d, w)"
                ),
                {"days": list(exceptions), "workdays": list(exceptions.values())},
            )
        rows = (
            await connection.execute(
                text(
                    "SELECT hotline.signing_deadline(c.at, c.kind, c.urgency, CAST(:l AS jsonb)),"
                    " hotline.working_deadline(c.at, (CAST(:l AS jsonb)->'closing'->>c.kind)::int)"
                    " FROM unnest(CAST(:at AS timestamptz[]), CAST(:kind AS text[]),"
                    " CAST(:urgency AS text[])) WITH ORDINALITY AS c(at, kind, urgency, n)"
                    " ORDER BY c.n"
                ),
                {
                    "l": limits_json(configured),
                    "at": [c[0] for c in cases],
                    "kind": [c[1] for c in cases],
                    "urgency": [c[2] for c in cases],
                },
            )
        ).all()
    finally:
        await savepoint.rollback()
    calendar = WorkingCalendar(exceptions)
    expected = [
        (
            hotline_rates.signing_deadline(calendar, configured, at, kind, urgency),
            hotline_rates.closing_deadline(calendar, configured, at, kind),
        )
        for at, kind, urgency in cases
    ]
    assert [tuple(r) for r in rows] == expected
