from __future__ import annotations

from fastapi import APIRouter, Request

from services.hotline_ingest.dependencies import PeriodQuery
from services.hotline_ingest.returns import service
from services.hotline_ingest.returns.schemas import (
    DecisionIn,
    DecisionOut,
    ReturnOut,
    ReturnSummary,
)
from services.hotline_ingest.work_order.service import to_out
from shared.auth import Authenticated, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/hotline/v1/returns", tags=["returns"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    response_model=Page[ReturnOut],
    summary="The returns (退单) waiting for the office's review; a unit sees its own",
)
async def queue(
    request: Request, principal: Authenticated, session: Session, page: Pagination
) -> Page[ReturnOut]:
    rows, total = await service.queue(session, principal, page)
    settings = request.app.state.settings
    return Page[ReturnOut](
        items=[
            ReturnOut(
                order=to_out(o, settings), returned_at=o.returned_at, reason=o.returned_reason
            )
            for o in rows
        ],
        total=total,
    )


@router.get(
    "/summary",
    response_model=Page[ReturnSummary],
    summary="Returns per unit in a period: returned, approved (re-dispatched), rejected, pending",
)
async def summary(
    principal: Authenticated, session: Session, period: PeriodQuery
) -> Page[ReturnSummary]:
    rows = await service.summary(session, principal, period)
    items = [
        ReturnSummary(
            unit_code=code,
            unit_name=name,
            returned=returned,
            approved=approved,
            rejected=rejected,
            pending=pending,
        )
        for code, name, returned, approved, rejected, pending in rows
    ]
    return Page[ReturnSummary](items=items, total=len(items))


@router.post(
    "/{order_no}/decision",
    response_model=DecisionOut,
    summary="Approve a return (re-dispatch to another unit) or reject it (back to the unit)",
)
async def decide(
    order_no: str, body: DecisionIn, request: Request, principal: OfficeWrite, session: Session
) -> DecisionOut:
    settings = request.app.state.settings
    order = await service.decide(
        session,
        settings,
        principal,
        order_no,
        approve=body.decision == "approve",
        unit_code=body.unit_code,
        reason=body.reason,
    )
    return DecisionOut(order=to_out(order, settings), decision=body.decision)
