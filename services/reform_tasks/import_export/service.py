"""Import and export of the task list as the office's own spreadsheet (seed
001_643c54550577dac0.txt: the task list of numbered tasks in 14 domains with 类别, 牵头单位,
责任单位 and 完成时限, and the battle map's dated 时间节点).

Import is all or nothing: every error is reported with its sheet, row and column, and nothing is
written unless the whole file is good. Export writes the layout import reads, so export → import
changes nothing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.reform_tasks.import_export import xlsx
from services.reform_tasks.import_export.schemas import ChangedTask, CreatedTask, ImportPreview
from services.reform_tasks.task.repository import TaskRepository
from services.reform_tasks.task.service import FIELD_NAMES
from services.reform_tasks.timeline import service as timeline
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, FieldError, ValidationFailed
from shared.models import (
    Domain,
    Milestone,
    MilestoneState,
    Programme,
    Task,
    TaskClass,
    TaskStatus,
    Unit,
    UnitKind,
)
from shared.unit_names import unit_name_key

TITLE_MAX = 200
DEADLINE_TEXT_MAX = 64
# “各区县” in 责任单位 means every district (seed 001_643c54550577dac0.txt: each district follows
# the same lead / responsible system, 每个区县按照这一责任体系).
ALL_DISTRICTS = {"各区县", "各县区", "各区", "各区县政府", "各区县人民政府", "各区(县)"}
# The spreadsheet column each compared field comes from (the task list's field names, except
# that both deadlines come from one column and milestones are a column of their own).
COLUMN_OF = {**FIELD_NAMES, "deadline_text": "完成时限", "milestones": "时间节点"}


@dataclass(frozen=True)
class Download:
    content: bytes
    filename: str


@dataclass
class Plan:
    """One row of the file, read and resolved: what the task should look like."""

    row: xlsx.Row
    number: int
    domain: Domain
    task_class: TaskClass
    title: str
    benchmark: str
    goal: str
    measures: str
    lead: Unit
    responsible: list[Unit]
    deadline: date
    deadline_text: str
    milestones: list[tuple[date, str]]


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def shown_deadline(text: str, deadline: date, programme: Programme) -> str:
    """完成时限 as the spreadsheet shows it: the text as written when it still means the
    deadline (`2026年6月底前`, `长期坚持`), else the date (`2026年6月30日`)."""
    if text and xlsx.parse_date_text(text, programme.year, programme.ends_on) == deadline:
        return text
    return cn_date(deadline)


def plan_fields(plan: Plan, programme: Programme) -> dict[str, Any]:
    return {
        "domain": plan.domain.code,
        "task_class": plan.task_class.value,
        "title": plan.title,
        "benchmark": plan.benchmark,
        "goal": plan.goal,
        "measures": plan.measures,
        "lead_unit": plan.lead.code,
        "responsible_units": sorted(u.code for u in plan.responsible),
        "deadline": plan.deadline.isoformat(),
        "deadline_text": shown_deadline(plan.deadline_text, plan.deadline, programme),
        "milestones": [[d.isoformat(), t] for d, t in plan.milestones],
    }


def task_fields(task: Task, programme: Programme) -> dict[str, Any]:
    """The same fields of a stored task, compared as the spreadsheet would show them."""
    return {
        "domain": task.domain.code,
        "task_class": task.task_class.value,
        "title": task.title.strip(),
        "benchmark": task.benchmark.strip(),
        "goal": task.goal.strip(),
        "measures": task.measures.strip(),
        "lead_unit": task.lead_unit.code,
        "responsible_units": sorted(u.code for u in task.responsible_units),
        "deadline": task.deadline.isoformat(),
        "deadline_text": shown_deadline(task.deadline_text, task.deadline, programme),
        "milestones": [
            [m.planned_date.isoformat(), m.title.strip()]
            for m in sorted(task.milestones, key=lambda m: m.ordinal)
        ],
    }


class UnitDirectory:
    """Units by code, full name, short name or alias (the alias table is `platform.units.aliases`,
    kept by the office in the unit directory). Codes and names win over aliases; a name that fits
    several active units is an error, never a guess (the directory keeps active units' names
    apart, but older data may not); a deactivated unit's name that an active unit took over
    means the active one."""

    def __init__(self, units: Sequence[Unit]) -> None:
        self._names: dict[str, list[Unit]] = {}
        self._aliases: dict[str, list[Unit]] = {}
        for unit in units:
            for key in {unit.code, unit.name, unit.short_name}:
                self._add(self._names, key, unit)
            for alias in unit.aliases:
                self._add(self._aliases, alias, unit)
        self._districts = [u for u in units if u.kind == UnitKind.district and u.is_active]

    @staticmethod
    def _add(table: dict[str, list[Unit]], key: str, unit: Unit) -> None:
        found = table.setdefault(unit_name_key(key), [])
        if unit not in found:
            found.append(unit)

    def resolve(self, text: str, named: Sequence[Unit] = ()) -> tuple[list[Unit], str | None]:
        """The unit(s) a name means, or a Chinese error message. `named`: the units the stored
        task of the row already names — a name of one of them means it even when it is
        deactivated (a merged or deactivated unit's closed-out task re-imports unchanged,
        issue #21). Otherwise an active unit's name or alias wins over a deactivated unit's."""
        key = unit_name_key(text)
        if key in ALL_DISTRICTS:
            return self._districts, None if self._districts else f"未知单位“{text}”"
        candidates = [key]
        bare = re.sub(r"\([^()]*\)$", "", key)  # `市发改委（牵头）`
        if bare and bare != key:
            candidates.append(bare)
        for candidate in candidates:
            found = self._names.get(candidate, []) + self._aliases.get(candidate, [])
            kept = [u for u in found if u in named]
            if kept:
                return kept[:1], None
            for table in (self._names, self._aliases):
                active = [u for u in table.get(candidate, []) if u.is_active]
                if len(active) > 1:
                    names = "、".join(u.name for u in active)
                    return [], f"“{text}”对应多个单位（{names}），请写全称"
                if active:
                    return active, None  # a deactivated unit's old name now another's
            if found:
                return [], f"单位“{text}”已停用"
        return [], f"未知单位“{text}”"


class DomainDirectory:
    """Domains of the programme by name or code, also as headed in office files (`一、商事登记`)."""

    def __init__(self, domains: Sequence[Domain]) -> None:
        self._by: dict[str, Domain] = {}
        for domain in domains:
            for key in (
                domain.code.lower(),
                xlsx.compact(domain.name),
                xlsx.domain_key(domain.name),
            ):
                self._by.setdefault(key, domain)

    def find(self, text: str) -> Domain | None:
        for key in (xlsx.compact(text).lower(), xlsx.compact(text), xlsx.domain_key(text)):
            for candidate in (key, key.removesuffix("领域")):
                if candidate in self._by:
                    return self._by[candidate]
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class RowReader:
    """Turns one row into a Plan, or adds its errors (every one of them) to `errors`."""

    def __init__(
        self,
        programme: Programme,
        domains: DomainDirectory,
        units: UnitDirectory,
        errors: list[FieldError],
        existing: dict[int, Task] | None = None,
    ) -> None:
        self.programme = programme
        self.domains = domains
        self.units = units
        self.errors = errors
        # The stored tasks by number: the units each names resolve to themselves.
        self.existing = existing or {}

    def error(self, row: xlsx.Row, column: str, message: str, kind: str = "invalid") -> None:
        if column not in row.headers and column in xlsx.REQUIRED:
            return  # the missing column is reported once, at the header
        self.errors.append(
            FieldError(loc=[row.sheet, row.number, row.column(column)], msg=message, type=kind)
        )

    def units_of(self, row: xlsx.Row, column: str, number: int | None = None) -> list[Unit]:
        task = self.existing.get(number) if number is not None else None
        named = [task.lead_unit, *task.responsible_units] if task is not None else []
        found: list[Unit] = []
        for name in xlsx.split_units(row.cells.get(column)):
            units, message = self.units.resolve(name, named)
            if message is not None:
                self.error(row, column, message, "unknown_unit")
            found.extend(u for u in units if u not in found)
        return found

    def read(self, row: xlsx.Row, number: int | None) -> Plan | None:
        before = len(self.errors)
        cells = row.cells
        if number is None:
            raw = _text(cells.get("序号"))
            self.error(row, "序号", f"序号应为正整数：“{raw}”" if raw else "序号为空")
        domain = self._domain(row)
        title = self._title(row)
        klass = xlsx.parse_class(cells.get("类别"))
        if klass is None:
            self.error(row, "类别", f"类别应为A/B/C：“{_text(cells.get('类别'))}”", "bad_class")
        lead, responsible = self._lead_and_responsible(row, number)
        deadline, deadline_text = self._deadline(row)
        milestones = self._milestones(row)
        self._check_milestones(row, milestones, deadline)
        if len(self.errors) > before or None in (number, domain, klass, lead, deadline):
            return None
        assert number is not None
        assert domain is not None
        assert klass is not None
        assert lead is not None
        assert deadline is not None
        return Plan(
            row=row,
            number=number,
            domain=domain,
            task_class=TaskClass(klass),
            title=title,
            benchmark=_text(cells.get("对标")),
            goal=_text(cells.get("目标")) or title,
            measures=_text(cells.get("具体措施")),
            lead=lead,
            responsible=responsible,
            deadline=deadline,
            deadline_text=deadline_text,
            milestones=milestones,
        )

    def _domain(self, row: xlsx.Row) -> Domain | None:
        domain_text = _text(row.cells.get("领域"))
        domain = self.domains.find(domain_text) if domain_text else None
        if domain is None:
            self.error(
                row,
                "领域",
                f"未知领域“{domain_text}”" if domain_text else "领域为空",
                "unknown_domain",
            )
        return domain

    def _title(self, row: xlsx.Row) -> str:
        title = _text(row.cells.get("任务"))
        if not title:
            self.error(row, "任务", "任务名称为空")
        elif len(title) > TITLE_MAX:
            self.error(row, "任务", f"任务名称不能超过 {TITLE_MAX} 字")
        return title

    def _lead_and_responsible(
        self, row: xlsx.Row, number: int | None
    ) -> tuple[Unit | None, list[Unit]]:
        """Seed 001_643c54550577dac0.txt: each task names its lead unit (牵头单位, whose power
        and responsibility are one) and its responsible units (责任单位). One lead per task,
        never also a responsible unit, is the office's reading."""
        lead: Unit | None = None
        leads = self.units_of(row, "牵头单位", number)
        lead_names = xlsx.split_units(row.cells.get("牵头单位"))
        if not lead_names:
            self.error(row, "牵头单位", "牵头单位为空")
        elif len(lead_names) > 1 or len(leads) > 1:
            self.error(row, "牵头单位", f"牵头单位只能有一个：“{'、'.join(lead_names)}”")
        elif leads:
            lead = leads[0]
        responsible = self.units_of(row, "责任单位", number)
        if not xlsx.split_units(row.cells.get("责任单位")):
            self.error(row, "责任单位", "责任单位为空")
        if lead is not None and lead in responsible:
            self.error(
                row,
                "责任单位",
                f"牵头单位“{lead.short_name}”不能同时是责任单位",
                "lead_in_responsible",
            )
        return lead, responsible

    def _deadline(self, row: xlsx.Row) -> tuple[date | None, str]:
        """(完成时限, the text as written)."""
        deadline: date | None = None
        deadline_text = ""
        try:
            deadline, deadline_text = xlsx.parse_deadline(
                row.cells.get("完成时限"), self.programme.year, self.programme.ends_on
            )
        except ValueError as exc:
            text = str(exc)
            self.error(
                row, "完成时限", f"无法识别的日期“{text}”" if text else "完成时限为空", "bad_date"
            )
        if len(deadline_text) > DEADLINE_TEXT_MAX:
            self.error(row, "完成时限", f"完成时限不能超过 {DEADLINE_TEXT_MAX} 字")
        return deadline, deadline_text

    def _milestones(self, row: xlsx.Row) -> list[tuple[date, str]]:
        try:
            return xlsx.parse_milestones(
                row.cells.get("时间节点"), self.programme.year, self.programme.ends_on
            )
        except ValueError as exc:
            text = str(exc)
            self.error(
                row,
                "时间节点",
                f"无法识别的时间节点“{text}”（应为“3月底前：工作内容”，每行一个）"
                if text
                else "时间节点为空",
                "bad_date",
            )
            return []

    def _check_milestones(
        self, row: xlsx.Row, milestones: list[tuple[date, str]], deadline: date | None
    ) -> None:
        """The battle map (seed 001_643c54550577dac0.txt) dates each task's time nodes; that
        they fall within the programme year, in order, the last one no later than the task's
        deadline, is the office's check."""
        if not milestones:
            return
        dates = [d for d, _ in milestones]
        start, end = self.programme.starts_on, self.programme.ends_on
        if any(len(t) > TITLE_MAX for _, t in milestones):
            self.error(row, "时间节点", f"每个时间节点的内容不能超过 {TITLE_MAX} 字")
        if dates != sorted(dates):
            self.error(row, "时间节点", "时间节点的日期须依次递增")
        outside = [d for d in dates if not start <= d <= end]
        if outside:
            self.error(
                row,
                "时间节点",
                f"时间节点须在改革工程年度内（{cn_date(start)}至{cn_date(end)}）："
                f"{cn_date(outside[0])}",
            )
        elif deadline is not None and dates[-1] > deadline:
            self.error(
                row,
                "时间节点",
                f"时间节点（{cn_date(dates[-1])}）不能晚于完成时限（{cn_date(deadline)}）",
            )


def _existing_task_errors(
    plan: Plan, task: Task, history: set[int], errors: list[FieldError]
) -> None:
    """What an import may not do to a task already under way: change one that is closed out,
    move or rename a closed-out milestone, or drop a milestone with reports, extension requests
    or supervisions (that history would be lost)."""
    row = plan.row
    if task.status is TaskStatus.closed_out:
        errors.append(
            FieldError(
                loc=[row.sheet, row.number, row.column("序号")],
                msg=f"任务 {plan.number} 已销号，不能通过导入修改",
                type="closed_out",
            )
        )
        return
    column = row.column("时间节点")
    for milestone in sorted(task.milestones, key=lambda m: m.ordinal):
        index = milestone.ordinal - 1
        if index >= len(plan.milestones):
            if milestone.id in history or milestone.state is not MilestoneState.open:
                errors.append(
                    FieldError(
                        loc=[row.sheet, row.number, column],
                        msg=f"第 {milestone.ordinal} 个时间节点已有进展报送、延期申请或督办记录，"
                        "不能删除",
                        type="has_reports",
                    )
                )
        elif milestone.state is MilestoneState.closed_out and (
            plan.milestones[index] != (milestone.planned_date, milestone.title.strip())
        ):
            errors.append(
                FieldError(
                    loc=[row.sheet, row.number, column],
                    msg=f"第 {milestone.ordinal} 个时间节点已销号，不能修改",
                    type="closed_out",
                )
            )


async def import_task_list(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    content: bytes,
    *,
    dry_run: bool,
) -> ImportPreview:
    """The office uploads its task list (seed 001_643c54550577dac0.txt). Every row is read and
    checked first; any error → 422 listing all of them by sheet, row and column, nothing
    written. `dry_run` shows what would be created and changed. Otherwise new numbers are
    created and existing ones updated (tasks not in the file stay as they are), with an audit
    row per task."""
    try:
        parsed = await asyncio.to_thread(xlsx.read_rows, content)
    except xlsx.FileRejected as exc:
        raise ValidationFailed(str(exc)) from exc
    repo = TaskRepository(session)
    if not dry_run:
        await repo.lock_task_list(programme.id)
    errors = [
        FieldError(
            loc=[sheet.title, sheet.header_row, column], msg=f"缺少“{column}”列", type="missing"
        )
        for sheet in parsed.sheets
        for column in sheet.missing
    ]
    existing = {t.number: t for t in await repo.all_in_programme(programme.id)}
    reader = RowReader(
        programme,
        DomainDirectory(await repo.domains(programme.id)),
        UnitDirectory(await repo.units()),
        errors,
        existing,
    )
    plans = _plans(reader, parsed.rows, errors)
    changing = [existing[p.number] for p in plans if p.number in existing]
    history = await repo.milestones_with_history([m.id for t in changing for m in t.milestones])
    outcome = _compare(programme, plans, existing, history, errors)
    if errors:
        order = {title: i for i, title in enumerate(parsed.sheet_order)}
        errors.sort(key=lambda e: (order.get(str(e.loc[0]), 0), int(e.loc[1])))
        raise ValidationFailed(f"共 {len(errors)} 处错误，未导入任何数据", errors=errors)
    if not dry_run:
        try:
            for plan, task, diff in outcome.work:
                if task is None:
                    await _create(session, repo, principal, programme, plan)
                else:
                    await _update(session, repo, principal, programme, plan, task, diff)
        except (IntegrityError, StaleDataError) as exc:  # a concurrent change by the API
            raise Conflict("导入期间任务清单被他人修改，请重新导入") from exc
    return ImportPreview(
        dry_run=dry_run,
        created=outcome.created,
        changed=outcome.changed,
        unchanged=outcome.unchanged,
    )


def _plans(reader: RowReader, rows: list[xlsx.Row], errors: list[FieldError]) -> list[Plan]:
    """Every row read (its errors added); a number already used by an earlier row is an error
    at the later one, which is not planned."""
    plans: list[Plan] = []
    seen: dict[int, xlsx.Row] = {}
    for row in rows:
        number = xlsx.parse_number(row.cells.get("序号"))
        plan = reader.read(row, number)
        if number is not None and number in seen:
            first = seen[number]
            where = (
                f"第 {first.number} 行"
                if first.sheet == row.sheet
                else f"“{first.sheet}”第 {first.number} 行"
            )
            errors.append(
                FieldError(
                    loc=[row.sheet, row.number, row.column("序号")],
                    msg=f"序号重复：{number}（{where}已有）",
                    type="duplicate",
                )
            )
            continue
        if number is not None:
            seen[number] = row
        if plan is not None:
            plans.append(plan)
    return plans


@dataclass
class _Outcome:
    """What an import does: tasks to create, tasks to change (with the fields that move) and
    how many are already as the file says; `work` in the file's order."""

    created: list[CreatedTask] = field(default_factory=list)
    changed: list[ChangedTask] = field(default_factory=list)
    work: list[tuple[Plan, Task | None, dict[str, list[Any]]]] = field(default_factory=list)
    unchanged: int = 0


def _compare(
    programme: Programme,
    plans: list[Plan],
    existing: dict[int, Task],
    history: set[int],
    errors: list[FieldError],
) -> _Outcome:
    """Each plan against the task of its number, if any; changes an existing task may not take
    are added to `errors`."""
    outcome = _Outcome()
    for plan in plans:
        task = existing.get(plan.number)
        if task is None:
            outcome.created.append(CreatedTask(number=plan.number, title=plan.title))
            outcome.work.append((plan, None, {}))
            continue
        old, new = task_fields(task, programme), plan_fields(plan, programme)
        diff = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        if not diff:
            outcome.unchanged += 1
            continue
        _existing_task_errors(plan, task, history, errors)
        columns = list(dict.fromkeys(COLUMN_OF[k] for k in diff))
        outcome.changed.append(
            ChangedTask(number=plan.number, title=plan.title, fields=diff, columns=columns)
        )
        outcome.work.append((plan, task, diff))
    return outcome


async def _create(
    session: AsyncSession,
    repo: TaskRepository,
    principal: Principal,
    programme: Programme,
    plan: Plan,
) -> None:
    task = Task(
        programme_id=programme.id,
        number=plan.number,
        domain_id=plan.domain.id,
        task_class=plan.task_class,
        title=plan.title,
        benchmark=plan.benchmark,
        goal=plan.goal,
        measures=plan.measures,
        lead_unit_id=plan.lead.id,
        deadline=plan.deadline,
        deadline_text=plan.deadline_text,
    )
    session.add(task)
    await session.flush()
    await repo.set_responsible_units(task.id, [u.id for u in plan.responsible])
    for ordinal, (planned, title) in enumerate(plan.milestones, start=1):
        repo.add_milestone(task.id, ordinal, title, planned)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="task.imported",
        entity_type="task",
        entity_id=f"{programme.code}/{plan.number}",
        after=plan_fields(plan, programme),
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "task.created",
        f"导入任务清单新增任务 {plan.number}：{plan.title}",
        actor=principal,
    )


