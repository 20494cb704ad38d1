from __future__ import annotations

from fastapi import APIRouter, Request

from services.hotline_ingest.repeats import service
from services.hotline_ingest.repeats.schemas import RepeatChange, RepeatsOut
from shared.auth import Authenticated, OfficeWrite
from shared.clock import now_utc
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES

router = APIRouter(
    prefix="/api/hotline/v1/work-orders", tags=["repeat requests"], responses=PROBLEM_RESPONSES
)


@router.get(
    "/{order_no}/repeats",
    response_model=RepeatsOut,
    summary="Repeat requests (重复诉求): what the order repeats, and its repeats",
)
async def repeats(order_no: str, principal: Authenticated, session: Session) -> RepeatsOut:
    return await service.repeats(session, principal, order_no)


@router.post(
    "/{order_no}/repeats",
    response_model=RepeatsOut,
    summary="Link the order as a repeat request of another, or unlink it (office; audited)",
)
async def change(
    order_no: str, body: RepeatChange, request: Request, principal: OfficeWrite, session: Session
) -> RepeatsOut:
    return await service.change(
        session, request.app.state.settings, principal, order_no, body, now_utc()
    )
