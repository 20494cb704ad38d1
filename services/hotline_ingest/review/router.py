from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.hotline_ingest.dependencies import PeriodQuery
from services.hotline_ingest.review import service
from services.hotline_ingest.review.schemas import ReviewOut, ReviewSummary
from shared.auth import Authenticated
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/hotline/v1/reviews", tags=["reviews"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[ReviewOut], summary="Service reviews (好差评) from visits")
async def reviews(
    principal: Authenticated,
    session: Session,
    page: Pagination,
    period: PeriodQuery,
    unit: Annotated[str | None, Query(max_length=32, description="承办单位代码")] = None,
    rating: Annotated[
        Literal["good", "bad"] | None, Query(description="good 好评 / bad 差评")
    ] = None,
) -> Page[ReviewOut]:
    return await service.reviews(session, principal, period, page, unit=unit, rating=rating)


@router.get(
    "/summary",
    response_model=Page[ReviewSummary],
    summary="Good and bad reviews per handling unit or district",
)
async def summary(
    principal: Authenticated,
    session: Session,
    period: PeriodQuery,
    by: Annotated[Literal["unit", "district"], Query(description="按承办单位或区县")] = "unit",
) -> Page[ReviewSummary]:
    items = await service.summary(session, principal, period, by)
    return Page[ReviewSummary](items=items, total=len(items))