async def _update(
    session: AsyncSession,
    repo: TaskRepository,
    principal: Principal,
    programme: Programme,
    plan: Plan,
    task: Task,
    diff: dict[str, list[Any]],
) -> None:
    """Apply the changed fields. A milestone whose date moves keeps its baseline (as with an
    approved extension) and the move is written to the task's timeline."""
    before = task_fields(task, programme)
    task.domain_id, task.task_class, task.title = plan.domain.id, plan.task_class, plan.title
    task.benchmark, task.goal, task.measures = plan.benchmark, plan.goal, plan.measures
    task.lead_unit_id, task.deadline = plan.lead.id, plan.deadline
    if "deadline_text" in diff:
        task.deadline_text = plan.deadline_text
    if "responsible_units" in diff:
        await repo.set_responsible_units(task.id, [u.id for u in plan.responsible], replace=True)
    moved: list[tuple[int, date, date]] = []
    current: dict[int, Milestone] = {m.ordinal: m for m in task.milestones}
    for ordinal, (planned, title) in enumerate(plan.milestones, start=1):
        milestone = current.pop(ordinal, None)
        if milestone is None:
            repo.add_milestone(task.id, ordinal, title, planned)
            continue
        if milestone.planned_date != planned:
            moved.append((ordinal, milestone.planned_date, planned))
            milestone.planned_date = planned  # the baseline stays where it was
        if milestone.title.strip() != title:
            milestone.title = title
    task.updated_at = func.now()  # always an UPDATE, so the version moves
    await session.flush()
    await repo.delete_milestones([m.id for m in current.values()])
    await audit.record(
        session,
        actor=principal,
        action="task.reimported",
        entity_type="task",
        entity_id=f"{programme.code}/{plan.number}",
        before=before,
        after=plan_fields(plan, programme),
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "task.updated",
        "导入任务清单修改了：" + "、".join(dict.fromkeys(COLUMN_OF[k] for k in diff)),
        actor=principal,
        data={"changed": list(diff)},
    )
    for ordinal, old, new in moved:
        await timeline.append(
            session,
            "task",
            task.id,
            "milestone.replanned",
            f"导入任务清单将第 {ordinal} 个时间节点由 {cn_date(old)} 调整为 {cn_date(new)}"
            "（基线日期不变）",
            actor=principal,
            data={"ordinal": ordinal, "from": old, "to": new},
        )
    if current:
        dropped = "、".join(str(o) for o in sorted(current))
        await timeline.append(
            session,
            "task",
            task.id,
            "milestone.removed",
            f"导入任务清单删除了第 {dropped} 个时间节点",
            actor=principal,
        )


