"""Demo data: the seed city's programme loads completely, and loading again changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.demo.loader import load
from shared.models import (
    Domain,
    Milestone,
    OutboxEvent,
    Problem,
    Programme,
    ProgressReport,
    Role,
    Supervision,
    SupervisionLevel,
    SupervisionStatus,
    Task,
    Unit,
    UnitKind,
    User,
    task_responsible_units,
)
from shared.settings import REPO_ROOT
from tests import pg

AS_OF = date(2026, 11, 24)


async def _counts(session: AsyncSession) -> dict[str, int]:
    tables = {
        "units": Unit,
        "users": User,
        "programmes": Programme,
        "domains": Domain,
        "tasks": Task,
        "milestones": Milestone,
        "reports": ProgressReport,
    }
    counts = {
        name: int(await session.scalar(select(func.count()).select_from(model)) or 0)
        for name, model in tables.items()
    }
    counts["responsible"] = int(
        await session.scalar(select(func.count()).select_from(task_responsible_units)) or 0
    )
    return counts


async def test_demo_loads_the_whole_programme_and_twice_without_duplicates(
    session: AsyncSession,
) -> None:
    first = await load(session, password="pw-demo", as_of=AS_OF)
    after_first = await _counts(session)
    second = await load(session, password="pw-demo", as_of=AS_OF)
    after_second = await _counts(session)

    assert after_first == after_second
    assert (second.tasks, second.users, second.progress_reports) == (0, 0, 0)
    assert first.tasks == 210
    assert after_first["tasks"] == 210
    assert after_first["domains"] == 14
    assert after_first["units"] == 50  # 49 units + the reform office
    assert after_first["users"] == 49 + 5  # one per unit + office, staff, leader, viewer, hotline
    assert 2 * 210 <= after_first["milestones"] <= 4 * 210
    assert 210 <= after_first["responsible"] <= 4 * 210

    districts = await session.scalar(
        select(func.count()).select_from(Unit).where(Unit.kind == UnitKind.district)
    )
    assert districts == 12
    roles = dict((await session.execute(select(User.role, func.count()).group_by(User.role))).all())
    assert roles[Role.office_admin] == 1
    assert roles[Role.lead_unit] + roles[Role.unit] == 49


async def test_the_demo_year_tells_a_believable_story(session: AsyncSession) -> None:
    """Issue #19: most due milestones on time (≈75 %), some late, a few still behind, some of
    those seriously; a task that falls behind stays behind; lagging announced when it
    happened, across the year, not all on the load day."""
    await load(session, password="pw-demo", as_of=AS_OF)
    rows = (
        await session.execute(
            select(
                Task.number,
                Milestone.ordinal,
                Milestone.planned_date,
                Milestone.completed_on,
                Milestone.lagging_level,
            )
            .join(Task, Task.id == Milestone.task_id)
            .order_by(Task.number, Milestone.ordinal)
        )
    ).all()
    due = [r for r in rows if r.planned_date < AS_OF]
    on_time = sum(1 for r in due if r.completed_on and r.completed_on <= r.planned_date)
    late = sum(1 for r in due if r.completed_on and r.completed_on > r.planned_date)
    behind = [r for r in due if r.completed_on is None]
    serious = sum(1 for r in behind if r.lagging_level == "seriously_lagging")
    shares = {
        "on time": on_time / len(due),
        "late": late / len(due),
        "behind": len(behind) / len(due),
    }
    print(f"{len(due)} due milestones: {shares}, seriously lagging {serious}")
    assert 0.65 <= shares["on time"] <= 0.85, shares
    assert 0.06 <= shares["late"] <= 0.20, shares
    assert 0.05 <= shares["behind"] <= 0.20, shares
    assert 0.2 <= serious / len(behind) <= 0.9
    assert all(r.completed_on is None or r.completed_on <= AS_OF for r in rows)
    # A later milestone is never done while an earlier one of its task is not.
    by_task: dict[int, list[Any]] = {}
    for r in rows:
        by_task.setdefault(r.number, []).append(r)
    for number, milestones in by_task.items():
        done = [m.completed_on is not None for m in milestones]
        assert done == sorted(done, reverse=True), number
    # Lagging was announced the day it happened: spread over the months, not on the load day.
    months = (
        await session.execute(
            select(
                func.count(func.distinct(func.date_trunc("month", OutboxEvent.occurred_at)))
            ).where(OutboxEvent.type == "milestone.lagging")
        )
    ).scalar_one()
    assert months >= 6
    # Supervised where the rules say: every seriously lagging milestone got a first
    # supervision; unfixed ones escalated; some wait for the office's 问责 decision.
    serious_ids = {
        m
        for (m,) in (
            await session.execute(
                select(Milestone.id).where(Milestone.lagging_level == "seriously_lagging")
            )
        ).all()
    }
    levels = (
        await session.execute(
            select(Supervision.milestone_id, Supervision.level, Supervision.status)
        )
    ).all()
    first = {m for m, level, _ in levels if level is SupervisionLevel.first}
    assert serious_ids <= first
    assert any(level is SupervisionLevel.second for _, level, _ in levels)
    assert any(status is SupervisionStatus.proposed for _, _, status in levels)
    assert await session.scalar(select(func.count()).select_from(Problem)) >= 30
    # Every task's lead unit is never also one of its responsible units.
    overlap = await session.scalar(
        select(func.count())
        .select_from(Task)
        .join(task_responsible_units, task_responsible_units.c.task_id == Task.id)
        .where(task_responsible_units.c.unit_id == Task.lead_unit_id)
    )
    assert overlap == 0


@pytest.mark.parametrize("runs", [2])
def test_demo_cli_is_idempotent(runs: int, worker_id_name: str) -> None:
    cluster = pg.test_cluster()
    name = f"demo_cli_{worker_id_name}"
    url = pg.clone_database(cluster, name)
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test"}
    try:
        for _ in range(runs):
            result = subprocess.run(
                [sys.executable, "-m", "shared.demo", "load", "--as-of", AS_OF.isoformat()],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, result.stderr
        assert cluster.psql("SELECT count(*) FROM tasks.tasks", name).strip() == "210"
        assert cluster.psql("SELECT count(*) FROM platform.users", name).strip() == "54"
    finally:
        cluster.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
