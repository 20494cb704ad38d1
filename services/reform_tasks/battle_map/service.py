"""The battle map (作战图): every task's milestones by month with their status as of a date
(seed 001_643c54550577dac0.txt: the office reviews progress against the battle map's time nodes
every month; docs/RULES.md: "Every month progress is judged against the battle map's dated
milestones (月度调度)"). The planned date in force on `as_of` is the plan after the extensions
approved on or before that day, so a past date shows the map as it was then, while the baseline
never moves and the slip against it stays visible (office default; docs/RULES.md: "An approved
extension moves the planned date; the baseline never moves …")."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any, TypedDict, Unpack

from sqlalchemy import ScalarSelect
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.battle_map.repository import BattleMapRepository
from services.reform_tasks.battle_map.schemas import BattleMap
from shared.auth import Principal
from shared.milestone_status import (
    SEVERITY,
    STATUS_LABELS,
    Approval,
    MilestoneStatus,
    Thresholds,
    completed_as_of,
    end_of_day,
    milestone_status,
    planned_as_of,
    task_status,
)
from shared.models import Programme, TaskClass
from shared.warning_light import WarningThresholds, task_verdict

Row = dict[str, Any]  # a row in the shape of one of the map's models (schemas.py)


class MapFilters(TypedDict, total=False):
    """What narrows the map (the endpoint's query parameters)."""

    domain: str | None
    unit: str | None
    task_class: TaskClass | None


async def battle_map(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    as_of: date,
    **filters: Unpack[MapFilters],
) -> BattleMap:
    """The map as a model, for the reports and the warnings that read it."""
    return BattleMap.model_validate(
        await battle_map_rows(session, principal, programme, as_of, **filters)
    )


async def battle_map_rows(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    as_of: date,
    **filters: Unpack[MapFilters],
) -> Row:
    """Seed 001_643c54550577dac0.txt: the battle map dates every task's time nodes; the office
    compares them with actual progress. Units see the tasks they lead or are responsible for; the
    office and viewers see all. Four queries, then the status rules (shared/milestone_status.py) in
    Python. Plain rows in `BattleMap`'s shape: the endpoint serialises them as they are (~1,700
    model objects built in Python, or validated, cost the demo year's map 16–26 ms;
    docs/PERFORMANCE.md, battle map)."""
    repo = BattleMapRepository(session)
    task_ids = repo.task_ids(
        principal,
        programme.id,
        domain=filters.get("domain"),
        unit=filters.get("unit"),
        task_class=filters.get("task_class"),
    )
    thresholds = Thresholds.of(programme.settings)
    lights = WarningThresholds.of(programme.settings)
    task_rows = await repo.tasks(task_ids)
    responsible = await _responsible_units(repo, task_ids)
    milestones = await _milestones_as_of(repo, task_ids, as_of, thresholds)
    tasks = [
        _map_task(
            number=number,
            title=title,
            domain=d_code,
            domain_name=d_name,
            task_class=klass,
            lead_unit={"code": l_code, "short_name": l_short},
            responsible_units=responsible.get(task_id, []),
            deadline=deadline,
            milestones=milestones.get(task_id, []),
            closed_out_on=closed_out_on,
            as_of=as_of,
            thresholds=lights,
        )
        for (
            task_id,
            number,
            title,
            klass,
            deadline,
            closed_out_on,
            d_code,
            d_name,
            l_code,
            l_short,
        ) in task_rows
    ]
    return {
        "programme": programme.code,
        "as_of": as_of,
        "months": [f"{programme.year}-{m:02d}" for m in range(1, 13)],
        "thresholds": {
            "lagging_after_days": thresholds.lagging_after_days,
            "seriously_lagging_after_days": thresholds.seriously_lagging_after_days,
        },
        "tasks": tasks,
        "by_domain": _status_counts(tasks, lambda t: (t["domain"], t["domain_name"])),
        "by_unit": _status_counts(
            tasks, lambda t: (t["lead_unit"]["code"], t["lead_unit"]["short_name"])
        ),
        "totals": _counts(Counter(m["status"] for t in tasks for m in t["milestones"])),
    }


def _map_task(
    *,
    milestones: list[Row],
    closed_out_on: date | None,
    as_of: date,
    thresholds: WarningThresholds,
    **fields: Any,
) -> Row:
    """A task's row (`MapTask`) with its status (worst milestone) and warning light
    (shared/warning_light.py) as of `as_of`."""
    verdict = task_verdict(
        ((m["ordinal"], m["planned_date"], m["completed_on"]) for m in milestones),
        fields["deadline"],
        closed_out_on if closed_out_on is not None and closed_out_on <= as_of else None,
        as_of,
        thresholds,
    )
    return {
        **fields,
        "task_status": task_status([m["status"] for m in milestones]),
        "warning_light": verdict.light,
        "warning_reason": verdict.reason,
        "milestones": milestones,
    }


async def _responsible_units(
    repo: BattleMapRepository, task_ids: ScalarSelect[Any]
) -> dict[int, list[Row]]:
    """Each task's responsible units (`UnitBrief` rows)."""
    responsible: dict[int, list[Row]] = defaultdict(list)
    for task_id, code, short_name in await repo.responsible_units(task_ids):
        responsible[task_id].append({"code": code, "short_name": short_name})
    return responsible


async def _milestones_as_of(
    repo: BattleMapRepository, task_ids: ScalarSelect[Any], as_of: date, thresholds: Thresholds
) -> dict[int, list[Row]]:
    """Each task's milestones (`MapMilestone` rows) as they stood at the end of `as_of`: planned
    as the extensions approved by then left them, completed only if done by then, and their
    status on that day."""
    cutoff = end_of_day(as_of)
    approvals: dict[int, list[Approval]] = defaultdict(list)
    for milestone_id, decided_at, moved_from in await repo.approvals_since(task_ids, cutoff):
        if decided_at is not None:  # always set on an approved request
            approvals[milestone_id].append(Approval(decided_at, moved_from))
    milestones: dict[int, list[Row]] = defaultdict(list)
    for row in await repo.milestones(task_ids, cutoff):
        task_id, milestone_id, ordinal, title, planned_now, baseline, completed_on, reported = row
        planned = planned_as_of(planned_now, approvals.get(milestone_id, ()), cutoff)
        completed = completed_as_of(completed_on, as_of)
        status = milestone_status(
            planned=planned,
            completed_on=completed,
            as_of=as_of,
            reported=reported,
            thresholds=thresholds,
        )
        milestones[task_id].append(
            {
                "ordinal": ordinal,
                "title": title,
                "month": f"{planned.year}-{planned.month:02d}",
                "planned_date": planned,
                "baseline_date": baseline,
                "completed_on": completed,
                "slip_days": (planned - baseline).days,
                "status": status,
                "status_label": STATUS_LABELS[status],
            }
        )
    return milestones


def _status_counts(tasks: list[Row], key: Callable[[Row], tuple[str, str]]) -> list[Row]:
    """The tasks' milestone statuses counted per key (a domain or a lead unit: code, name), as
    `StatusCounts` rows."""
    counters: dict[str, Counter[MilestoneStatus]] = defaultdict(Counter)
    names: dict[str, str] = {}
    for task in tasks:
        code, names[code] = key(task)
        counters[code].update(m["status"] for m in task["milestones"])
    return [{"key": k, "name": names[k], "counts": _counts(v)} for k, v in sorted(counters.items())]


def _counts(counter: Counter[MilestoneStatus]) -> dict[str, int]:
    """Statuses that occur, worst first (absent ones are 0)."""
    return {status.value: counter[status] for status in SEVERITY if counter[status]}
