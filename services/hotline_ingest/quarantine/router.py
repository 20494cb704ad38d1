from __future__ import annotations

from fastapi import APIRouter, Request

from services.hotline_ingest.quarantine import service
from services.hotline_ingest.quarantine.schemas import (
    CategoryIn,
    CategoryOut,
    ResolveIn,
    ResolveOut,
    UnitMappingOut,
)
from services.hotline_ingest.work_order.schemas import WorkOrderOut
from services.hotline_ingest.work_order.service import to_out
from shared.auth import Authenticated, OfficeAdmin, OfficeRead, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/hotline/v1", tags=["quarantine"], responses=PROBLEM_RESPONSES)


@router.get(
    "/quarantine",
    response_model=Page[WorkOrderOut],
    summary="The quarantine queue: orders kept but not scored until the office resolves them",
)
async def queue(
    request: Request, principal: OfficeRead, session: Session, page: Pagination
) -> Page[WorkOrderOut]:
    rows, total = await service.queue(session, page)
    settings = request.app.state.settings
    return Page[WorkOrderOut](items=[to_out(o, settings) for o in rows], total=total)


@router.post(
    "/quarantine/{order_no}/resolve",
    response_model=ResolveOut,
    summary="Map the unknown code (or dispatch to a unit), then replay the waiting orders",
)
async def resolve(
    order_no: str, body: ResolveIn, request: Request, principal: OfficeWrite, session: Session
) -> ResolveOut:
    settings = request.app.state.settings
    resolution = service.Resolution(
        unit_code=body.unit_code,
        category=body.category.model_dump() if body.category else None,
        category_code=body.category_code,
    )
    order, released = await service.resolve(session, settings, principal, order_no, resolution)
    return ResolveOut(order=to_out(order, settings), released=released)


@router.get(
    "/unit-mappings",
    response_model=Page[UnitMappingOut],
    summary="The platform's handling-unit codes the office mapped to ours",
)
async def unit_mappings(principal: OfficeRead, session: Session) -> Page[UnitMappingOut]:
    rows = await service.unit_mappings(session)
    return Page[UnitMappingOut](
        items=[UnitMappingOut.model_validate(r) for r in rows], total=len(rows)
    )


@router.get(
    "/categories",
    response_model=Page[CategoryOut],
    summary="Hotline categories and the task-list domain each maps to",
)
async def list_categories(principal: Authenticated, session: Session) -> Page[CategoryOut]:
    rows = await service.categories(session)
    return Page[CategoryOut](items=[CategoryOut.model_validate(r) for r in rows], total=len(rows))


@router.put(
    "/categories/{code}",
    response_model=CategoryOut,
    summary="Set a category and its domain (office admin); releases orders waiting for it",
)
async def set_category(
    code: str, body: CategoryIn, request: Request, principal: OfficeAdmin, session: Session
) -> CategoryOut:
    await service.put_category(
        session, request.app.state.settings, principal, code, body.name, body.domain_code
    )
    return CategoryOut(code=code, **body.model_dump())
