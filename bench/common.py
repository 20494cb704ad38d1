"""Shared helpers for benchmarks: a database on the embedded test cluster, and timing."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from tests import pg


def fresh_database(name: str) -> str:
    """A migrated database for one benchmark (DATABASE_URL wins if set)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    cluster = pg.start_and_prepare()
    return pg.clone_database(cluster, name)


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


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
