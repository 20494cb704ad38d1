from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.reform_tasks.unit import service
from services.reform_tasks.unit.schemas import UnitCreate, UnitOut, UnitUpdate
from shared.auth import Authenticated, OfficeAdmin
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models.platform import UnitKind
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1/units", tags=["units"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[UnitOut], summary="List units (filter by kind, search name)")
async def list_units(
    principal: Authenticated,
    session: Session,
    page: Pagination,
    kind: Annotated[UnitKind | None, Query(description="单位类型")] = None,
    q: Annotated[
        str | None, Query(max_length=64, description="按名称、简称、别名或代码搜索")
    ] = None,
) -> Page[UnitOut]:
    return await service.list_units(session, page, kind=kind, q=q)


@router.post(
    "",
    response_model=UnitOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a unit",
    description="代码、全称、简称和别名不得与其他在用单位的任一名称相同"
    "（不区分大小写和全角半角），否则 409。",
)
async def create_unit(body: UnitCreate, principal: OfficeAdmin, session: Session) -> UnitOut:
    return await service.create_unit(session, principal, body)


@router.get("/{code}", response_model=UnitOut, summary="One unit by code")
async def get_unit(code: str, principal: Authenticated, session: Session) -> UnitOut:
    return await service.get_unit(session, code)


@router.patch(
    "/{code}",
    response_model=UnitOut,
    summary="Change a unit (names, aliases, status)",
    description="改名后原全称、原简称自动保留为别名（与其他在用单位重名的除外）；"
    "新名称或重新启用的单位与其他在用单位重名时 409。",
)
async def update_unit(
    code: str, body: UnitUpdate, principal: OfficeAdmin, session: Session
) -> UnitOut:
    return await service.update_unit(session, principal, code, body)
