from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.hotline_ingest.work_order import service
from services.hotline_ingest.work_order.schemas import (
    Contact,
    RevealIn,
    WorkOrderDetail,
    WorkOrderOut,
)
from shared.auth import Authenticated, OfficeAdmin
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(
    prefix="/api/hotline/v1/work-orders", tags=["work orders"], responses=PROBLEM_RESPONSES
)


@router.get(
    "",
    response_model=Page[WorkOrderOut],
    summary="Work orders (office: all; a unit: those it handles), contacts masked",
)
async def list_orders(
    request: Request,
    principal: Authenticated,
    session: Session,
    page: Pagination,
    unit: Annotated[str | None, Query(description="承办单位代码")] = None,
    district: Annotated[str | None, Query(description="区县代码")] = None,
    kind: Annotated[str | None, Query(description="诉求类型")] = None,
    status: Annotated[str | None, Query(description="工单状态")] = None,
    quarantined: Annotated[bool | None, Query(description="只看待处理（未知承办单位）")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[WorkOrderOut]:
    return await service.list_orders(
        session,
        request.app.state.settings,
        principal,
        page,
        unit=unit,
        district=district,
        kind=kind,
        status=status,
        quarantined=quarantined,
        q=q,
    )


@router.get("/{order_no}", response_model=WorkOrderDetail, summary="One work order with its events")
async def detail(
    order_no: str, request: Request, principal: Authenticated, session: Session
) -> WorkOrderDetail:
    return await service.detail(session, request.app.state.settings, principal, order_no)


@router.post(
    "/{order_no}/reveal-contact",
    response_model=Contact,
    summary="Reveal one order's contact (office admin, with a reason; audited)",
)
async def reveal(
    order_no: str, body: RevealIn, request: Request, principal: OfficeAdmin, session: Session
) -> Contact:
    return await service.reveal(
        session, request.app.state.settings, principal, order_no, body.reason
    )
