from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.hotline_ingest.appeals import service
from services.hotline_ingest.appeals.schemas import (
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    AppealStatus,
)
from shared.auth import Authenticated, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import Appeal
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/hotline/v1/appeals", tags=["appeals"], responses=PROBLEM_RESPONSES)


async def _out(request: Request, session: Session, appeal: Appeal) -> AppealOut:
    out = AppealOut.model_validate(appeal)
    out.appeal_deadline = await service.deadline(
        session, request.app.state.settings, appeal.visited_at
    )
    return out


@router.get(
    "",
    response_model=Page[AppealOut],
    summary="Appeals (申诉) of dissatisfied visits, pending first; a unit sees its own",
)
async def appeals(
    request: Request,
    principal: Authenticated,
    session: Session,
    page: Pagination,
    status: Annotated[AppealStatus | None, Query(description="pending/upheld/overturned")] = None,
    unit: Annotated[str | None, Query(max_length=32, description="承办单位代码")] = None,
    order_no: Annotated[str | None, Query(max_length=64, description="工单号")] = None,
) -> Page[AppealOut]:
    rows, total = await service.appeals(session, principal, page, status, unit, order_no)
    return Page[AppealOut](items=[await _out(request, session, a) for a in rows], total=total)


@router.post(
    "",
    response_model=AppealOut,
    status_code=201,
    summary="The handling unit appeals its order's dissatisfied visit, with evidence",
)
async def create(
    body: AppealIn, request: Request, principal: Authenticated, session: Session
) -> AppealOut:
    appeal = await service.create(
        session,
        request.app.state.settings,
        principal,
        body.order_no,
        body.reason,
        body.evidence,
    )
    return await _out(request, session, appeal)


@router.post(
    "/{appeal_id}/decision",
    response_model=AppealOut,
    summary="The office upholds the rating or overturns it (it leaves the satisfaction rate)",
)
async def decide(
    appeal_id: int,
    body: AppealDecisionIn,
    request: Request,
    principal: OfficeWrite,
    session: Session,
) -> AppealOut:
    appeal = await service.decide(
        session,
        request.app.state.settings,
        principal,
        appeal_id,
        body.decision == "overturned",
        body.reason,
    )
    return await _out(request, session, appeal)
