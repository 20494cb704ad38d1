from __future__ import annotations

from fastapi import APIRouter, Request

from services.hotline_ingest.reminders import service as reminder_service
from services.hotline_ingest.sweep import service
from services.hotline_ingest.sweep.service import SweepResult
from shared.auth import OfficeOrService
from shared.clock import now_utc
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/hotline/v1/sweeps", tags=["sweeps"], responses=PROBLEM_RESPONSES)


@router.post(
    "/overdue",
    response_model=SweepResult,
    summary="Tell evaluation about orders that became overdue (once each)",
)
async def overdue(principal: OfficeOrService, session: Session) -> SweepResult:
    return await service.overdue(session, now_utc())


@router.post(
    "/response-expiry",
    response_model=SweepResult,
    summary="Tell evaluation about orders whose signing limit passed unsigned (once each)",
)
async def response_expiry(
    request: Request, principal: OfficeOrService, session: Session
) -> SweepResult:
    return await service.response_expiry(session, request.app.state.settings, now_utc())


@router.post(
    "/reminders",
    response_model=SweepResult,
    summary="催办: remind units of orders past a signing or closing limit, escalating (once each)",
)
async def reminders(request: Request, principal: OfficeOrService, session: Session) -> SweepResult:
    return await reminder_service.sweep(session, request.app.state.settings, now_utc())
