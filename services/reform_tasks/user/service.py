"""User accounts: the office's and one or more per unit. Office admins manage them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.user.repository import UserRepository
from services.reform_tasks.user.schemas import UserCreate, UserOut, UserUpdate
from shared import audit
from shared.auth import Principal, hash_password_async
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.models.platform import UNIT_ROLES, Role, Unit, User
from shared.pagination import Page, PageParams

# Roles whose users act for a unit and therefore need one; machines have none.
NEEDS_UNIT = UNIT_ROLES
NO_UNIT = frozenset({Role.hotline_platform, Role.service})


def to_out(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        unit_code=user.unit.code if user.unit else None,
        unit_name=user.unit.name if user.unit else None,
        is_active=user.is_active,
    )


def _snapshot(user: User) -> dict[str, Any]:
    # Never the password hash: audit rows are read by people.
    return {
        "display_name": user.display_name,
        "role": user.role,
        "unit_id": user.unit_id,
        "is_active": user.is_active,
    }


async def list_users(
    session: AsyncSession,
    page: PageParams,
    *,
    role: Role | None,
    unit_code: str | None,
    q: str | None,
) -> Page[UserOut]:
    repo = UserRepository(session)
    items, total = await repo.paginate(
        repo.list_statement(role=role, unit_code=unit_code, q=q), page
    )
    return Page[UserOut](items=[to_out(u) for u in items], total=total)


async def _unit_for(repo: UserRepository, role: Role, unit_code: str | None) -> Unit | None:
    if role in NO_UNIT:
        if unit_code is not None:
            raise ValidationFailed("接口账号不属于任何单位")
        return None
    if unit_code is None:
        if role in NEEDS_UNIT:
            raise ValidationFailed(
                "单位账号必须指定所属单位",
                errors=[FieldError(loc=["body", "unit_code"], msg="缺少必填字段", type="missing")],
            )
        return None
    unit = await repo.unit_by_code(unit_code)
    if unit is None:
        raise ValidationFailed(
            f"单位 {unit_code} 不存在",
            errors=[FieldError(loc=["body", "unit_code"], msg="单位不存在", type="unknown")],
        )
    return unit


async def create_user(session: AsyncSession, principal: Principal, body: UserCreate) -> UserOut:
    repo = UserRepository(session)
    if await repo.get_by_username(body.username) is not None:
        raise Conflict(f"用户名 {body.username} 已存在")
    unit = await _unit_for(repo, body.role, body.unit_code)
    user = User(
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        unit_id=unit.id if unit else None,
        password_hash=await hash_password_async(body.password),
    )
    await repo.add(user)
    await audit.record(
        session,
        actor=principal,
        action="user.created",
        entity_type="user",
        entity_id=user.username,
        after=_snapshot(user),
    )
    created = await repo.get_by_username(user.username)
    assert created is not None
    return to_out(created)


def _revokes_tokens(user: User, changes: dict[str, Any]) -> bool:
    """A new password, role or unit, or disabling the account, voids the user's tokens."""
    moved = any(
        key in changes and changes[key] != getattr(user, key) for key in ("role", "unit_id")
    )
    disabled = changes.get("is_active") is False and user.is_active
    return moved or disabled or "password_hash" in changes


async def update_user(
    session: AsyncSession, principal: Principal, username: str, body: UserUpdate
) -> UserOut:
    repo = UserRepository(session)
    user = await repo.get_by_username(username)
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    if username == principal.username and (body.is_active is False or body.role is not None):
        raise Conflict("不能停用自己的账号或修改自己的角色")
    before = _snapshot(user)
    changes = body.model_dump(exclude_unset=True)
    role = changes.get("role", user.role)
    if "role" in changes or "unit_code" in changes:
        unit_code = changes.pop("unit_code", user.unit.code if user.unit else None)
        unit = await _unit_for(repo, role, unit_code)
        changes["unit_id"] = unit.id if unit else None
    password = changes.pop("password", None)
    if password is not None:
        changes["password_hash"] = await hash_password_async(password)
    revoked = _revokes_tokens(user, changes)
    if revoked:
        changes["token_version"] = user.token_version + 1
    await repo.update(user, changes)
    after = _snapshot(user)
    if password is not None:
        after["password_reset"] = True
    if revoked:
        after["tokens_revoked"] = True
    await audit.record(
        session,
        actor=principal,
        action="user.updated",
        entity_type="user",
        entity_id=username,
        before=before,
        after=after,
    )
    updated = await repo.get_by_username(username)
    assert updated is not None
    return to_out(updated)


async def create_first_admin(session: AsyncSession, body: UserCreate) -> UserOut:
    """`python -m services.reform_tasks create-admin`: the first office admin of a new
    installation (production has no demo accounts). Refused once an office admin exists."""
    if await UserRepository(session).any_with_role(Role.office_admin):
        raise Conflict("已存在改革办管理员账号：请由管理员在系统中创建其他账号")
    installer = Principal(username="cli:create-admin", role=Role.office_admin, unit_code=None)
    return await create_user(session, installer, body)
