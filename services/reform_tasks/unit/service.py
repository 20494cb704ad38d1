"""Units (seed 001_643c54550577dac0.txt: 49 lead and responsible units, and every district working
within the same system of responsibility). Every logged-in user reads the unit list (task lists and
rankings name them all); only office admins change it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.unit.repository import UnitRepository
from services.reform_tasks.unit.schemas import UnitCreate, UnitOut, UnitUpdate
from services.reform_tasks.user.repository import UserRepository
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.models.platform import Unit, UnitKind
from shared.pagination import Page, PageParams


def to_out(unit: Unit) -> UnitOut:
    return UnitOut(
        code=unit.code,
        name=unit.name,
        short_name=unit.short_name,
        aliases=list(unit.aliases),
        kind=unit.kind,
        parent_code=unit.parent.code if unit.parent else None,
        is_active=unit.is_active,
    )


def _snapshot(unit: Unit) -> dict[str, Any]:
    return {
        "name": unit.name,
        "short_name": unit.short_name,
        "aliases": list(unit.aliases),
        "kind": unit.kind,
        "parent_id": unit.parent_id,
        "is_active": unit.is_active,
    }


async def list_units(
    session: AsyncSession, page: PageParams, *, kind: UnitKind | None, q: str | None
) -> Page[UnitOut]:
    repo = UnitRepository(session)
    items, total = await repo.paginate(repo.list_statement(kind=kind, q=q), page)
    return Page[UnitOut](items=[to_out(u) for u in items], total=total)


async def get_unit(session: AsyncSession, code: str) -> UnitOut:
    unit = await UnitRepository(session).get_by_code(code)
    if unit is None:
        raise NotFound(f"单位 {code} 不存在")
    return to_out(unit)


async def _parent_id(repo: UnitRepository, parent_code: str | None) -> int | None:
    if parent_code is None:
        return None
    parent = await repo.get_by_code(parent_code)
    if parent is None:
        raise ValidationFailed(
            f"上级单位 {parent_code} 不存在",
            errors=[FieldError(loc=["body", "parent_code"], msg="上级单位不存在", type="unknown")],
        )
    return parent.id


async def create_unit(session: AsyncSession, principal: Principal, body: UnitCreate) -> UnitOut:
    repo = UnitRepository(session)
    if await repo.get_by_code(body.code) is not None:
        raise Conflict(f"单位代码 {body.code} 已存在")
    if await repo.get_by_name(body.name) is not None:
        raise Conflict(f"单位名称“{body.name}”已存在")
    unit = Unit(
        code=body.code,
        name=body.name,
        short_name=body.short_name,
        aliases=_clean_aliases(body.aliases),
        kind=body.kind,
        parent_id=await _parent_id(repo, body.parent_code),
    )
    await repo.add(unit)
    await audit.record(
        session,
        actor=principal,
        action="unit.created",
        entity_type="unit",
        entity_id=unit.code,
        after=_snapshot(unit),
    )
    created = await repo.get_by_code(unit.code)
    assert created is not None
    return to_out(created)


async def update_unit(
    session: AsyncSession, principal: Principal, code: str, body: UnitUpdate
) -> UnitOut:
    repo = UnitRepository(session)
    unit = await repo.get_by_code(code)
    if unit is None:
        raise NotFound(f"单位 {code} 不存在")
    before = _snapshot(unit)
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] != unit.name:
        other = await repo.get_by_name(changes["name"])
        if other is not None:
            raise Conflict(f"单位名称“{changes['name']}”已存在")
    if "parent_code" in changes:
        parent_id = await _parent_id(repo, changes.pop("parent_code"))
        if parent_id == unit.id:
            raise ValidationFailed("上级单位不能是本单位")
        changes["parent_id"] = parent_id
    if "aliases" in changes:
        changes["aliases"] = _clean_aliases(changes["aliases"] or [])
    if changes.get("is_active") is False and unit.is_active:
        await UserRepository(session).revoke_tokens_of_unit(unit.id)
    await repo.update(unit, changes)
    await audit.record(
        session,
        actor=principal,
        action="unit.updated",
        entity_type="unit",
        entity_id=code,
        before=before,
        after=_snapshot(unit),
    )
    updated = await repo.get_by_code(code, populate_existing=True)
    assert updated is not None
    return to_out(updated)


def _clean_aliases(aliases: list[str]) -> list[str]:
    seen: list[str] = []
    for alias in aliases:
        alias = alias.strip()
        if alias and alias not in seen:
            seen.append(alias)
    return seen
