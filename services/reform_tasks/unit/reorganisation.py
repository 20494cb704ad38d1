"""Reorganisation of the unit directory (机构改革, issue #21): merge a unit into another, split it
among several, or deactivate it. Each is one audited transaction under the directory lock, with a
`dry_run` that shows what would move.

What moves is the unit's *open* items (`ReorganisationRepository.open_items`): the tasks not closed
out that it leads or is responsible for, its progress reports waiting for review, its extension
requests waiting for a decision, its supervisions still open (or accountability proposed), its
open problems and its accounts (whose tokens are revoked) — never anything of a closed programme
(its record is read-only). Its closed history stays attributed to
it as it was: closed-out tasks, reviewed reports, decided requests, resolved supervisions, closed
problems, its inbox, and every rating given — a rating already given is a fact evaluation scored
for the unit's code, while a rating still to give or receive is no row at all: it follows the task
(the rating sheet reads the task's current lead and responsible units). Evaluation's facts and
scores are keyed by unit code and never rewritten, so scores before the change stay as they were;
events after it name the units the items have then.

The 12345 side (`hotline.follow_unit_merge`, the hotline's own SQL function): mappings to the
merged unit name the survivor, the merged unit's code maps to it, and its open orders are derived
again (docs/ARCHITECTURE.md "Reorganisation" says why reform_tasks calls it in its transaction).

Office defaults (no seed speaks of reorganisation): a merge joins units of one kind only (a
district is not merged into a department); the merged unit's full name, short name and aliases
become the survivor's aliases unless another active unit has them or the survivor's aliases are
full (`ALIASES_MAX`), the ones dropped are named in the answer; the merged unit's child units move
under the survivor. A plain deactivation is refused while the unit has open items or open 12345
orders (409 listing them), and then disables its accounts; with `reassign_to` it moves them like a
merge (the hotline's codes follow too: without that its open orders could not move), but adds no
alias and no `merged_into` link. A split needs every open item assigned to one of its units (422
listing the missing and unknown ones) unless `keep` keeps the unit, whose unassigned items then
stay. No reorganisation may leave a task without a responsible unit (the survivor leading a task
whose only responsible unit was the merged one): 409 naming the tasks."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.unit.repository import (
    ItemType,
    OpenItem,
    ReorganisationRepository,
    UnitRepository,
)
from services.reform_tasks.unit.schemas import (
    ALIAS_MAX_LENGTH,
    ALIASES_MAX,
    DeactivateIn,
    ItemOut,
    MergeIn,
    ReorganisationOut,
    SplitIn,
)
from services.reform_tasks.unit.service import own_aliases, snapshot, to_out, unit_claims
from shared import audit
from shared.auth import Principal
from shared.clock import now_utc
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.hotline_rates import limits_json
from shared.models.platform import ReorganisationKind, Unit, UnitKind, UnitReorganisation
from shared.settings import Settings
from shared.unit_names import unit_name_key

KIND_LABELS = {
    UnitKind.office: "改革办",
    UnitKind.department: "部门",
    UnitKind.district: "区县",
    UnitKind.other: "其他单位",
}
ACTIONS = {
    ReorganisationKind.merger: "unit.merged",
    ReorganisationKind.division: "unit.split",
    ReorganisationKind.deactivation: "unit.deactivated",
}
TASK_ITEMS = (ItemType.task_lead, ItemType.task_responsible)
ITEM_LABELS = {
    ItemType.task_lead: "牵头任务",
    ItemType.task_responsible: "责任任务",
    ItemType.progress_report: "待审核的进展报送",
    ItemType.extension: "待审批的延期申请",
    ItemType.supervision: "未办结的督办",
    ItemType.problem: "未整改的问题",
    ItemType.user: "账号",
}


@dataclass
class Plan:
    """A reorganisation worked out: each open item and the unit that takes it (None: stays)."""

    kind: ReorganisationKind
    unit: Unit
    into: list[Unit]
    items: list[tuple[OpenItem, Unit | None]]
    hotline_unit: Unit | None = None
    aliases: list[str] | None = None  # the survivor's aliases after a merge
    aliases_added: list[str] = field(default_factory=list)
    aliases_dropped: list[str] = field(default_factory=list)
    deactivate: bool = True

    def moving(self) -> list[tuple[OpenItem, Unit]]:
        return [(item, to) for item, to in self.items if to is not None]


# --- checks ------------------------------------------------------------------------------------


async def _unit(repo: UnitRepository, code: str) -> Unit:
    unit = await repo.get_by_code(code, populate_existing=True)
    if unit is None:
        raise NotFound(f"单位 {code} 不存在")
    if not unit.is_active:
        raise Conflict(f"单位“{unit.name}”已停用，不能再调整")
    return unit


async def _target(repo: UnitRepository, unit: Unit, code: str, loc: list[str | int]) -> Unit:
    """A unit that may take `unit`'s items: another active unit of the same kind."""
    target = await repo.get_by_code(code, populate_existing=True)
    if target is None:
        message = f"单位 {code} 不存在"
        raise ValidationFailed(message, errors=[FieldError(loc=loc, msg=message, type="unknown")])
    if target.id == unit.id:
        message = "不能转入本单位"
        raise ValidationFailed(message, errors=[FieldError(loc=loc, msg=message, type="itself")])
    if not target.is_active:
        raise Conflict(f"单位“{target.name}”已停用，不能承接其他单位的事项")
    if target.kind != unit.kind:
        raise Conflict(
            f"“{unit.name}”是{KIND_LABELS[unit.kind]}，“{target.name}”是"
            f"{KIND_LABELS[target.kind]}：不同类型的单位不能合并或承接事项"
        )
    return target


