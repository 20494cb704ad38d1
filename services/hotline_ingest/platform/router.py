"""Platforms whose payloads differ (issue #26): their field mappings (office admin edits, every
office user reads) and the review list of deliveries kept but not applied."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from services.hotline_ingest.platform import service
from services.hotline_ingest.platform.schemas import (
    PLATFORM_PATTERN,
    DeliveryOut,
    MappingIn,
    MappingOut,
)
from shared.auth import OfficeAdmin, OfficeRead
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/hotline/v1", tags=["platforms"], responses=PROBLEM_RESPONSES)

PlatformPath = Annotated[
    str, Path(pattern=PLATFORM_PATTERN, description="平台代码（密钥前缀，如 prov）")
]
Outcome = Literal["rejected_schema", "rejected_mapping", "ignored_type"]


@router.get(
    "/platforms/{code}/mapping",
    response_model=MappingOut,
    summary="A platform's field mapping (the newest version applies) and its versions",
)
async def get_mapping(
    code: PlatformPath, request: Request, principal: OfficeRead, session: Session
) -> MappingOut:
    return await service.mapping(session, request.app.state.settings, code)


@router.put(
    "/platforms/{code}/mapping",
    response_model=MappingOut,
    summary="Save a platform's field mapping as its next version (office admin)",
)
async def put_mapping(
    code: PlatformPath, body: MappingIn, request: Request, principal: OfficeAdmin, session: Session
) -> MappingOut:
    state = request.app.state
    return await service.put_mapping(
        session,
        state.settings,
        principal,
        code,
        body.document,
        body.base_version,
        state.platform_mappings,
    )


@router.get(
    "/deliveries",
    response_model=Page[DeliveryOut],
    summary="Deliveries kept but not applied (schema or mapping failures), for review",
)
async def kept_deliveries(
    principal: OfficeRead,
    session: Session,
    page: Pagination,
    outcome: Annotated[
        list[Outcome] | None,
        Query(description="默认 rejected_schema 与 rejected_mapping；ignored_type：未知事件类型"),
    ] = None,
    platform: Annotated[str | None, Query(max_length=32, description="平台代码")] = None,
) -> Page[DeliveryOut]:
    rows, total = await service.kept_deliveries(session, outcome or [], platform, page)
    return Page[DeliveryOut](items=[DeliveryOut.model_validate(r) for r in rows], total=total)
