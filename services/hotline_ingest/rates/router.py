from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from services.hotline_ingest.dependencies import PeriodQuery
from services.hotline_ingest.rates import service
from services.hotline_ingest.rates.schemas import UnitRates, UnitTrend
from shared.auth import Authenticated
from shared.clock import now_utc
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page

router = APIRouter(prefix="/api/hotline/v1/rates", tags=["rates"], responses=PROBLEM_RESPONSES)
By = Annotated[Literal["unit", "district"], Query(description="按承办单位或区县")]


@router.get(
    "",
    response_model=Page[UnitRates],
    summary="The four rates per unit (shared.hotline_rates), with the previous period",
)
async def rates(
    request: Request,
    principal: Authenticated,
    session: Session,
    period: PeriodQuery,
    by: By = "unit",
) -> Page[UnitRates]:
    items = await service.rates(
        session, request.app.state.settings, principal, period, by, now_utc()
    )
    return Page[UnitRates](items=items, total=len(items))


@router.get(
    "/total",
    response_model=UnitRates,
    summary="The four rates over every order the caller can read (the office: the city's)",
)
async def total(
    request: Request, principal: Authenticated, session: Session, period: PeriodQuery
) -> UnitRates:
    return await service.total(session, request.app.state.settings, principal, period, now_utc())


@router.get(
    "/{unit_code}/trend",
    response_model=UnitTrend,
    summary="One unit's four rates month by month (units: their own only)",
)
async def trend(
    unit_code: str,
    request: Request,
    principal: Authenticated,
    session: Session,
    year: Annotated[int, Query(ge=2000, le=2100, description="年度")] = 2026,
    by: By = "unit",
) -> UnitTrend:
    return await service.trend(
        session, request.app.state.settings, principal, unit_code, year, by, now_utc()
    )
