"""Reminders to units' inboxes, each sent once (its `dedupe_key` names what it is about):

- a milestone due within 7 days, due today, overdue (seed 001_643c54550577dac0.txt: the battle
  map's dated time nodes), once per planned date, so an approved extension reminds again; an
  overdue reminder only until the milestone is seriously lagging (the programme's threshold),
  from when the lagging sweep and supervision take over;
- the quarterly work report, due by the 25th of the quarter's last month (seed
  003_fe0a5556b3029276.txt: "每季度末月25日前将工作开展情况报市创优营商环境组"; docs/RULES.md:
  "A quarterly progress report is due by the 25th of the quarter's last month (reminded)"), from
  7 days before, to each reporting unit that has not submitted it yet;
- a rating window closing within 3 days, to the lead units that rate (seed 001: lead units rate
  responsible units; docs/RULES.md: "The lead unit rates its task's responsible units …");
- a supervision's deadline within 3 days (seed 002_c95ffdd180ea7e81.txt: a supervision sets a
  deadline, 一次督办、限期解决);
- a major project's weekly report (周报) missing by its due day (seed 003 item 18; office default
  Friday), to the project's lead unit, once per project and week
  (services/reform_tasks/project/weekly.py).

Running again for the same or a later day sends only what is new; after an outage the first run
sends what is still relevant (a due-soon window covers the missed days).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.project import weekly as project_weekly
from services.reform_tasks.reminder.repository import Reminder, ReminderRepository
from services.reform_tasks.reminder.schemas import ReminderRunResult, SentReminder
from services.reform_tasks.submission import service as submissions
from shared import audit, outbox
from shared.auth import Principal
from shared.milestone_status import Thresholds
from shared.models import Programme
from shared.settings import Settings

DUE_SOON_DAYS = 7
QUARTERLY_REPORT_DAY = 25
QUARTERLY_REPORT_NOTICE_DAYS = 7
CLOSING_SOON_DAYS = 3
KINDS = (
    "milestone_due_soon",
    "milestone_due_today",
    "milestone_overdue",
    "quarterly_report_due",
    "rating_window_closing",
    "supervision_due",
    project_weekly.REMINDER_KIND,
)


async def _milestones(
    repository: ReminderRepository, programme: Programme, as_of: date
) -> list[Reminder]:
    serious = Thresholds.of(programme.settings).seriously_lagging_after_days
    milestones = await repository.open_milestones_between(
        programme.id,
        as_of,
        as_of - timedelta(days=serious),
        as_of + timedelta(days=DUE_SOON_DAYS),
    )
    units = await repository.units_of_tasks(sorted({m.task_id for m in milestones}))
    reminders = []
    for m in milestones:
        subject = f"任务{m.task_number}第{m.ordinal}个时间节点“{m.title}”"
        if m.planned_date > as_of:
            kind, title = "milestone_due_soon", f"【即将到期】{subject}"
            body = f"计划完成日期 {m.planned_date}，还有 {(m.planned_date - as_of).days} 天。"
        elif m.planned_date == as_of:
            kind, title = "milestone_due_today", f"【今日到期】{subject}"
            body = f"计划完成日期为今天（{m.planned_date}），请及时报送进展。"
        else:
            kind, title = "milestone_overdue", f"【已逾期】{subject}"
            body = f"计划完成日期 {m.planned_date} 已过，请尽快完成或申请延期。"
        for unit_id in units.get(m.task_id, []):
            reminders.append(
                Reminder(
                    unit_id=unit_id,
                    kind=kind,
                    title=title,
                    body=f"{m.task_title}：{body}",
                    link=f"/tasks/{m.task_number}",
                    dedupe_key=f"{kind}:{m.id}:{m.planned_date}:{unit_id}",
                )
            )
    return reminders


async def _quarterly_report(
    repository: ReminderRepository, programme: Programme, as_of: date
) -> list[Reminder]:
    if as_of.month % 3 != 0:
        return []
    due = date(as_of.year, as_of.month, QUARTERLY_REPORT_DAY)
    if not due - timedelta(days=QUARTERLY_REPORT_NOTICE_DAYS) <= as_of <= due:
        return []
    quarter = f"{as_of.year}-Q{as_of.month // 3}"
    # The units that report quarterly (services/reform_tasks/submission) and have not yet.
    session = repository.session
    done = await submissions.units_submitted(session, programme, quarter)
    return [
        Reminder(
            unit_id=unit_id,
            kind="quarterly_report_due",
            title=f"【季度工作报告】请于 {due} 前报送 {quarter} 季度工作报告",
            body="请总结本季度各项工作开展情况，连同附件在“季度报告”页面报送。",
            link="/submissions",
            dedupe_key=f"quarterly_report_due:{programme.code}:{quarter}:{unit_id}",
        )
        for unit_id in await submissions.reporting_units(session, programme)
        if unit_id not in done
    ]


async def _rating_windows(
    repository: ReminderRepository, programme: Programme, as_of: date
) -> list[Reminder]:
    windows = await repository.windows_closing(
        programme.id, as_of, as_of + timedelta(days=CLOSING_SOON_DAYS)
    )
    if not windows:
        return []
    raters = await repository.lead_units_with_raters(programme.id)
    return [
        Reminder(
            unit_id=unit_id,
            kind="rating_window_closing",
            title=f"【评分即将截止】{window.name}将于 {window.closes_on} 截止",
            body="请在截止前对所牵头任务的责任单位完成评分。",
            link="/ratings",
            dedupe_key=f"rating_window_closing:{window.id}:{unit_id}",
        )
        for window in windows
        for unit_id in raters
    ]


async def _supervisions(
    repository: ReminderRepository, programme: Programme, as_of: date
) -> list[Reminder]:
    return [
        Reminder(
            unit_id=s.unit_id,
            kind="supervision_due",
            title=f"【督办即将到期】整改期限 {s.due_on}",
            body=s.reason,
            link=f"/supervisions/{s.id}",
            dedupe_key=f"supervision_due:{s.id}:{s.due_on}",
        )
        for s in await repository.supervisions_due(
            programme.id, as_of, as_of + timedelta(days=CLOSING_SOON_DAYS)
        )
    ]


async def run(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    as_of: date,
) -> ReminderRunResult:
    """Send the reminders due as of `as_of`, each once; with OA_WEBHOOK_URL set, each is also
    queued for the city's OA system in the same transaction (the relay delivers it, signed,
    retrying until the OA system takes it)."""
    repository = ReminderRepository(session)
    reminders = [
        *await _milestones(repository, programme, as_of),
        *await _quarterly_report(repository, programme, as_of),
        *await _rating_windows(repository, programme, as_of),
        *await _supervisions(repository, programme, as_of),
        *await project_weekly.missing_reminders(session, principal, programme, as_of),
    ]
    sent = await repository.deliver(reminders)
    answer = [
        SentReminder(
            id=s.id, unit_code=s.unit_code, kind=s.kind, title=s.title, body=s.body, link=s.link
        )
        for s in sent
    ]
    if settings.oa_webhook_url:
        for reminder in answer:
            await outbox.enqueue(
                session,
                f"reminder.{reminder.kind}",
                reminder.model_dump(),
                programme=programme.code,
                unit_code=reminder.unit_code,
            )
    counts = Counter(s.kind for s in sent)
    if sent:
        await audit.record(
            session,
            actor=principal,
            action="reminders.sent",
            entity_type="programme",
            entity_id=programme.code,
            after={"as_of": as_of, "counts": dict(counts)},
        )
    return ReminderRunResult(
        as_of=as_of,
        counts={kind: counts[kind] for kind in KINDS if counts[kind]},
        sent=answer,
    )