async def _refuse_tasks_without_responsible(reorg: ReorganisationRepository, plan: Plan) -> None:
    """No task may end led by the unit that was its only responsible unit."""
    tasks = [(i, to) for i, to in plan.moving() if i.item_type in TASK_ITEMS]
    if not tasks:
        return
    after = await reorg.task_units([i.item_id for i, _ in tasks])
    for item, to in tasks:
        entry = after[item.item_id]
        if item.item_type is ItemType.task_lead:
            entry.lead = to.id
        else:
            entry.responsible = (entry.responsible - {plan.unit.id}) | {to.id}
    empty = sorted(e.number for e in after.values() if not e.responsible - {e.lead})
    if empty:
        numbers = "、".join(str(n) for n in empty)
        raise Conflict(
            f"调整后任务 {numbers} 的牵头单位将是其唯一的责任单位，"
            "任务须至少有一个其他责任单位：请先修改这些任务的责任单位"
        )


def _inherited_names(unit: Unit, survivor: Unit, others: Iterable[Unit]) -> Plan:
    """The merged unit's names the survivor keeps as aliases (see the module docstring)."""
    taken = {c.key for other in others for c in unit_claims(other)}
    added: list[str] = []
    dropped: list[str] = []
    own = {c.key for c in unit_claims(survivor)}
    for name in dict.fromkeys((unit.name, unit.short_name, *unit.aliases)):
        key = unit_name_key(name)
        if key in own:
            continue
        if key in taken or len(name) > ALIAS_MAX_LENGTH:
            dropped.append(name)
            continue
        own.add(key)
        added.append(name)
    room = max(ALIASES_MAX - len(survivor.aliases), 0)
    dropped += added[room:]
    added = added[:room]
    aliases = own_aliases(
        survivor.code, survivor.name, survivor.short_name, [*survivor.aliases, *added]
    )
    plan = Plan(ReorganisationKind.merger, unit, [survivor], [])
    plan.aliases, plan.aliases_added, plan.aliases_dropped = aliases, added, dropped
    return plan


# --- the three reorganisations ----------------------------------------------------------------


async def merge(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    code: str,
    body: MergeIn,
    *,
    dry_run: bool,
) -> ReorganisationOut:
    """合并: every open item of the unit moves to the survivor, the unit becomes inactive with
    `merged_into` the survivor, its names become the survivor's aliases where free."""
    repo = UnitRepository(session)
    await repo.lock_directory()
    unit = await _unit(repo, code)
    survivor = await _target(repo, unit, body.into, ["body", "into"])
    reorg = ReorganisationRepository(session)
    others = [u for u in await repo.active_units(except_id=unit.id) if u.id != survivor.id]
    plan = _inherited_names(unit, survivor, others)
    plan.items = [(item, survivor) for item in await reorg.open_items(unit.id)]
    plan.hotline_unit = survivor
    return await _carry_out(session, settings, principal, plan, dry_run=dry_run)


