"""Queries of the scheduler's run ledger (platform.job_runs)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from shared.models import JobRun, JobRunStatus
from shared.pagination import PageParams
from shared.repository import RepositoryBase


class JobRunRepository(RepositoryBase[JobRun]):
    model = JobRun

    async def runs(
        self, page: PageParams, job_kind: str | None, status: JobRunStatus | None
    ) -> tuple[Sequence[JobRun], int]:
        """Newest first, optionally of one kind and status; with the total."""
        statement = select(JobRun)
        if job_kind:
            statement = statement.where(JobRun.job_kind == job_kind)
        if status:
            statement = statement.where(JobRun.status == status)
        return await self.paginate(
            statement.order_by(JobRun.started_at.desc(), JobRun.id.desc()), page
        )
