"""Shared helpers for benchmarks: a database on the embedded test cluster, and timing."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from tests import pg


def fresh_database(name: str) -> str:
    """A migrated database for one benchmark (DATABASE_URL wins if set)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    cluster = pg.start_and_prepare()
    return pg.clone_database(cluster, name)


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def read_rows(dsn: str, queries: Sequence[str], rounds: int) -> list[float]:
    """A baseline: the seconds each round takes to fetch every query's rows over one raw
    asyncpg connection."""
    conn = await asyncpg.connect(dsn)
    samples = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            for query in queries:
                await conn.fetch(query)
            samples.append(time.perf_counter() - started)
    finally:
        await conn.close()
    return samples


def print_against_target(
    what: str, samples: Sequence[float], baseline: Sequence[float], rows: str, target: float
) -> None:
    """The last lines of a timed benchmark: its median and max against the target, the
    baseline (a raw asyncpg read of `rows`, same run), the ratio, and PASS or FAIL."""
    median, base = statistics.median(samples), statistics.median(baseline)
    print(f"  {what:<9} median {median:6.3f} s  max {max(samples):6.3f} s  (target < {target:g} s)")
    print(f"  baseline  median {base:6.3f} s  (raw asyncpg read of {rows})")
    print(f"  ratio     {median / base:,.0f}× the baseline")
    print("PASS" if max(samples) < target else "FAIL")


class Timer:
    def __init__(self) -> None:
        self.samples: list[float] = []

    def measure(self, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = fn()
        self.samples.append(time.perf_counter() - started)
        return result

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)

    def p(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def make_up_database_url() -> str:
    """The database of a running `make up`: DATABASE_URL if set, else its embedded one (as
    `shared.devstack up` chooses)."""
    from shared.settings import embedded_database_url, get_settings

    return get_settings().database_url or embedded_database_url("reform")


# --- a programme N times as large (growth at 10× data, issue #24) ---------------------------------

# What is copied of each task, and how each copy finds its new parent: (table, the parent column,
# the map that parent is found in, the columns set anew). Evidence files (files on disk), timeline
# entries and the links between years are not copied.
_COPIED: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("tasks.task_responsible_units", "task_id", "task_map", {}),
    ("tasks.ratings", "task_id", "task_map", {}),
    ("tasks.progress_reports", "milestone_id", "milestone_map", {}),
    ("tasks.extension_requests", "milestone_id", "milestone_map", {}),
    (
        "tasks.supervisions",
        "milestone_id",
        "milestone_map",
        {"document_id": "NULL", "parent_id": "NULL"},
    ),
)


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    schema, name = table.split(".")
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1"
        " AND table_name = $2 AND column_name <> 'id' ORDER BY ordinal_position",
        schema,
        name,
    )
    return [r["column_name"] for r in rows]


def _copy_sql(table: str, columns: list[str], overrides: dict[str, str], source: str) -> str:
    """`INSERT INTO table (columns) SELECT …` with each column taken from `o.`, or as overridden."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(overrides.get(c, f'o."{c}"') for c in columns)
    return f"INSERT INTO {table} ({quoted}) SELECT {values} FROM {source}"  # noqa: S608


async def grow_programme(dsn: str, code: str, times: int) -> int:
    """Make programme `code` `times` as large, in one transaction: each task copied `times - 1`
    times (numbered after the last), with its responsible units, ratings, milestones, progress
    reports, extension requests and supervisions. Returns the programme's tasks afterwards.
    Bench data only: every table and column name here is a constant or read from the catalogue."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            programme, last = await conn.fetchrow(
                "SELECT p.id, max(t.number) FROM tasks.programmes p JOIN tasks.tasks t"
                " ON t.programme_id = p.id WHERE p.code = $1 GROUP BY p.id",
                code,
            )
            copies = f"generate_series(1, {int(times) - 1}) AS k"
            tasks = await _columns(conn, "tasks.tasks")
            await conn.execute(
                _copy_sql(
                    "tasks.tasks",
                    tasks,
                    {"number": f"o.number + k * {int(last)}", "continues_task_id": "NULL"},
                    f"tasks.tasks AS o CROSS JOIN {copies} WHERE o.programme_id = {int(programme)}",
                )
            )
            await conn.execute(
                "CREATE TEMP TABLE task_map ON COMMIT DROP AS SELECT o.id AS old, n.id AS new"
                " FROM tasks.tasks o JOIN tasks.tasks n ON n.programme_id = o.programme_id"
                " AND n.number > $2 AND (n.number - 1) % $2 + 1 = o.number"
                " WHERE o.programme_id = $1 AND o.number <= $2",
                programme,
                last,
            )
            milestones = await _columns(conn, "tasks.milestones")
            await conn.execute(
                _copy_sql(
                    "tasks.milestones",
                    milestones,
                    {"task_id": "m.new"},
                    "tasks.milestones AS o JOIN task_map AS m ON m.old = o.task_id",
                )
            )
            await conn.execute(
                "CREATE TEMP TABLE milestone_map ON COMMIT DROP AS SELECT o.id AS old, n.id AS new"
                " FROM tasks.milestones o JOIN task_map m ON m.old = o.task_id"
                " JOIN tasks.milestones n ON n.task_id = m.new AND n.ordinal = o.ordinal"
            )
            for table, parent, mapping, overrides in _COPIED:
                await conn.execute(
                    _copy_sql(
                        table,
                        await _columns(conn, table),
                        {**overrides, parent: "m.new"},
                        f"{table} AS o JOIN {mapping} AS m ON m.old = o.{parent}",
                    )
                )
            await conn.execute("ANALYZE")
            count: int = await conn.fetchval(
                "SELECT count(*) FROM tasks.tasks WHERE programme_id = $1", programme
            )
            return count
    finally:
        await conn.close()
