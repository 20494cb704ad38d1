"""The scheduler's run ledger as the office reads it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.scheduler_runs.repository import JobRunRepository
from services.reform_tasks.scheduler_runs.schemas import JobRunOut
from shared.models import JobRunStatus
from shared.pagination import Page, PageParams


async def list_runs(
    session: AsyncSession, page: PageParams, job_kind: str | None, status: JobRunStatus | None
) -> Page[JobRunOut]:
    rows, total = await JobRunRepository(session).runs(page, job_kind, status)
    return Page[JobRunOut](
        items=[
            JobRunOut(
                id=r.id,
                job_kind=r.job_kind,
                period=r.period,
                status=r.status,
                attempt=r.attempt,
                started_at=r.started_at,
                finished_at=r.finished_at,
                error=r.error,
            )
            for r in rows
        ],
        total=total,
    )
