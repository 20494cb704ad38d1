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
