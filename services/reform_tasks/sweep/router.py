from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.supervision import service as supervision
from services.reform_tasks.supervision.schemas import EscalationSummary
from services.reform_tasks.sweep import service
from services.reform_tasks.sweep.schemas import LaggingSweepResult, OverdueSweepResult
from shared.auth import OfficeOrService
from shared.clock import today_shanghai
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.validation import BusinessDate

router = APIRouter(prefix="/api/tasks/v1/sweeps", tags=["sweeps"], responses=PROBLEM_RESPONSES)
AsOf = Annotated[BusinessDate | None, Query(description="截至日期（默认今天，上海时间）")]


@router.post(
    "/lagging",
    response_model=LaggingSweepResult,
    summary="Announce milestones that became lagging / seriously lagging (once each; office or "
    "scheduler)",
)
async def lagging(
    principal: OfficeOrService,
    session: Session,
    programme: CurrentProgramme,
    as_of: AsOf = None,
) -> LaggingSweepResult:
    return await service.lagging(session, principal, programme, as_of or today_shanghai())


@router.post(
    "/problems",
    response_model=OverdueSweepResult,
    summary="Announce problems that became overdue (once each; office or scheduler)",
)
async def problems(
    principal: OfficeOrService,
    session: Session,
    programme: CurrentProgramme,
    as_of: AsOf = None,
) -> OverdueSweepResult:
    return await service.overdue_problems(session, principal, programme, as_of or today_shanghai())


@router.post(
    "/supervision",
    response_model=EscalationSummary,
    summary="Escalate overdue supervisions: 督办 → 二次督办 → 问责 (office or scheduler)",
)
async def escalate(
    principal: OfficeOrService,
    session: Session,
    programme: CurrentProgramme,
    as_of: AsOf = None,
) -> EscalationSummary:
    return await supervision.escalate(session, principal, programme, as_of or today_shanghai())
