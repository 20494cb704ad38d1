from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.supervision import service as supervision
from services.reform_tasks.supervision.schemas import EscalationSummary
from services.reform_tasks.sweep import service
from services.reform_tasks.sweep.service import SweepResult
from shared.auth import OfficeOrService
from shared.clock import today_shanghai
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/tasks/v1/sweeps", tags=["sweeps"], responses=PROBLEM_RESPONSES)
AsOf = Annotated[date | None, Query(description="截至日期（默认今天）")]


@router.post(
    "/lagging",
    response_model=SweepResult,
    summary="Announce milestones that became lagging / seriously lagging (once each)",
)
async def lagging(
    principal: OfficeOrService,
    session: Session,
    programme: CurrentProgramme,
    as_of: AsOf = None,
) -> SweepResult:
    return await service.lagging(session, programme, as_of or today_shanghai())


@router.post(
    "/problems",
    response_model=SweepResult,
    summary="Announce problems that became overdue (once each)",
)
async def problems(
    principal: OfficeOrService,
    session: Session,
    programme: CurrentProgramme,
    as_of: AsOf = None,
) -> SweepResult:
    return await service.overdue_problems(session, programme, as_of or today_shanghai())


@router.post(
    "/supervision",
    response_model=EscalationSummary,
    summary="Escalate overdue supervisions: 督办 → 二次督办 → 问责",
)
async def escalate(
    principal: OfficeOrService,
    session: Session,
    programme: CurrentProgramme,
    as_of: AsOf = None,
) -> EscalationSummary:
    return await supervision.escalate(session, principal, programme, as_of or today_shanghai())
