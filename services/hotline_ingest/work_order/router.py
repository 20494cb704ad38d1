from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.hotline_ingest.work_order import service
from services.hotline_ingest.work_order.schemas import (
    Contact,
    RevealIn,
    WorkOrderDetail,
    WorkOrderFilters,
    WorkOrderOut,
    WorkOrderSort,
)
from shared.auth import Authenticated, OfficeAdmin
from shared.clock import now_utc
from shared.db import Session
from shared.downloads import XLSX, attachment
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination
from shared.validation import BusinessDate

router = APIRouter(
    prefix="/api/hotline/v1/work-orders", tags=["work orders"], responses=PROBLEM_RESPONSES
)


def _filters(
    unit: Annotated[str | None, Query(max_length=32, description="承办单位代码")] = None,
    district: Annotated[str | None, Query(max_length=32, description="区县代码")] = None,
    kind: Annotated[
        str | None, Query(description="诉求类型 consult/complaint/help/suggestion/report")
    ] = None,
    status: Annotated[
        str | None,
        Query(description="created/assigned/accepted/replied/closed/visited/returned"),
    ] = None,
    channel: Annotated[str | None, Query(description="phone/web/wechat/app")] = None,
    category: Annotated[str | None, Query(max_length=64, description="分类代码")] = None,
    domain: Annotated[str | None, Query(max_length=32, description="任务清单领域代码")] = None,
    quarantined: Annotated[bool | None, Query(description="true：只看待处理队列")] = None,
    overdue: Annotated[bool | None, Query(description="true：只看超期工单")] = None,
    received_from: Annotated[BusinessDate | None, Query(description="受理日期起（含）")] = None,
    received_to: Annotated[BusinessDate | None, Query(description="受理日期止（含）")] = None,
    q: Annotated[str | None, Query(max_length=100, description="工单号、标题或企业名称")] = None,
    sort: Annotated[WorkOrderSort, Query(description="排序")] = WorkOrderSort.received_desc,
) -> WorkOrderFilters:
    return WorkOrderFilters(
        unit=unit,
        district=district,
        kind=kind,
        status=status,
        channel=channel,
        category=category,
        domain=domain,
        quarantined=quarantined,
        overdue=overdue,
        received_from=received_from,
        received_to=received_to,
        q=q,
        sort=sort,
    )


Filters = Annotated[WorkOrderFilters, Depends(_filters)]


@router.get(
    "",
    response_model=Page[WorkOrderOut],
    summary="Work orders (office: all; a unit: those it handles), contacts masked",
)
async def list_orders(
    request: Request, principal: Authenticated, session: Session, page: Pagination, filters: Filters
) -> Page[WorkOrderOut]:
    return await service.list_orders(
        session, request.app.state.settings, principal, page, filters, now_utc()
    )


@router.get(
    "/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "xlsx"}},
    summary="The filtered work orders as xlsx (≤ 50,000 rows), contacts masked",
)
async def export(
    request: Request, principal: Authenticated, session: Session, filters: Filters
) -> Response:
    content = await service.export(
        session, request.app.state.settings, principal, filters, now_utc()
    )
    filename = f"12345工单-{now_utc():%Y%m%d}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": attachment(filename)},
    )


@router.get(
    "/{order_no}", response_model=WorkOrderDetail, summary="One work order with its full history"
)
async def detail(
    order_no: str, request: Request, principal: Authenticated, session: Session
) -> WorkOrderDetail:
    return await service.detail(session, request.app.state.settings, principal, order_no, now_utc())


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
