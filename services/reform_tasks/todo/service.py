"""A unit's to-do list (待办, issue #22): what the unit must act on, for the home page its liaison
(联络员) opens on a phone. Office defaults (docs/RULES.md: "A unit's to-do list shows …", "An
item leaves the to-do list …"); no seed names the list, it gathers what the seeds' workflow asks
of a unit:

- its tasks' milestones (lead or responsible) not done and planned within the next
  `TODO_DUE_WITHIN_DAYS` days (7), and every overdue one (seed 001_643c54550577dac0.txt: the
  battle map's dated time nodes);
- its progress reports the lead unit (or the office, 不予销号) returned, until it reports on that
  milestone again;
- the supervisions (督办) issued to it, still open and not yet replied to (seed
  002_c95ffdd180ea7e81.txt; once the unit replied, 督办回复, the supervision waits for the office);
- as a lead unit, each open rating window in which it has not rated every responsible unit of its
  tasks (seed 001: the lead unit rates its responsible units);
- the open leader instructions (领导批示) assigned to it that it has not answered yet (issue #27);
- its unread inbox messages.

Overdue first, then by due date; undated items (messages) last, newest first.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.instruction.repository import InstructionRepository, OpenInstruction
from services.reform_tasks.problem_list.repository import ProblemListRepository
from services.reform_tasks.project import rules as project_rules
from services.reform_tasks.project.repository import ProjectRepository
from services.reform_tasks.project.service import project_rules as project_rule_settings
from services.reform_tasks.submission import rules as submission_rules
from services.reform_tasks.submission.repository import SubmissionRepository
from services.reform_tasks.supervision.service import LEVEL_LABELS
from services.reform_tasks.todo.repository import (
    MilestoneRow,
    OpenRatingWindow,
    OpenSupervision,
    ReturnedReport,
    TodoRepository,
)
from services.reform_tasks.todo.schemas import (
    TaskWarning,
    TodoCounts,
    TodoItem,
    TodoKind,
    TodoOut,
)
from services.reform_tasks.unit.repository import UnitRepository
from services.reform_tasks.warning.service import TaskLight, task_lights
from shared.auth import Principal
from shared.clock import today_shanghai
from shared.errors import FieldError, Forbidden, NotFound, ValidationFailed
from shared.models import ProblemList, Programme, Project, Unit, UnitMessage
from shared.periods import Period, period_containing
from shared.settings import Settings
from shared.warning_light import WarningLight

# The newest unread messages listed as items; `counts.message` counts them all (the inbox
# lists the rest).
MESSAGES_LISTED = 20
_KIND_ORDER = {kind: rank for rank, kind in enumerate(TodoKind)}


async def unit_in_view(session: AsyncSession, principal: Principal, unit_code: str | None) -> Unit:
    """Whose list: a unit account reads its own unit's only (naming another unit is 403); the
    office names the unit (`unit`) — there is no city-wide to-do list, so without it the answer
    is 422. Viewers and machines act on nothing and have no list (the router lets them not in)."""
    if principal.is_unit:
        if unit_code is not None and unit_code != principal.unit_code:
            raise Forbidden("只能查看本单位的待办")
        code = principal.unit_code
        if not code:
            raise Forbidden("当前账号未归属任何单位，没有待办")
    elif principal.is_office:
        if not unit_code:
            message = "改革办查看待办须指定单位代码"
            raise ValidationFailed(
                "请指定要查看待办的单位（unit）",
                errors=[FieldError(loc=["query", "unit"], msg=message, type="missing")],
            )
        code = unit_code
    else:
        raise Forbidden("只有单位和改革办可以查看待办")
    unit = await UnitRepository(session).get_by_code(code)
    if unit is None:
        raise NotFound(f"单位 {code} 不存在")
    return unit


def _item(
    kind: TodoKind,
    id_: int,
    title: str,
    due_on: date | None,
    route: str,
    today: date,
    milestone: MilestoneRow | None = None,
) -> TodoItem:
    """`milestone`: the milestone (and so the task) the item concerns, if any."""
    days_left = (due_on - today).days if due_on is not None else None
    return TodoItem(
        kind=kind,
        id=id_,
        title=title,
        due_on=due_on,
        days_left=days_left,
        overdue=days_left is not None and days_left < 0,
        route=route,
        task_number=milestone.task_number if milestone else None,
        task_title=milestone.task_title if milestone else None,
        milestone_ordinal=milestone.ordinal if milestone else None,
        milestone_title=milestone.title if milestone else None,
    )


def _subject(m: MilestoneRow) -> str:
    return f"任务{m.task_number}第{m.ordinal}个时间节点“{m.title}”"


def milestone_item(m: MilestoneRow, today: date) -> TodoItem:
    if m.planned_date < today:
        kind, label = TodoKind.milestone_overdue, "已逾期"
    else:
        kind, label = TodoKind.milestone_due, "今日到期" if m.planned_date == today else "即将到期"
    route = f"/tasks/{m.task_number}"
    return _item(kind, m.id, f"【{label}】{_subject(m)}", m.planned_date, route, today, m)


def returned_report_item(r: ReturnedReport, today: date) -> TodoItem:
    """Due by the milestone's planned date: the report is what shows the milestone done."""
    m = r.milestone
    title = f"【退回修改】{_subject(m)}"
    route = f"/tasks/{m.task_number}"
    kind = TodoKind.progress_report_returned
    return _item(kind, r.id, title, m.planned_date, route, today, m)


