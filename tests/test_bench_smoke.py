"""Every benchmark under bench/ runs, at a smoke size (seconds), as a reader would run it: a
broken benchmark, or one that no longer finishes, fails `make test` (issue #23, keep it fixed).

Each runs as its own process from the repository root with `.venv/bin/python bench/X.py`, on
the suite's test cluster (its own databases) — except reliability_fuzz.py, which runs pytest
itself and so gets a cluster of its own on a free port (a pytest run stops its cluster when it
ends), removed afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.settings import REPO_ROOT, VAR_DIR
from tests import pg
from tests.reliability.processes import free_port

SMOKE = {
    "bench_battle_map.py": ["--requests", "5"],
    "bench_event_latency.py": ["--rate", "20", "--seconds", "2"],
    "bench_pipeline.py": ["--deliveries", "300"],
    "bench_programme.py": ["--rounds", "1", "--scale", "2"],
    "bench_recompute.py": ["--orders", "500", "--scale", "2"],
    "bench_report.py": ["--rounds", "1", "--scale", "2"],
    "bench_unit_merge.py": ["--rounds", "1", "--orders", "200"],
    "bench_webhook.py": ["--seconds", "1", "--latency-seconds", "1", "--rate", "50"],
    "bench_webhook_store.py": ["--deliveries", "200", "--sizes", "1,4", "--baseline-seconds", "1"],
    "reliability_fuzz.py": ["--examples", "1"],
    "reliability_outage.py": ["--outage", "1", "--orders", "200"],
    "reliability_webhook.py": ["--orders", "20", "--pg-down", "0.5", "--concurrency", "4"],
}
LIMIT_SECONDS = 240


def test_every_benchmark_has_a_smoke_size() -> None:
    scripts = {p.name for p in (REPO_ROOT / "bench").glob("*.py")}
    assert scripts - {"__init__.py", "common.py"} == set(SMOKE)


@pytest.mark.parametrize("script", sorted(SMOKE))
def test_benchmark_runs_at_smoke_size(script: str, tmp_path: Path) -> None:
    # Free ports, not fixed ones: under the suite's load a fixed port in the ephemeral range may
    # be a client socket's at that moment (seen in CI: "Address already in use").
    env = {**os.environ, "TEST_PG_PORT": str(pg.TEST_PG_PORT)}
    own_cluster = None
    if script == "reliability_fuzz.py":
        env["TEST_PG_PORT"] = str(free_port())
        own_cluster = VAR_DIR / f"test-pg-{env['TEST_PG_PORT']}"
    if script in ("bench_webhook.py", "bench_webhook_store.py"):  # a PostgreSQL of their own
        env["BENCH_PG_PORT"] = str(free_port())
        own_cluster = VAR_DIR / f"bench-pg-{env['BENCH_PG_PORT']}"
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *SMOKE[script]],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=LIMIT_SECONDS,
        check=False,
    )
    if own_cluster is not None:  # its data directory, lock and log
        shutil.rmtree(own_cluster, ignore_errors=True)
        for leftover in own_cluster.parent.glob(f"{own_cluster.name}.*"):
            leftover.unlink()
    tail = (result.stdout + result.stderr)[-3000:]
    assert result.returncode == 0, tail
