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
