"""Jobs the scheduler runs while it is leader, each recorded in the run ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.models import JobRun, JobRunStatus, OutboxEvent

OUTBOX_RETENTION = timedelta(days=30)


async def start_run(session: AsyncSession, job_kind: str, period: str) -> JobRun | None:
    """Claim (job kind, period) in the ledger; None if another run already has it."""
    row_id = (
        await session.execute(
            insert(JobRun)
            .values(job_kind=job_kind, period=period, status=JobRunStatus.running)
            .on_conflict_do_nothing(index_elements=[JobRun.job_kind, JobRun.period])
            .returning(JobRun.id)
        )
    ).scalar_one_or_none()
    if row_id is None:
        return None
    return await session.scalar(select(JobRun).where(JobRun.id == row_id))


async def prune_delivered_outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> int | None:
    """Daily: delete outbox rows delivered more than 30 days ago (the inbox keeps the ids)."""
    now = datetime.now(UTC)
    period = now.date().isoformat()
    async with sessionmaker() as session, session.begin():
        run = await start_run(session, "outbox_prune", period)
        if run is None:
            return None
    try:
        async with sessionmaker() as session, session.begin():
            result = await session.execute(
                delete(OutboxEvent).where(
                    OutboxEvent.delivered_at.is_not(None),
                    OutboxEvent.delivered_at < now - OUTBOX_RETENTION,
                )
            )
            deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
        status, error = JobRunStatus.succeeded, None
    except Exception as exc:
        deleted, status, error = 0, JobRunStatus.failed, f"{type(exc).__name__}: {exc}"
    async with sessionmaker() as session, session.begin():
        run = await session.get(JobRun, run.id)
        assert run is not None
        run.status, run.error, run.finished_at = status, error, datetime.now(UTC)
    return deleted