# --- export -----------------------------------------------------------------------------------


def export_rows(tasks: Sequence[Task], programme: Programme) -> list[dict[str, Any]]:
    """One spreadsheet row per task, grouped by domain: units by short name joined with `、`,
    完成时限 as written (or the date), milestones as lines `2026年3月31日前：…`."""
    rows = []
    for task in sorted(tasks, key=lambda t: (t.domain.ordinal, t.domain.code, t.number)):
        rows.append(
            {
                "序号": task.number,
                "领域": task.domain.name,
                "任务": task.title,
                "类别": task.task_class.value,
                "对标": task.benchmark,
                "目标": task.goal,
                "具体措施": task.measures,
                "牵头单位": task.lead_unit.short_name,
                "责任单位": "、".join(
                    u.short_name for u in sorted(task.responsible_units, key=lambda u: u.code)
                ),
                "完成时限": shown_deadline(task.deadline_text, task.deadline, programme),
                "时间节点": "\n".join(
                    f"{cn_date(m.planned_date)}前：{m.title}"
                    for m in sorted(task.milestones, key=lambda m: m.ordinal)
                ),
            }
        )
    return rows


async def export_task_list(
    session: AsyncSession, principal: Principal, programme: Programme
) -> Download:
    """The caller's readable tasks (a unit: its own) in the import layout."""
    tasks = await TaskRepository(session).readable_with_detail(principal, programme.id)
    rows = export_rows(tasks, programme)
    title = f"{programme.name}重点任务清单"
    content = await asyncio.to_thread(xlsx.write_task_list, title, rows)
    return Download(content, f"{title}.xlsx")


