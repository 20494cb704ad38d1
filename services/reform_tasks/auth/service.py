"""Login: username + password → a signed token (shared.auth does the signing and hashing)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.auth.repository import UserRepository
from services.reform_tasks.auth.schemas import Me, TokenResponse
from shared.auth import Principal, issue_token, verify_password_async
from shared.errors import NotFound, Unauthorized
from shared.settings import Settings


async def login(
    session: AsyncSession, settings: Settings, username: str, password: str
) -> TokenResponse:
    user = await UserRepository(session).get_by_username(username.strip())
    valid = await verify_password_async(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        raise Unauthorized("用户名或密码错误")
    if user.unit is not None and not user.unit.is_active:
        raise Unauthorized("所属单位已停用，请联系改革办")
    token = issue_token(
        settings,
        username=user.username,
        role=user.role,
        unit_code=user.unit.code if user.unit else None,
        user_id=user.id,
    )
    return TokenResponse(access_token=token, expires_in=settings.jwt_ttl_seconds)


async def me(session: AsyncSession, principal: Principal) -> Me:
    user = await UserRepository(session).get_by_username(principal.username)
    if user is None or not user.is_active:
        raise NotFound("当前账号不存在或已停用")
    return Me(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        unit_code=user.unit.code if user.unit else None,
        unit_name=user.unit.name if user.unit else None,
    )