async def split(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    code: str,
    body: SplitIn,
    *,
    dry_run: bool,
) -> ReorganisationOut:
    """拆分: the office assigns each open item to one of the new units; then the unit is
    deactivated, unless `keep` (its unassigned items stay)."""
    repo = UnitRepository(session)
    await repo.lock_directory()
    unit = await _unit(repo, code)
    into: dict[str, Unit] = {}
    for index, target_code in enumerate(dict.fromkeys(body.into)):
        into[target_code] = await _target(repo, unit, target_code, ["body", "into", index])
    hotline_code = body.hotline_unit or (None if body.keep else body.into[0])
    hotline_unit = None
    if hotline_code is not None:
        if hotline_code not in into:
            message = f"12345 工单承接单位 {hotline_code} 不在拆分后的单位之中"
            raise ValidationFailed(
                message,
                errors=[FieldError(loc=["body", "hotline_unit"], msg=message, type="not_in_into")],
            )
        hotline_unit = into[hotline_code]
    items = await ReorganisationRepository(session).open_items(unit.id)
    assigned = _assignments(body, items, into, complete=not (dry_run or body.keep))
    plan = Plan(ReorganisationKind.division, unit, list(into.values()), [])
    plan.items = [(item, assigned.get((item.item_type, item.item_id))) for item in items]
    plan.hotline_unit, plan.deactivate = hotline_unit, not body.keep
    return await _carry_out(session, settings, principal, plan, dry_run=dry_run)


def _assignments(
    body: SplitIn, items: Sequence[OpenItem], into: dict[str, Unit], *, complete: bool
) -> dict[tuple[ItemType, int], Unit]:
    """The office's assignments, checked: each names an open item of the unit, once, and one of
    the units in `into`; with `complete`, every open item has one. 422 lists every fault."""
    open_items = {(i.item_type, i.item_id): i for i in items}
    errors: list[FieldError] = []
    assigned: dict[tuple[ItemType, int], Unit] = {}
    for index, a in enumerate(body.assignments):
        key, loc = (a.item_type, a.item_id), ["body", "assignments", index]
        if key not in open_items:
            msg = f"{ITEM_LABELS[a.item_type]} {a.item_id} 不是本单位的未办结事项"
            errors.append(FieldError(loc=loc, msg=msg, type="unknown_item"))
        elif key in assigned:
            msg = f"{open_items[key].label} 重复分配"
            errors.append(FieldError(loc=loc, msg=msg, type="duplicate"))
        elif a.unit not in into:
            msg = f"承接单位 {a.unit} 不在拆分后的单位之中"
            errors.append(FieldError(loc=[*loc, "unit"], msg=msg, type="not_in_into"))
        else:
            assigned[key] = into[a.unit]
    if complete:
        errors += [
            FieldError(
                loc=["body", "assignments", item.item_type.value, item.item_id],
                msg=f"未分配：{item.label}",
                type="missing",
            )
            for key, item in open_items.items()
            if key not in assigned
        ]
    if errors:
        raise ValidationFailed(f"共 {len(errors)} 处分配有误，未做任何调整", errors=errors)
    return assigned


async def deactivate(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    code: str,
    body: DeactivateIn,
    *,
    dry_run: bool,
) -> ReorganisationOut:
    """停用: refused while the unit has open items, unless `reassign_to` takes them."""
    repo = UnitRepository(session)
    await repo.lock_directory()
    unit = await _unit(repo, code)
    reorg = ReorganisationRepository(session)
    items = await reorg.open_items(unit.id)
    plan = Plan(ReorganisationKind.deactivation, unit, [], [])
    if body.reassign_to is not None:
        target = await _target(repo, unit, body.reassign_to, ["body", "reassign_to"])
        plan.into, plan.hotline_unit = [target], target
        plan.items = [(item, target) for item in items]
        return await _carry_out(session, settings, principal, plan, dry_run=dry_run)
    blocking = [i for i in items if i.item_type is not ItemType.user]
    plan.items = [(i, None) for i in items if i.item_type is ItemType.user]  # disabled, not moved
    orders = await reorg.open_orders(unit.code)
    if blocking or orders:
        errors = [
            FieldError(loc=["items", i.item_type.value, i.item_id], msg=i.label, type="open_item")
            for i in blocking
        ]
        if orders:
            msg = f"12345 未办结工单 {orders} 件"
            errors.append(FieldError(loc=["work_orders"], msg=msg, type="open_item"))
        raise Conflict(
            f"单位“{unit.name}”尚有 {len(blocking) + orders} 项未办结事项，"
            "请指定承接单位（reassign_to）或先办结",
            errors=errors,
        )
    return await _carry_out(session, settings, principal, plan, dry_run=dry_run)


# --- carrying a plan out ----------------------------------------------------------------------


