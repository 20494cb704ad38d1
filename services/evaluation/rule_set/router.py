from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, status

from services.evaluation.rule_set import service
from services.evaluation.rule_set.schemas import (
    PublishRequest,
    RuleSetBody,
    RuleSetOut,
    default_rule_set,
)
from shared.auth import Authenticated, OfficeAdmin
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page

router = APIRouter(prefix="/api/evaluation/v1", tags=["rule sets"], responses=PROBLEM_RESPONSES)


@router.get("/rule-sets/schema", summary="JSON Schema of a rule set body")
async def schema(principal: Authenticated) -> dict[str, Any]:
    return RuleSetBody.model_json_schema()


@router.get("/rule-sets/default", response_model=RuleSetBody, summary="The default rule set")
async def default(principal: Authenticated) -> RuleSetBody:
    return default_rule_set()


@router.get("/rule-sets", response_model=Page[RuleSetOut], summary="A programme's versions")
async def list_rule_sets(
    principal: Authenticated, session: Session, programme: str = "2026"
) -> Page[RuleSetOut]:
    items = [service.to_out(r) for r in await service.list_rule_sets(session, programme)]
    return Page[RuleSetOut](items=items, total=len(items))


@router.get("/rule-sets/{programme}/{version}", response_model=RuleSetOut, summary="One version")
async def get_rule_set(
    programme: str, version: int, principal: Authenticated, session: Session
) -> RuleSetOut:
    return service.to_out(await service.get(session, programme, version))


@router.post(
    "/rule-sets/{programme}",
    response_model=RuleSetOut,
    status_code=status.HTTP_201_CREATED,
    summary="New draft version (validated; 422 names the failing path)",
)
async def create_draft(
    programme: str,
    principal: OfficeAdmin,
    session: Session,
    body: dict[str, Any] = Body(..., description="评分规则 (see /rule-sets/schema)"),
    note: str = Body("", max_length=500),
) -> RuleSetOut:
    return service.to_out(await service.create_draft(session, principal, programme, body, note))


@router.put("/rule-sets/{programme}/{version}", response_model=RuleSetOut, summary="Edit a draft")
async def update_draft(
    programme: str,
    version: int,
    principal: OfficeAdmin,
    session: Session,
    body: dict[str, Any] = Body(...),
    note: str = Body("", max_length=500),
) -> RuleSetOut:
    rule_set = await service.get(session, programme, version)
    return service.to_out(await service.update_draft(session, principal, rule_set, body, note))


@router.post(
    "/rule-sets/{programme}/{version}/publish",
    response_model=RuleSetOut,
    summary="Publish a draft from a date (mid-period needs explicit confirmation)",
)
async def publish(
    programme: str,
    version: int,
    request: PublishRequest,
    principal: OfficeAdmin,
    session: Session,
) -> RuleSetOut:
    rule_set = await service.get(session, programme, version)
    return service.to_out(await service.publish(session, principal, rule_set, request))