def supervision_item(s: OpenSupervision, today: date) -> TodoItem:
    return _item(
        TodoKind.supervision,
        s.id,
        f"【{LEVEL_LABELS[s.level]}】{s.subject.label}",
        s.due_on,
        f"/supervisions/{s.id}",
        today,
        s.milestone,
    )


def rating_item(w: OpenRatingWindow, today: date) -> TodoItem:
    title = f"【评分】{w.name}：待评 {w.unrated} 项"
    return _item(TodoKind.rating, w.id, title, w.closes_on, f"/ratings/{w.code}", today)


def instruction_item(i: OpenInstruction, today: date) -> TodoItem:
    title = f"【领导批示】{i.leader_title}{i.leader_name}：{i.text[:40]}"
    return _item(TodoKind.instruction, i.id, title, i.due_on, f"/instructions/{i.id}", today)


def weekly_report_item(project: Project, week: str, due_on: date, today: date) -> TodoItem:
    title = f"【周报】{project.name}：报送 {week} 周报"
    return _item(
        TodoKind.weekly_report, project.id, title, due_on, f"/projects/{project.id}", today
    )


def quarterly_report_item(quarter: Period, today: date) -> TodoItem:
    year, part = quarter.id.split("-Q")
    title = f"【季度工作报告】报送{year}年第{part}季度工作报告"
    due_on = submission_rules.due_date(quarter)
    return _item(
        TodoKind.quarterly_report, int(year) * 10 + int(part), title, due_on, "/submissions", today
    )


def returned_list_item(problem_list: ProblemList, today: date) -> TodoItem:
    reason = f"：{problem_list.return_reason}" if problem_list.return_reason else ""
    title = f"【清单退回】问题清单“{problem_list.title}”被退回{reason}"
    route = f"/problem-lists/{problem_list.id}"
    return _item(TodoKind.problem_list_returned, problem_list.id, title, None, route, today)


async def filings_items(
    session: AsyncSession, programme: Programme, unit: Unit, today: date, until: date
) -> list[TodoItem]:
    """What the seeds' filings ask of the unit (issue #27): this week's report of each key
    project it leads that reports weekly and has none yet (due on the office's weekday); this
    quarter's work report while it has none, from `until` before the 25th; its returned lists."""
    items = []
    week = project_rules.iso_week(today)
    due_weekday = project_rule_settings(programme).due_weekday
    repository = ProjectRepository(session)
    projects = await repository.led_by(programme.id, unit.id)
    weekly = [p for p in projects if project_rules.reports_weekly(p.level, p.status, p.stage)]
    reported = await repository.reported([p.id for p in weekly], week)
    due = project_rules.due_on(week, due_weekday)
    items += [weekly_report_item(p, week, due, today) for p in weekly if p.id not in reported]
    quarter = period_containing(today, "quarter")
    if submission_rules.due_date(quarter) <= until and await _owes_report(
        session, programme, unit, quarter
    ):
        items.append(quarterly_report_item(quarter, today))
    returned = await ProblemListRepository(session).returned_to(programme.id, unit.id)
    items += [returned_list_item(lst, today) for lst in returned]
    return items


