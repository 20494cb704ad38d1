from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.hotline_ingest.rates import service
from services.hotline_ingest.rates.service import UnitRates
from shared.auth import Authenticated
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, ValidationFailed
from shared.pagination import Page
from shared.periods import parse_period

router = APIRouter(prefix="/api/hotline/v1", tags=["rates"], responses=PROBLEM_RESPONSES)


@router.get(
    "/rates",
    response_model=Page[UnitRates],
    summary="Response / resolution / satisfaction rates per unit, with the previous period",
)
async def rates(
    request: Request,
    principal: Authenticated,
    session: Session,
    period: Annotated[str, Query(description="2026、2026-H1、2026-Q3 或 2026-10")] = "2026",
    by: Annotated[str, Query(pattern="^(unit|district)$", description="按承办单位或区县")] = "unit",
) -> Page[UnitRates]:
    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    items = await service.rates(session, request.app.state.settings, principal, parsed, by)
    return Page[UnitRates](items=items, total=len(items))