INSTRUCTIONS: list[tuple[str, str]] = [
    (
        "序号",
        "任务编号，正整数，同一文件内不能重复；已有的序号表示修改该任务，新的序号表示新增。"
        "以“示例”开头的行（如本模板的两行示例）导入时跳过",
    ),
    ("领域", "领域名称或代码；同一领域的任务可合并单元格，也可在其上方单独一行写“一、领域名称”"),
    ("任务", f"任务名称，不超过 {TITLE_MAX} 字"),
    (
        "类别",
        "A / B / C，也可写“A类”：A 补齐短板（低于对标城市），B 巩固提升（达到或超过对标城市），"
        "C 需法律法规授权的探索",
    ),
    ("对标", "对标城市或标准，可空"),
    ("目标", "改革目标；为空时以任务名称代替"),
    ("具体措施", "可空"),
    ("牵头单位", "只能一个单位：全称、简称、别名或代码均可（别名在“单位管理”中维护）"),
    (
        "责任单位",
        "一个或多个单位，用“、”“，”“；”“/”或换行分隔；不能包含牵头单位；“各区县”表示全部区县",
    ),
    (
        "完成时限",
        "如 2026年6月底前、6月底前（月末）、2026年12月31日、2026-12-31、2026年三季度（季末）、"
        "上半年、年底前、长期坚持（改革工程结束日），或日期单元格；原文保留",
    ),
    (
        "时间节点",
        "每行一个节点，写作“3月底前：完成方案制定”或“2026年6月30日：系统上线”；"
        "日期依次递增，在改革工程年度内，且不晚于完成时限",
    ),
    (
        "导入规则",
        "先预览（不写入），确认后再导入。任何一处错误都不会写入数据，错误会列出工作表、行号、列名。"
        "文件须为 .xlsx，不超过 5 MB、5000 行",
    ),
]