async def _owes_report(
    session: AsyncSession, programme: Programme, unit: Unit, quarter: Period
) -> bool:
    """Whether the unit reports quarterly and has no report for `quarter` yet."""
    submissions = SubmissionRepository(session)
    if unit.id not in {u.id for u in await submissions.expected_units(programme.id)}:
        return False
    return await submissions.existing(programme.id, unit.id, quarter.id) is None


def message_item(message: UnitMessage, today: date) -> TodoItem:
    return _item(TodoKind.message, message.id, message.title, None, "/inbox", today)


def urgency(item: TodoItem) -> tuple[bool, bool, date, int]:
    """Overdue first, then by due date (undated last), then by kind; otherwise as listed."""
    return (not item.overdue, item.due_on is None, item.due_on or date.max, _KIND_ORDER[item.kind])


async def todo(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    unit_code: str | None,
    warning_light: WarningLight | None = None,
) -> TodoOut:
    """The list as of today in Shanghai: each kind read for the one unit in view, sorted by
    `urgency`; `counts` per kind (all unread messages, though only the newest are listed).
    Items about a task carry its warning light; `warnings` lists the unit's yellow and red
    tasks; `warning_light` keeps only the items (and warnings) of tasks with that light."""
    unit = await unit_in_view(session, principal, unit_code)
    today = today_shanghai()
    until = today + timedelta(days=settings.todo_due_within_days)
    repository, programme_id = TodoRepository(session), programme.id
    milestones = await repository.open_milestones(programme_id, unit, until)
    returned = await repository.returned_reports(programme_id, unit)
    supervisions = await repository.open_supervisions(programme_id, unit)
    windows = await repository.open_rating_windows(programme_id, unit, today)
    instructions = await InstructionRepository(session).open_for_unit(programme_id, unit.id)
    messages = await repository.unread_messages(unit, MESSAGES_LISTED)
    items = [
        *await filings_items(session, programme, unit, today, until),
        *(milestone_item(m, today) for m in milestones),
        *(returned_report_item(r, today) for r in returned),
        *(supervision_item(s, today) for s in supervisions),
        *(rating_item(w, today) for w in windows),
        *(instruction_item(i, today) for i in instructions),
        *(message_item(m, today) for m in messages),
    ]
    items.sort(key=urgency)
    lights = await task_lights(session, principal, programme, today, unit=unit.code)
    items, warnings = with_lights(items, lights, warning_light)
    counts = Counter(item.kind for item in items)
    counts[TodoKind.message] = await repository.unread_count(unit)
    return TodoOut(
        unit_code=unit.code,
        unit_name=unit.name,
        as_of=today,
        due_within_days=settings.todo_due_within_days,
        total=sum(counts.values()),
        counts=TodoCounts(**{kind.value: counts[kind] for kind in TodoKind}),
        items=items,
        warnings=warnings,
    )


_LIGHT_ORDER = {WarningLight.red: 0, WarningLight.yellow: 1, WarningLight.green: 2}


def with_lights(
    items: list[TodoItem],
    lights: dict[int, TaskLight],
    only: WarningLight | None,
) -> tuple[list[TodoItem], list[TaskWarning]]:
    """Each item about a task gets the task's light; the unit's yellow and red tasks, red
    first; with `only`, just the items and warnings of tasks with that light."""
    for item in items:
        if item.task_number is not None and item.task_number in lights:
            item.warning_light, item.warning_reason, _ = lights[item.task_number]
    if only is not None:
        items = [item for item in items if item.warning_light == only]
    warnings = [
        TaskWarning(
            task_number=number,
            task_title=found.title,
            warning_light=found.light,
            warning_reason=found.reason,
            route=f"/tasks/{number}",
        )
        for number, found in lights.items()
        if found.light != WarningLight.green and (only is None or found.light == only)
    ]
    warnings.sort(key=lambda w: (_LIGHT_ORDER[w.warning_light], w.task_number))
    return items, warnings
