"""The scheduler's run ledger (platform.job_runs), for the office: what ran, when, and how."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.reform_tasks.scheduler_runs import service
from services.reform_tasks.scheduler_runs.schemas import JobRunOut
from shared.auth import OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import JobRunStatus
from shared.pagination import Page, Pagination

router = APIRouter(
    prefix="/api/tasks/v1/scheduler", tags=["scheduler"], responses=PROBLEM_RESPONSES
)


@router.get(
    "/runs", response_model=Page[JobRunOut], summary="Scheduler runs, newest first (office)"
)
async def list_runs(
    principal: OfficeWrite,
    session: Session,
    page: Pagination,
    job_kind: Annotated[str | None, Query(max_length=64, description="任务类型")] = None,
    status: Annotated[
        JobRunStatus | None, Query(description="running / succeeded / failed")
    ] = None,
) -> Page[JobRunOut]:
    return await service.list_runs(session, page, job_kind, status)
