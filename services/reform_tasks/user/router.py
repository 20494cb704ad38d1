from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.reform_tasks.user import service
from services.reform_tasks.user.schemas import UserCreate, UserOut, UserUpdate
from shared.auth import OfficeAdmin, OfficeRead
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models.platform import Role
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1/users", tags=["users"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[UserOut], summary="User accounts (office)")
async def list_users(
    principal: OfficeRead,
    session: Session,
    page: Pagination,
    role: Role | None = None,
    unit: Annotated[str | None, Query(description="单位代码")] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[UserOut]:
    return await service.list_users(session, page, role=role, unit_code=unit, q=q)


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Add a user")
async def create_user(body: UserCreate, principal: OfficeAdmin, session: Session) -> UserOut:
    return await service.create_user(session, principal, body)


@router.patch("/{username}", response_model=UserOut, summary="Change role, unit, status, password")
async def update_user(
    username: str, body: UserUpdate, principal: OfficeAdmin, session: Session
) -> UserOut:
    return await service.update_user(session, principal, username, body)
