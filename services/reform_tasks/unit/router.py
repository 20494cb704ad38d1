from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from services.reform_tasks.unit import reorganisation, service
from services.reform_tasks.unit.schemas import (
    DeactivateIn,
    MergeIn,
    ReorganisationOut,
    SplitIn,
    UnitCreate,
    UnitOut,
    UnitUpdate,
)
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


DryRun = Annotated[bool, Query(description="只预览将要转出的事项，不做任何调整")]


@router.post(
    "/{code}/merge",
    response_model=ReorganisationOut,
    summary="Merge a unit into another (机构改革): its open items, accounts and 12345 codes move",
    description="未办结事项（在办任务的牵头与责任、待审核报送、待审批延期、未办结督办、未整改问题）、"
    "账号和未办结12345工单转入存续单位；已办结的历史仍属本单位。本单位停用并记为已并入存续单位，"
    "其名称在不与其他在用单位重名时成为存续单位的别名。不同类型的单位、已停用的单位不能合并（409）。",
)
async def merge_unit(
    code: str,
    body: MergeIn,
    request: Request,
    principal: OfficeAdmin,
    session: Session,
    dry_run: DryRun = False,
) -> ReorganisationOut:
    settings = request.app.state.settings
    return await reorganisation.merge(session, settings, principal, code, body, dry_run=dry_run)


@router.post(
    "/{code}/split",
    response_model=ReorganisationOut,
    summary="Split a unit (机构改革): the office assigns each open item to one of the new units",
    description="预览列出每个需要分配的未办结事项；正式拆分时每项都须分配给 into 中的单位，"
    "缺少或无效的分配 422 逐项列出。拆分后本单位停用（keep=true 时保留，未分配的事项留在本单位）。",
)
async def split_unit(
    code: str,
    body: SplitIn,
    request: Request,
    principal: OfficeAdmin,
    session: Session,
    dry_run: DryRun = False,
) -> ReorganisationOut:
    settings = request.app.state.settings
    return await reorganisation.split(session, settings, principal, code, body, dry_run=dry_run)


@router.post(
    "/{code}/deactivate",
    response_model=ReorganisationOut,
    summary="Deactivate a unit; refused while it has open items unless reassign_to takes them",
    description="有未办结事项或12345工单时 409 逐项列出，除非指定承接单位 reassign_to"
    "（事项、账号和12345工单转入该单位）；直接停用时本单位账号一并停用。",
)
async def deactivate_unit(
    code: str,
    body: DeactivateIn,
    request: Request,
    principal: OfficeAdmin,
    session: Session,
    dry_run: DryRun = False,
) -> ReorganisationOut:
    settings = request.app.state.settings
    return await reorganisation.deactivate(
        session, settings, principal, code, body, dry_run=dry_run
    )