async def template(session: AsyncSession, programme: Programme) -> Download:
    """An empty list in the import layout with two example rows (skipped on import) written
    with this programme's domains and units, and a sheet 填写说明 with each column's rules."""
    repo = TaskRepository(session)
    domains = [d.name for d in await repo.domains(programme.id)] or ["商事登记", "纳税"]
    units = [u for u in await repo.units() if u.is_active]
    departments = [u.short_name for u in units if u.kind == UnitKind.department]
    districts = [u.short_name for u in units if u.kind == UnitKind.district]
    departments += ["市市场监管局", "市政务服务局", "市税务局"][len(departments) :]
    districts += ["某某区", "某某县"][len(districts) :]
    year = programme.year
    rows = [
        {
            "序号": f"{xlsx.EXAMPLE_PREFIX}1",
            "领域": domains[0],
            "任务": "企业开办全程网办",
            "类别": "A类",
            "对标": "深圳：企业开办0.5个工作日",
            "目标": "企业开办全流程压减至0.5个工作日",
            "具体措施": "推行一表填报、一网通办",
            "牵头单位": departments[0],
            "责任单位": "、".join(departments[1:3]),
            "完成时限": f"{year}年6月底前",
            "时间节点": "3月底前：制定工作方案\n6月底前：系统上线运行",
        },
        {
            "序号": f"{xlsx.EXAMPLE_PREFIX}2",
            "领域": domains[min(1, len(domains) - 1)],
            "任务": "办税时间压缩",
            "类别": "B",
            "对标": "",
            "目标": "",
            "具体措施": "",
            "牵头单位": departments[2],
            "责任单位": "\n".join(districts[:2]),
            "完成时限": "长期坚持",
            "时间节点": f"{year}年三季度：出台实施细则\n12月31日前：全面推开",
        },
    ]
    title = f"{programme.name}重点任务清单"
    content = await asyncio.to_thread(
        xlsx.write_task_list, f"{title}（导入模板）", rows, instructions=INSTRUCTIONS
    )
    return Download(content, f"{title}导入模板.xlsx")
