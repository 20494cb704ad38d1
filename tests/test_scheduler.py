"""Scheduler plumbing: one leader among replicas, one ledger row per (job kind, period)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.scheduler.jobs import start_run
from services.scheduler.leader import Leadership


async def test_only_one_replica_leads_and_leadership_passes_on(engine: AsyncEngine) -> None:
    first, second = Leadership(engine), Leadership(engine)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await first.try_acquire()  # still the leader on the next check
        await first.release()
        assert await second.try_acquire()
        assert not await first.try_acquire()
    finally:
        await first.release()
        await second.release()


async def test_a_period_is_claimed_once(session: AsyncSession) -> None:
    run = await start_run(session, "monthly_dispatch", "2026-10")
    assert run is not None
    assert await start_run(session, "monthly_dispatch", "2026-10") is None
    assert await start_run(session, "monthly_dispatch", "2026-11") is not None


async def test_a_failed_run_is_retried_after_backoff_then_done_once(
    sessionmaker,
    session: AsyncSession,  # type: ignore[no-untyped-def]
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from services.scheduler.jobs import run_once
    from shared.models import JobRun, JobRunStatus

    calls: list[int] = []

    async def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("reform_tasks unavailable")

    assert await run_once(sessionmaker, "daily_sweeps", "2026-11-24", flaky) is False
    # Not due again until its backoff has passed.
    assert await run_once(sessionmaker, "daily_sweeps", "2026-11-24", flaky) is None
    run = await session.scalar(select(JobRun).where(JobRun.job_kind == "daily_sweeps"))
    assert run is not None
    assert (run.status, run.attempt) == (JobRunStatus.failed, 1)
    assert "unavailable" in (run.error or "")
    run.finished_at = datetime.now(UTC) - timedelta(minutes=5)
    await session.commit()
    assert await run_once(sessionmaker, "daily_sweeps", "2026-11-24", flaky) is True
    assert await run_once(sessionmaker, "daily_sweeps", "2026-11-24", flaky) is None
    assert len(calls) == 2


async def test_daily_sweeps_reach_reform_tasks_as_the_scheduler(
    tasks_client,
    settings,
    factory,
    session: AsyncSession,  # type: ignore[no-untyped-def]
) -> None:
    from datetime import date

    from sqlalchemy import select

    from services.scheduler.jobs import daily_sweeps
    from shared.http import ServiceTokens
    from shared.models import OutboxEvent

    programme = await factory.programme("2026")
    lead = await factory.unit("shichang")
    await factory.task(programme, 1, lead, [], milestones=[(date(2026, 3, 31), "方案")])
    await daily_sweeps(
        tasks_client,
        settings.model_copy(update={"reform_tasks_url": ""}),
        ServiceTokens(settings),
        "2026-11-24",
    )
    lagging = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "milestone.lagging"))
    ).all()
    assert [(e.unit_code, e.data["severity"]) for e in lagging] == [
        ("shichang", "seriously_lagging")
    ]