async def _carry_out(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    plan: Plan,
    *,
    dry_run: bool,
) -> ReorganisationOut:
    reorg = ReorganisationRepository(session)
    await _refuse_tasks_without_responsible(reorg, plan)
    unit = plan.unit
    moved = Counter(item.item_type.value for item, _ in plan.moving())
    orders = await reorg.open_orders(unit.code) if plan.hotline_unit else 0
    users_off = sum(1 for _, to in plan.items if to is None) if not plan.into else 0
    if not dry_run:
        before = snapshot(unit)
        await _move(reorg, plan)
        if plan.hotline_unit is not None:
            orders = await reorg.follow_in_hotline(
                unit.code, plan.hotline_unit.code, principal.username, limits_json(settings)
            )
        users_off = await _retire(session, reorg, plan)
        await _record(session, principal, plan, before, dict(moved), orders, users_off)
    repo = UnitRepository(session)
    shown = await repo.get_by_code(unit.code, populate_existing=True) if not dry_run else unit
    assert shown is not None
    return ReorganisationOut(
        kind=plan.kind,
        dry_run=dry_run,
        unit=to_out(shown),
        into=[u.code for u in plan.into],
        items=[
            ItemOut(
                item_type=i.item_type,
                item_id=i.item_id,
                label=i.label,
                unit=to.code if to else None,
            )
            for i, to in plan.items
        ],
        moved=dict(moved),
        work_orders=orders,
        hotline_unit=plan.hotline_unit.code if plan.hotline_unit else None,
        aliases_added=plan.aliases_added,
        aliases_dropped=plan.aliases_dropped,
        users_deactivated=users_off,
    )


async def _move(reorg: ReorganisationRepository, plan: Plan) -> None:
    """Every moving item, in one statement per (kind, target unit): leads before
    responsibilities, so a task's lead is known when its responsible units are set."""
    groups: dict[tuple[ItemType, int], list[int]] = defaultdict(list)
    for item, to in plan.moving():
        groups[(item.item_type, to.id)].append(item.item_id)
    order = list(ItemType)
    for (item_type, to_id), ids in sorted(groups.items(), key=lambda g: order.index(g[0][0])):
        if item_type is ItemType.task_lead:
            await reorg.move_task_leads(ids, to_id)
        elif item_type is ItemType.task_responsible:
            await reorg.move_responsibilities(ids, plan.unit.id, to_id)
        else:
            await reorg.move_rows(item_type, ids, to_id)


async def _retire(session: AsyncSession, reorg: ReorganisationRepository, plan: Plan) -> int:
    """The unit after the move: merged (inactive, linked to the survivor, its names the
    survivor's aliases, its child units under the survivor) or deactivated (a plain
    deactivation also disables its accounts), or kept by a split. Returns accounts disabled."""
    unit = plan.unit
    users_off = 0
    if plan.deactivate:
        if plan.kind is ReorganisationKind.deactivation and not plan.into:
            users_off = await reorg.deactivate_users(unit.id)
        unit.is_active = False
    unit.reorganised_at = now_utc()
    if plan.kind is ReorganisationKind.merger:
        survivor = plan.into[0]
        unit.merged_into_id = survivor.id
        await session.flush()  # the merged names are free before the survivor takes them
        await reorg.reparent_children(unit.id, survivor.id)
        assert plan.aliases is not None
        survivor.aliases = plan.aliases
    await session.flush()
    return users_off


async def _record(
    session: AsyncSession,
    principal: Principal,
    plan: Plan,
    before: dict[str, Any],
    moved: dict[str, int],
    orders: int,
    users_off: int,
) -> None:
    """The reorganisation's row and its audit row (with every moved item's id and unit)."""
    unit = plan.unit
    counts = {**moved, "work_orders": orders, "users_deactivated": users_off}
    session.add(
        UnitReorganisation(
            kind=plan.kind,
            unit_id=unit.id,
            into_codes=[u.code for u in plan.into],
            moved=counts,
            reorganised_by=principal.username,
        )
    )
    items: dict[str, list[list[Any]]] = defaultdict(list)
    for item, to in plan.moving():
        items[item.item_type.value].append([item.item_id, to.code])
    await audit.record(
        session,
        actor=principal,
        action=ACTIONS[plan.kind],
        entity_type="unit",
        entity_id=unit.code,
        before=before,
        after={
            **snapshot(unit),
            "into": [u.code for u in plan.into],
            "hotline_unit": plan.hotline_unit.code if plan.hotline_unit else None,
            "moved": counts,
            "items": dict(items),
            "aliases_added": plan.aliases_added,
            "aliases_dropped": plan.aliases_dropped,
        },
    )
    await session.flush()
