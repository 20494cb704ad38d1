"""Units (seed 001_643c54550577dac0.txt: 49 lead and responsible units, and every district working
within the same system of responsibility). Every logged-in user reads the unit list (task lists and
rankings name them all); only office admins change it.

The directory's names are one namespace (office default, issue #21: every export re-imports):
the codes, full names, short names and aliases of the active units, compared as the importer
compares them (`shared.unit_names.unit_name_key`: case, full/half width and blanks folded), are
pairwise distinct. A write that would break this is a 409 naming the unit it collides with;
writes hold the directory lock (`UnitRepository.lock_directory`), so two at once cannot both
pass the check. Within one unit a repeated name is no conflict: an alias equal to the unit's own
code, full name, short name or an earlier alias is dropped silently. Deactivated units do not
count, until they are reactivated (then their names are checked like a new unit's); the database
keeps codes and exact full names unique across all units, active or not."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.unit.repository import UnitRepository
from services.reform_tasks.unit.schemas import (
    ALIAS_MAX_LENGTH,
    ALIASES_MAX,
    UnitCreate,
    UnitOut,
    UnitUpdate,
)
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.models.platform import Unit, UnitKind
from shared.pagination import Page, PageParams
from shared.unit_names import unit_name_key

# How a 409 names the field of the other unit a name collides with.
FIELD_LABELS = {"code": "代码", "name": "全称", "short_name": "简称", "aliases": "别名"}


def to_out(unit: Unit) -> UnitOut:
    return UnitOut(
        code=unit.code,
        name=unit.name,
        short_name=unit.short_name,
        aliases=list(unit.aliases),
        kind=unit.kind,
        parent_code=unit.parent.code if unit.parent else None,
        is_active=unit.is_active,
        merged_into=unit.merged_into.code if unit.merged_into else None,
    )


def snapshot(unit: Unit) -> dict[str, Any]:
    """A unit's state as the audit log keeps it."""
    return {
        "name": unit.name,
        "short_name": unit.short_name,
        "aliases": list(unit.aliases),
        "kind": unit.kind,
        "parent_id": unit.parent_id,
        "is_active": unit.is_active,
        "merged_into_id": unit.merged_into_id,
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


# --- the directory's one namespace ------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One name a unit answers to: the unit, the field it is in and the text as stored."""

    unit_code: str
    unit_name: str
    field: str  # code, name, short_name or aliases
    text: str

    @property
    def key(self) -> str:
        return unit_name_key(self.text)


def claims_of(code: str, name: str, short_name: str, aliases: Iterable[str]) -> list[Claim]:
    """Every name of one unit, code first, then full name, short name and aliases."""
    fields = [("code", code), ("name", name), ("short_name", short_name)]
    fields += [("aliases", alias) for alias in aliases]
    return [Claim(code, name, field, text) for field, text in fields]


def unit_claims(unit: Unit) -> list[Claim]:
    return claims_of(unit.code, unit.name, unit.short_name, unit.aliases)


def own_aliases(code: str, name: str, short_name: str, aliases: Iterable[str]) -> list[str]:
    """The aliases as kept: trimmed, no empty ones, and none the unit already answers to (its
    code, full name, short name or an earlier alias, compared folded) — dropped silently, as
    they add nothing to the directory (office default, issue #21)."""
    seen = {unit_name_key(code), unit_name_key(name), unit_name_key(short_name)}
    kept: list[str] = []
    for alias in aliases:
        alias = alias.strip()
        key = unit_name_key(alias)
        if key and key not in seen:
            kept.append(alias)
            seen.add(key)
    return kept


def first_collision(mine: Iterable[Claim], others: Iterable[Claim]) -> tuple[Claim, Claim] | None:
    """The first of `mine` whose key another unit's name already has, with that name."""
    taken: dict[str, Claim] = {}
    for claim in others:
        taken.setdefault(claim.key, claim)
    for claim in mine:
        if claim.key in taken:
            return claim, taken[claim.key]
    return None


def collision_message(mine: Claim, other: Claim) -> str:
    """`“市场监管局”已是单位“云岭市市场监督管理局”（shichang）的简称`, and the other unit's
    spelling when it differs only in case, width or blanks."""
    where = f"单位“{other.unit_name}”（{other.unit_code}）的{FIELD_LABELS[other.field]}"
    if mine.text == other.text:
        return f"“{mine.text}”已是{where}"
    return f"“{mine.text}”与{where}“{other.text}”视为同名（不区分大小写、全角半角和空格）"


def _refuse_collision(
    mine: Sequence[Claim], others: Sequence[Unit], *, sent: dict[str, Any]
) -> None:
    """409 if one of `mine` is a name of another active unit (rule of issue #21). The error's
    `loc` is the body field that brought the name in, or `is_active` for a reactivation."""
    found = first_collision(mine, (c for unit in others for c in unit_claims(unit)))
    if found is None:
        return
    claim, other = found
    message = collision_message(claim, other)
    loc: list[str | int] = ["body", claim.field]
    if claim.field not in sent:
        loc = ["body", "is_active"]
    elif claim.field == "aliases":
        loc.append(list(sent["aliases"]).index(claim.text))
    raise Conflict(message, errors=[FieldError(loc=loc, msg=message, type="name_taken")])


async def _refuse_taken_full_name(repo: UnitRepository, name: str, unit_id: int | None) -> None:
    """The database keeps full names unique across every unit, deactivated ones too."""
    other = await repo.get_by_name(name)
    if other is not None and other.id != unit_id:
        state = "" if other.is_active else "（已停用）"
        raise Conflict(f"单位名称“{name}”已存在：单位 {other.code}{state}")


# --- writes -------------------------------------------------------------------------------------


async def create_unit(session: AsyncSession, principal: Principal, body: UnitCreate) -> UnitOut:
    """A new unit, whose names no active unit has (issue #21), under the directory lock."""
    repo = UnitRepository(session)
    await repo.lock_directory()
    if await repo.get_by_code(body.code) is not None:
        raise Conflict(f"单位代码 {body.code} 已存在")
    aliases = own_aliases(body.code, body.name, body.short_name, body.aliases)
    mine = claims_of(body.code, body.name, body.short_name, aliases)
    _refuse_collision(mine, await repo.active_units(), sent=body.model_dump())
    await _refuse_taken_full_name(repo, body.name, None)
    unit = Unit(
        code=body.code,
        name=body.name,
        short_name=body.short_name,
        aliases=aliases,
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
        after=snapshot(unit),
    )
    created = await repo.get_by_code(unit.code)
    assert created is not None
    return to_out(created)


def _former_names(unit: Unit, name: str, short_name: str) -> list[str]:
    """The full and short name a rename leaves behind (kept as aliases, issue #21), unless the
    new names still fold to them or they are too long for an alias."""
    now = {unit_name_key(name), unit_name_key(short_name)}
    return [
        old
        for old in dict.fromkeys((unit.name, unit.short_name))
        if unit_name_key(old) not in now and len(old) <= ALIAS_MAX_LENGTH
    ]


async def _names_after(repo: UnitRepository, unit: Unit, changes: dict[str, Any]) -> dict[str, Any]:
    """The unit's names after a PATCH, checked: a name new to an active unit (every name, when
    it is being reactivated) may not be another active unit's (409). A rename keeps the former
    full and short name as aliases after the ones sent, while there is room (`ALIASES_MAX`) and
    no other active unit has them (else dropped: the rename itself still goes through)."""
    name = changes.get("name", unit.name)
    short_name = changes.get("short_name", unit.short_name)
    sent = changes.get("aliases")
    aliases = own_aliases(unit.code, name, short_name, unit.aliases if sent is None else sent)
    taken: set[str] = set()
    if changes.get("is_active", unit.is_active):
        others = await repo.active_units(except_id=unit.id)
        held = {c.key for c in unit_claims(unit)} if unit.is_active else set()
        mine = [c for c in claims_of(unit.code, name, short_name, aliases) if c.key not in held]
        _refuse_collision(mine, others, sent=changes)
        taken = {c.key for other in others for c in unit_claims(other)}
    former = [
        old for old in _former_names(unit, name, short_name) if unit_name_key(old) not in taken
    ]
    kept = own_aliases(unit.code, name, short_name, aliases + former)
    return {"aliases": kept[: max(ALIASES_MAX, len(aliases))]}


async def update_unit(
    session: AsyncSession, principal: Principal, code: str, body: UnitUpdate
) -> UnitOut:
    """Change a unit under the directory lock; its names follow the rules of `_names_after`.
    Deactivating is not a change of the entry: it is `reorganisation.deactivate` (409 here)."""
    repo = UnitRepository(session)
    await repo.lock_directory()
    unit = await repo.get_by_code(code, populate_existing=True)
    if unit is None:
        raise NotFound(f"单位 {code} 不存在")
    before = snapshot(unit)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("is_active") is False and unit.is_active:
        # One way to deactivate: the one that deals with the unit's open items.
        raise Conflict(
            f"停用单位“{unit.name}”请使用“停用”操作（POST /api/tasks/v1/units/{code}/deactivate），"
            "以便处理其未办结事项",
            errors=[FieldError(loc=["body", "is_active"], msg="请使用停用操作", type="conflict")],
        )
    if changes.get("is_active") and unit.merged_into_id is not None:
        raise Conflict(f"单位“{unit.name}”已合并到其他单位，不能重新启用")
    if "parent_code" in changes:
        parent_id = await _parent_id(repo, changes.pop("parent_code"))
        if parent_id == unit.id:
            raise ValidationFailed("上级单位不能是本单位")
        changes["parent_id"] = parent_id
    changes |= await _names_after(repo, unit, changes)
    if "name" in changes and changes["name"] != unit.name:
        await _refuse_taken_full_name(repo, changes["name"], unit.id)
    await repo.update(unit, changes)
    await audit.record(
        session,
        actor=principal,
        action="unit.updated",
        entity_type="unit",
        entity_id=code,
        before=before,
        after=snapshot(unit),
    )
    updated = await repo.get_by_code(code, populate_existing=True)
    assert updated is not None
    return to_out(updated)
