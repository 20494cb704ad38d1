"""Backup and restore with the documented CLI (`python -m shared.backup`): a restored database
holds the same rows, and a full recompute on it gives the same scores as on the original."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from shared.settings import REPO_ROOT
from tests import pg
from tests.reliability.conftest import api_scores, fetch, scores

COUNTED = (
    "tasks.tasks",
    "tasks.milestones",
    "tasks.progress_reports",
    "platform.audit_log",
    "platform.outbox",
    "evaluation.facts",
)


def _cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": url, "LOG_JSON": "false"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def _counts(url: str) -> dict[str, object]:
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in COUNTED)
    return dict(await fetch(url, sql))  # type: ignore[arg-type]


async def test_restore_gives_identical_rows_and_recomputed_scores(
    demo_database: str, fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    recomputed = _cli("services.evaluation", "recompute", "--programme", "2026", url=demo_database)
    assert recomputed.returncode == 0, recomputed.stderr
    original_scores = await scores(demo_database)
    original_read = await api_scores(demo_database)
    original_counts = await _counts(demo_database)
    assert len(original_scores) > 49
    assert original_counts["evaluation.facts"]

    dump = tmp_path / "reform.dump"
    made = _cli("shared.backup", "backup", str(dump), url=demo_database)
    assert made.returncode == 0, made.stderr
    assert dump.stat().st_size > 10_000

    # Into an empty database (a new server) …
    cluster = pg.test_cluster()
    target = fresh_database("restored")
    name = target.rsplit("/", 1)[1]
    cluster.psql(f'DROP DATABASE "{name}"')
    cluster.psql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    restored = _cli("shared.backup", "restore", str(dump), url=target)
    assert restored.returncode == 0, restored.stderr
    assert await _counts(target) == original_counts
    assert await scores(target) == original_scores
    again = _cli("services.evaluation", "recompute", "--programme", "2026", url=target)
    assert again.returncode == 0, again.stderr
    # The same scores (to float noise: a recompute sums in the order the facts are read).
    assert await api_scores(target) == original_read

    # … and over a database that lost rows since the backup.
    cluster.psql("DELETE FROM evaluation.scores; DELETE FROM tasks.progress_reports", name)
    assert _cli("shared.backup", "restore", str(dump), url=target).returncode == 0
    assert await _counts(target) == original_counts
    assert await scores(target) == original_scores


def test_restore_of_a_broken_file_fails_and_changes_nothing(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database("broken")
    name = url.rsplit("/", 1)[1]
    cluster = pg.test_cluster()
    before = cluster.psql("SELECT count(*) FROM alembic_version", name)
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"PGDMP" + b"\x00" * 200)
    failed = _cli("shared.backup", "restore", str(junk), url=url)
    assert failed.returncode == 1
    assert "pg_restore 失败" in failed.stdout
    missing = _cli("shared.backup", "restore", str(tmp_path / "nope.dump"), url=url)
    assert missing.returncode == 1
    assert cluster.psql("SELECT count(*) FROM alembic_version", name) == before
