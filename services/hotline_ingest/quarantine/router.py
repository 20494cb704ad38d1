from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.hotline_ingest.quarantine import service
from services.hotline_ingest.work_order.schemas import WorkOrderOut
from services.hotline_ingest.work_order.service import to_out
from shared.auth import Authenticated, OfficeAdmin, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page

router = APIRouter(prefix="/api/hotline/v1", tags=["quarantine"], responses=PROBLEM_RESPONSES)


class CategoryIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    domain_code: str | None = Field(default=None, max_length=32, description="任务清单领域代码")


class CategoryOut(CategoryIn):
    model_config = ConfigDict(from_attributes=True)

    code: str


class ResolveIn(BaseModel):
    unit_code: str | None = Field(default=None, description="把平台的承办单位代码映射到本单位")
    category: CategoryIn | None = Field(default=None, description="登记平台的新分类")


@router.post(
    "/quarantine/{order_no}/resolve",
    response_model=WorkOrderOut,
    summary="Map the unknown code, then replay the order (office)",
)
async def resolve(
    order_no: str, body: ResolveIn, request: Request, principal: OfficeWrite, session: Session
) -> WorkOrderOut:
    order = await service.resolve(
        session,
        request.app.state.settings,
        principal,
        order_no,
        body.unit_code,
        body.category.model_dump() if body.category else None,
    )
    return to_out(order, request.app.state.settings)


@router.get(
    "/categories",
    response_model=Page[CategoryOut],
    summary="Hotline categories and the task-list domain each maps to",
)
async def list_categories(principal: Authenticated, session: Session) -> Page[CategoryOut]:
    rows = await service.categories(session)
    return Page[CategoryOut](items=[CategoryOut.model_validate(r) for r in rows], total=len(rows))


@router.put("/categories/{code}", response_model=CategoryOut, summary="Set a category (admin)")
async def set_category(
    code: str, body: CategoryIn, principal: OfficeAdmin, session: Session
) -> CategoryOut:
    await service.upsert_category(session, principal, code, body.name, body.domain_code)
    return CategoryOut(code=code, **body.model_dump())
