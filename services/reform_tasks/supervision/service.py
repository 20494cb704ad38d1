"""Supervision (督办): the office demands that a unit fix a lagging milestone or a problem by a
date; not fixed by then → a second supervision (二次督办); still not → accountability (问责).
Seed 002_c95ffdd180ea7e81.txt: problems raised by firms are handled with first supervision, then
second supervision, then accountability (docs/RULES.md: "An unresolved first supervision past its
date becomes a second supervision …"); supervising a lagging milestone the same way is the office's.
Every step is dated, sent to the unit's inbox, shown in the subject's timeline, audited and told to
evaluation (`supervision.escalated`). The supervised unit answers an open supervision with what it
did (督办回复, `reply`); the office still decides whether it is resolved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.document import service as documents
from services.reform_tasks.document.docx import render_docx
from services.reform_tasks.document.service import Edition
from services.reform_tasks.message.service import notify
from services.reform_tasks.supervision.official import supervision_document, supervision_title
from services.reform_tasks.supervision.repository import (
    DocumentFacts,
    SubjectRef,
    SupervisionReplyRepository,
    SupervisionRepository,
)
from services.reform_tasks.supervision.schemas import (
    DecisionIn,
    EscalationSummary,
    ReplyEvidenceOut,
    ResolveIn,
    SupervisionDetailOut,
    SupervisionIn,
    SupervisionOut,
    SupervisionReplyOut,
)
from services.reform_tasks.task.repository import TaskRepository
from services.reform_tasks.timeline import service as timeline
from shared import audit, outbox, working_days
from shared.auth import Principal
from shared.clock import moment_of, now_utc, today_shanghai
from shared.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from shared.events import SupervisionEscalated
from shared.evidence.uploads import check_uploads, keep_files, stored_path
from shared.models import (
    DocumentKind,
    ProblemStatus,
    Programme,
    Supervision,
    SupervisionLevel,
    SupervisionReply,
    SupervisionReplyFile,
    SupervisionStatus,
)
from shared.pagination import Page, PageParams
from shared.settings import Settings, get_settings

LEVEL_LABELS = {
    SupervisionLevel.first: "督办",
    SupervisionLevel.second: "二次督办",
    SupervisionLevel.accountability: "问责",
}
# How a refused reply names the supervision's status.
STATUS_LABELS = {
    SupervisionStatus.open: "办理中",
    SupervisionStatus.resolved: "已办结",
    SupervisionStatus.escalated: "已升级为下一级督办",
    SupervisionStatus.proposed: "已拟问责、待改革办决定",
    SupervisionStatus.held_accountable: "已问责",
    SupervisionStatus.dismissed: "已决定不予问责",
}
# Office default: working days (the city's calendar, shared.working_days) a unit has to answer
# a second supervision, unless the programme sets `second_supervision_days`.
DEFAULT_SECOND_SUPERVISION_DAYS = 5


def to_out(supervision: Supervision, subject: SubjectRef, *, replied: bool) -> SupervisionOut:
    return SupervisionOut(
        id=supervision.id,
        level=supervision.level,
        status=supervision.status,
        unit_code=supervision.unit.code,
        unit_name=supervision.unit.name,
        task_number=subject.task_number,
        milestone_ordinal=subject.milestone_ordinal,
        problem_number=subject.problem_number,
        reason=supervision.reason,
        issued_on=supervision.issued_on,
        due_on=supervision.due_on,
        resolved_on=supervision.resolved_on,
        resolution=supervision.resolution,
        parent_id=supervision.parent_id,
        issued_by=supervision.issued_by,
        created_at=supervision.created_at,
        replied=replied,
        document_number=subject.document_number,
    )


def reply_out(
    reply: SupervisionReply, files: Sequence[SupervisionReplyFile]
) -> SupervisionReplyOut:
    url = f"/api/tasks/v1/supervisions/{reply.supervision_id}/evidence"
    return SupervisionReplyOut(
        id=reply.id,
        supervision_id=reply.supervision_id,
        facts=reply.facts,
        evidence=[
            ReplyEvidenceOut(
                id=f.id,
                filename=f.filename,
                content_type=f.content_type,
                size=f.size_bytes,
                download_url=f"{url}/{f.id}",
            )
            for f in files
        ],
        replied_by=reply.replied_by,
        replied_at=reply.replied_at,
    )


async def _out(session: AsyncSession, supervision: Supervision) -> SupervisionDetailOut:
    """One supervision with its replies, oldest first."""
    await session.refresh(supervision, ["unit", "created_at"])
    subjects = await SupervisionRepository(session).subjects([supervision.id])
    replies = await SupervisionReplyRepository(session).of_supervision(supervision.id)
    out = to_out(supervision, subjects[supervision.id], replied=bool(replies))
    return SupervisionDetailOut(
        **out.model_dump(), replies=[reply_out(r, r.files) for r in replies]
    )


async def _on_timeline(
    session: AsyncSession,
    principal: Principal | None,
    supervision: Supervision,
    subject: SubjectRef,
    kind: str,
    summary: str,
    extra: dict[str, Any] | None = None,
) -> None:
    data = {
        "supervision_id": supervision.id,
        "level": supervision.level,
        **subject.as_data(),
        **(extra or {}),
    }
    if subject.task_id is not None:
        await timeline.append(
            session, "task", subject.task_id, kind, summary, actor=principal, data=data
        )
    elif subject.problem_id is not None:
        await timeline.append(
            session, "problem", subject.problem_id, kind, summary, actor=principal, data=data
        )


def _subject_label(subject: SubjectRef, facts: DocumentFacts) -> str:
    if subject.task_number is not None:
        return (
            f"第{subject.task_number}项改革任务“{facts.task_title}”"
            f"第{subject.milestone_ordinal}个时间节点“{facts.milestone_title}”"
        )
    return f"第{subject.problem_number}号问题整改"


def _document_content(
    supervision: Supervision, subject: SubjectRef, facts: DocumentFacts
) -> dict[str, Any]:
    """What a 督办单 or 问责建议 is rendered from (`supervision/official.py`): the unit, the task
    and milestone (or the problem), the facts, the deadline, the supervision it follows. A 问责建议
    goes to the accountability body (an office default), copied to the unit."""
    settings = get_settings()
    accountability = supervision.level is SupervisionLevel.accountability
    return {
        "level": supervision.level.value,
        "level_label": LEVEL_LABELS[supervision.level],
        "issuer": settings.document_issuer,
        "issued_on": (supervision.resolved_on or supervision.issued_on).isoformat(),
        "addressee": settings.accountability_addressee if accountability else facts.unit_name,
        "unit_name": facts.unit_name,
        "subject_label": _subject_label(subject, facts),
        "task_number": subject.task_number,
        "task_title": facts.task_title,
        "milestone_name": facts.milestone_title,
        "milestone_planned_on": (
            facts.milestone_planned_on.isoformat() if facts.milestone_planned_on else None
        ),
        "problem_number": subject.problem_number,
        "problem_title": facts.problem,
        "reason": supervision.reason,
        "due_on": supervision.due_on.isoformat() if supervision.due_on else None,
        "parent_number": facts.parent_number,
        "decision_reason": supervision.resolution if accountability else None,
        "copy_to": facts.unit_name if accountability else None,
        "created_at": now_utc().isoformat(),
    }


async def _history(session: AsyncSession, supervision: Supervision) -> list[dict[str, Any]]:
    """The 督办单 a 问责建议 cites: each earlier step's level, 文号 and date."""
    if supervision.level is not SupervisionLevel.accountability:
        return []
    repository = SupervisionRepository(session)
    steps = await repository.ancestors(supervision.id)
    numbers = await repository.subjects(step.id for step in steps)
    return [
        {
            "level_label": LEVEL_LABELS[step.level],
            "document_number": numbers[step.id].document_number,
            "issued_on": step.issued_on.isoformat(),
        }
        for step in steps
    ]


def _render(content: dict[str, Any]) -> bytes:
    return render_docx(supervision_document(content))


async def _issue_document(
    session: AsyncSession, principal: Principal, supervision: Supervision, subject: SubjectRef
) -> str:
    """The supervision's 督办单 (or, for a held accountability, the 问责建议): numbered and stored
    as issued; its PDF is rendered on the first download (LibreOffice takes seconds, and the
    sweep may issue many at once)."""
    facts = await SupervisionRepository(session).document_facts(supervision.id)
    content = _document_content(supervision, subject, facts)
    content["history"] = await _history(session, supervision)
    accountability = supervision.level is SupervisionLevel.accountability
    document = await documents.issue(
        session,
        principal,
        kind=DocumentKind.accountability if accountability else DocumentKind.supervision,
        title=supervision_title(content),
        content=content,
        render=_render,
        with_pdf=False,
    )
    supervision.document_id = document.id
    return document.document_number


async def number_history(session: AsyncSession, principal: Principal, programme_id: int) -> int:
    """Number the programme's issued supervisions that have no document yet, in the order they
    were issued — for supervisions written as history (the demo year), not through `issue`.
    Returns how many were numbered."""
    repository = SupervisionRepository(session)
    pending = await repository.unnumbered(programme_id)
    subjects = await repository.subjects(s.id for s in pending)
    for supervision in pending:
        await _issue_document(session, principal, supervision, subjects[supervision.id])
    await session.flush()
    return len(pending)


async def _record_step(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    supervision: Supervision,
    as_of: date,
) -> None:
    """One supervision step (issued or escalated): inbox, timeline, audit and the event."""
    await session.flush()
    await session.refresh(supervision, ["unit"])
    subject = (await SupervisionRepository(session).subjects([supervision.id]))[supervision.id]
    number = await _issue_document(session, principal, supervision, subject)
    label = LEVEL_LABELS[supervision.level]
    due = f"，限 {supervision.due_on} 前整改到位" if supervision.due_on else ""
    await notify(
        session,
        supervision.unit_id,
        "supervision",
        f"【{label}】{subject.label}（{number}）",
        f"{supervision.reason}{due}",
        link=f"/supervisions/{supervision.id}",
        dedupe_key=f"supervision:{supervision.id}",
    )
    await _on_timeline(
        session,
        principal,
        supervision,
        subject,
        f"supervision.{supervision.level.value}",
        f"{label}{supervision.unit.short_name}：{supervision.reason}{due}",
    )
    await outbox.enqueue(
        session,
        "supervision.escalated",
        SupervisionEscalated(
            supervision_id=supervision.id,
            parent_id=supervision.parent_id,
            level=supervision.level.value,
            unit=supervision.unit.code,
            reason=supervision.reason,
            task_number=subject.task_number,
            milestone=subject.milestone_ordinal,
            problem_number=subject.problem_number,
            issued_on=supervision.issued_on,
            due_on=supervision.due_on,
        ),
        programme=programme.code,
        unit_code=supervision.unit.code,
        occurred_at=moment_of(as_of),
    )
    await audit.record(
        session,
        actor=principal,
        action=f"supervision.{supervision.level.value}",
        entity_type="supervision",
        entity_id=supervision.id,
        after={
            "level": supervision.level,
            "unit": supervision.unit.code,
            "subject": subject.as_data(),
            "reason": supervision.reason,
            "issued_on": supervision.issued_on,
            "due_on": supervision.due_on,
            "parent_id": supervision.parent_id,
            "document_number": number,
        },
    )


async def issue(
    session: AsyncSession, principal: Principal, programme: Programme, body: SupervisionIn
) -> SupervisionDetailOut:
    """The office supervises a unit involved in the subject: the lead or a responsible unit of
    the milestone's task, or the problem's responsible unit. One open supervision per unit and
    subject; a done milestone or a closed problem needs none."""
    repository = SupervisionRepository(session)
    unit = await repository.unit_by_code(body.unit_code)
    if unit is None:
        raise ValidationFailed(f"单位 {body.unit_code} 不存在")
    today = today_shanghai()
    if body.due_on <= today:
        raise ValidationFailed(
            "整改期限必须晚于今天",
            errors=[FieldError(loc=["body", "due_on"], msg="整改期限必须晚于今天", type="value")],
        )
    milestone_id = problem_id = None
    subject = body.subject
    if subject.task_number is not None and subject.milestone_ordinal is not None:
        task = await TaskRepository(session).get_by_number(programme.id, subject.task_number)
        if task is None:
            raise ValidationFailed(f"任务 {subject.task_number} 不存在")
        if unit.id != task.lead_unit_id and unit.id not in {u.id for u in task.responsible_units}:
            raise ValidationFailed(f"{unit.short_name}不是任务 {task.number} 的牵头单位或责任单位")
        milestone = await repository.lock_milestone(task.id, subject.milestone_ordinal)
        if milestone is None:
            raise ValidationFailed(
                f"任务 {task.number} 没有第 {subject.milestone_ordinal} 个时间节点"
            )
        if milestone.completed_on is not None:
            raise Conflict("该时间节点已完成，无需督办")
        milestone_id = milestone.id
    elif subject.problem_number is not None:
        problem = await repository.lock_problem(programme.id, subject.problem_number)
        if problem is None:
            raise ValidationFailed(f"问题 {subject.problem_number} 不存在")
        if problem.responsible_unit_id != unit.id:
            raise ValidationFailed(f"{unit.short_name}不是问题 {problem.number} 的责任单位")
        if problem.status is ProblemStatus.closed:
            raise Conflict("该问题已销号，无需督办")
        problem_id = problem.id
    if await repository.open_for(unit.id, milestone_id=milestone_id, problem_id=problem_id):
        raise Conflict("该单位对该事项已有未办结的督办")
    supervision = Supervision(
        programme_id=programme.id,
        unit_id=unit.id,
        level=SupervisionLevel.first,
        milestone_id=milestone_id,
        problem_id=problem_id,
        reason=body.reason,
        issued_on=today,
        due_on=body.due_on,
        issued_by=principal.username,
    )
    session.add(supervision)
    await _record_step(session, principal, programme, supervision, today)
    return await _out(session, supervision)


async def _document_id(
    session: AsyncSession, principal: Principal, programme: Programme, supervision_id: int
) -> int:
    supervision = await _readable(session, principal, programme.id, supervision_id)
    if supervision.document_id is None:
        if supervision.status is SupervisionStatus.proposed:
            raise NotFound("拟问责事项待改革办决定，尚未形成问责建议")
        raise NotFound("该督办没有编号公文（不予问责，或在公文编号启用前下发）")
    return supervision.document_id


async def document_docx(
    session: AsyncSession, principal: Principal, programme: Programme, supervision_id: int
) -> tuple[bytes, str]:
    """The 督办单 or 问责建议 as issued, and its file name."""
    document_id = await _document_id(session, principal, programme, supervision_id)
    document = await documents.signed(session, document_id)
    return documents.signed_docx(document), f"{document.title}.docx"


async def document_pdf(
    session: AsyncSession, principal: Principal, programme: Programme, supervision_id: int
) -> tuple[bytes, str]:
    """Its PDF: rendered from the stored DOCX on the first download and kept (503 without
    LibreOffice)."""
    document_id = await _document_id(session, principal, programme, supervision_id)
    content = await documents.pdf_of(session, document_id, Edition.full)
    return content, f"{(await documents.signed(session, document_id)).title}.pdf"


async def get(
    session: AsyncSession, principal: Principal, programme: Programme, supervision_id: int
) -> SupervisionDetailOut:
    supervision = await _readable(session, principal, programme.id, supervision_id)
    return await _out(session, supervision)


async def _readable(
    session: AsyncSession,
    principal: Principal,
    programme_id: int,
    supervision_id: int,
    *,
    lock: bool = False,
) -> Supervision:
    supervision = await SupervisionRepository(session).get_readable(
        principal, programme_id, supervision_id, lock=lock
    )
    if supervision is None:
        raise NotFound("督办不存在或无权查看")
    return supervision


async def list_supervisions(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    *,
    status: SupervisionStatus | None,
    level: SupervisionLevel | None,
    unit: str | None,
    task: int | None = None,
) -> Page[SupervisionOut]:
    repository = SupervisionRepository(session)
    rows, total = await repository.readable_page(
        principal, programme.id, page, status=status, level=level, unit=unit, task=task
    )
    subjects = await repository.subjects(s.id for s in rows)
    replied = await SupervisionReplyRepository(session).replied(s.id for s in rows)
    items = [to_out(s, subjects[s.id], replied=s.id in replied) for s in rows]
    return Page[SupervisionOut](items=items, total=total)


async def _close(
    session: AsyncSession,
    principal: Principal,
    supervision: Supervision,
    on: date,
    resolution: str,
) -> None:
    """Mark a supervision resolved and say so in the inbox, the timeline and the audit log."""
    supervision.status = SupervisionStatus.resolved
    supervision.resolved_on, supervision.resolution = on, resolution
    await session.flush()
    subject = (await SupervisionRepository(session).subjects([supervision.id]))[supervision.id]
    label = LEVEL_LABELS[supervision.level]
    await notify(
        session,
        supervision.unit_id,
        "supervision",
        f"【{label}办结】{subject.label}",
        resolution,
        link=f"/supervisions/{supervision.id}",
        dedupe_key=f"supervision:{supervision.id}:resolved",
    )
    await _on_timeline(
        session,
        principal,
        supervision,
        subject,
        "supervision.resolved",
        f"{label}办结（{supervision.unit.short_name}）：{resolution}",
    )
    await audit.record(
        session,
        actor=principal,
        action="supervision.resolved",
        entity_type="supervision",
        entity_id=supervision.id,
        before={"status": SupervisionStatus.open},
        after={"status": supervision.status, "resolved_on": on, "resolution": resolution},
    )


async def resolve(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    supervision_id: int,
    body: ResolveIn,
) -> SupervisionDetailOut:
    """The office ends an open supervision (fixed, or no longer needed); escalation stops."""
    supervision = await _readable(session, principal, programme.id, supervision_id, lock=True)
    if supervision.status is not SupervisionStatus.open:
        raise Conflict("该督办已办结或已升级，不能再办结")
    await _close(session, principal, supervision, today_shanghai(), body.resolution)
    return await _out(session, supervision)


async def escalate(
    session: AsyncSession, principal: Principal, programme: Programme, as_of: date
) -> EscalationSummary:
    """Seed 002_c95ffdd180ea7e81.txt (首次督办 → 二次督办 → 问责; docs/RULES.md: "An unresolved
    first supervision past its date becomes a second supervision …"): every open supervision whose
    due date is before `as_of` and whose subject is still not done escalates one level — a first
    supervision to a second one (due `second_supervision_days` working days later, an office
    default), a second one to a proposal of accountability for the office to decide (`decide`; issue
    #19, fix 5: 问责 is a decision, not a cron job; docs/RULES.md: "Accountability is the office's
    decision …"). If the subject was done meanwhile it is resolved instead. Running the sweep again
    for the same day changes nothing."""
    summary = EscalationSummary(
        as_of=as_of, escalated_to_second=0, escalated_to_accountability=0, resolved=0
    )
    repository = SupervisionRepository(session)
    second_days = int(
        programme.settings.get("second_supervision_days", DEFAULT_SECOND_SUPERVISION_DAYS)
    )
    calendar = await working_days.load(session)
    for supervision in await repository.due_for_escalation(programme.id, as_of):
        if await repository.subject_done(supervision):
            await _close(session, principal, supervision, as_of, "督办事项已完成，督办自动办结")
            summary.resolved += 1
            continue
        supervision.status = SupervisionStatus.escalated
        first = supervision.level is SupervisionLevel.first
        following = Supervision(
            programme_id=programme.id,
            unit_id=supervision.unit_id,
            level=SupervisionLevel.second if first else SupervisionLevel.accountability,
            milestone_id=supervision.milestone_id,
            problem_id=supervision.problem_id,
            parent_id=supervision.id,
            reason=f"{LEVEL_LABELS[supervision.level]}逾期未整改：{supervision.reason}",
            issued_on=as_of,
            due_on=calendar.add_working_days(as_of, second_days) if first else None,
            status=SupervisionStatus.open if first else SupervisionStatus.proposed,
            issued_by=principal.username,
        )
        session.add(following)
        await audit.record(
            session,
            actor=principal,
            action="supervision.escalated",
            entity_type="supervision",
            entity_id=supervision.id,
            before={"status": SupervisionStatus.open},
            after={"status": SupervisionStatus.escalated, "as_of": as_of},
        )
        if first:
            await _record_step(session, principal, programme, following, as_of)
            summary.escalated_to_second += 1
        else:
            await _propose_accountability(session, principal, following)
            summary.escalated_to_accountability += 1
    await session.flush()
    return summary


async def _propose_accountability(
    session: AsyncSession, principal: Principal, supervision: Supervision
) -> None:
    """待决定: told to the unit and shown on the timeline; it costs nothing until decided."""
    await session.flush()
    await session.refresh(supervision, ["unit"])
    subject = (await SupervisionRepository(session).subjects([supervision.id]))[supervision.id]
    await notify(
        session,
        supervision.unit_id,
        "supervision",
        f"【拟问责，待改革办决定】{subject.label}",
        supervision.reason,
        link=f"/supervisions/{supervision.id}",
        dedupe_key=f"supervision:{supervision.id}:proposed",
    )
    await _on_timeline(
        session,
        principal,
        supervision,
        subject,
        "supervision.proposed",
        f"拟对{supervision.unit.short_name}问责，待改革办决定：{supervision.reason}",
    )
    await audit.record(
        session,
        actor=principal,
        action="supervision.accountability_proposed",
        entity_type="supervision",
        entity_id=supervision.id,
        after={"unit": supervision.unit.code, "reason": supervision.reason},
    )


async def decide(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    supervision_id: int,
    body: DecisionIn,
) -> SupervisionDetailOut:
    """The office decides a proposed accountability: 问责 (`hold`: told to evaluation as
    `supervision.escalated` at level accountability, which costs points, dated today) or 不予问责
    (`dismiss`, with the reason; costs nothing). 409 unless the supervision is a proposal."""
    supervision = await _readable(session, principal, programme.id, supervision_id, lock=True)
    if supervision.status is not SupervisionStatus.proposed:
        raise Conflict("只有待决定的拟问责事项可以作出决定")
    today = today_shanghai()
    reason = body.reason.strip()
    hold = body.decision == "hold"
    supervision.status = SupervisionStatus.held_accountable if hold else SupervisionStatus.dismissed
    supervision.resolved_on, supervision.resolution = today, reason
    if hold:
        await _record_step(session, principal, programme, supervision, today)
        return await _out(session, supervision)
    await session.flush()
    subject = (await SupervisionRepository(session).subjects([supervision.id]))[supervision.id]
    await notify(
        session,
        supervision.unit_id,
        "supervision",
        f"【不予问责】{subject.label}",
        reason,
        link=f"/supervisions/{supervision.id}",
        dedupe_key=f"supervision:{supervision.id}:dismissed",
    )
    await _on_timeline(
        session,
        principal,
        supervision,
        subject,
        "supervision.dismissed",
        f"改革办决定对{supervision.unit.short_name}不予问责：{reason}",
    )
    await audit.record(
        session,
        actor=principal,
        action="supervision.dismissed",
        entity_type="supervision",
        entity_id=supervision.id,
        before={"status": SupervisionStatus.proposed},
        after={"status": supervision.status, "reason": reason},
    )
    return await _out(session, supervision)


# --- the supervised unit's reply (督办回复) ----------------------------------------------------


async def _to_answer(
    session: AsyncSession, principal: Principal, programme: Programme, supervision_id: int
) -> Supervision:
    """The supervision the caller may answer, locked against the office resolving it meanwhile:
    a unit account of the supervised unit (anyone else 403), while it is open (409 naming its
    status)."""
    if not principal.is_unit:
        raise Forbidden("只有被督办单位可以回复督办")
    supervision = await SupervisionRepository(session).get_in_programme(
        programme.id, supervision_id, lock=True
    )
    if supervision is None:
        raise NotFound("督办不存在或无权查看")
    if supervision.unit.code != principal.unit_code:
        raise Forbidden("只有被督办单位可以回复该督办")
    if supervision.status is not SupervisionStatus.open:
        raise Conflict(f"该督办{STATUS_LABELS[supervision.status]}，不能再回复")
    return supervision


async def _record_reply(
    session: AsyncSession,
    principal: Principal,
    supervision: Supervision,
    reply: SupervisionReply,
    files: Sequence[SupervisionReplyFile],
) -> None:
    """The reply on the subject's timeline and in the audit log. No inbox message: the inbox is
    the units' (the office reads the reply on the supervision, its `replied` flag in the list)."""
    subject = (await SupervisionRepository(session).subjects([supervision.id]))[supervision.id]
    attached = f"（附佐证材料{len(files)}个）" if files else ""
    await _on_timeline(
        session,
        principal,
        supervision,
        subject,
        "supervision.replied",
        f"{supervision.unit.short_name}回复{LEVEL_LABELS[supervision.level]}{attached}："
        f"{reply.facts}",
        extra={"reply_id": reply.id, "files": len(files)},
    )
    await audit.record(
        session,
        actor=principal,
        action="supervision.replied",
        entity_type="supervision_reply",
        entity_id=reply.id,
        after={
            "supervision_id": supervision.id,
            "unit": supervision.unit.code,
            "facts": reply.facts,
            "files": [{"name": f.filename, "sha256": f.sha256} for f in files],
        },
    )


async def reply(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    supervision_id: int,
    *,
    facts: str,
    files: list[UploadFile],
) -> SupervisionReplyOut:
    """Seed 002_c95ffdd180ea7e81.txt (一次督办、限期解决; 整改落实不力 → 二次督办): the supervised
    unit says what it did to rectify (整改落实情况), with up to `SUPERVISION_REPLY_MAX_FILES`
    evidence files (office default 5) under the progress evidence's rules; it may reply again
    while the supervision is open (docs/RULES.md: "A supervised unit replies …"). A reply does
    not resolve the supervision, nor stop its escalation: judging the rectification is the
    office's (`resolve`). The rows and the files are kept in the request's one transaction; if it
    fails, nothing is (the files are deleted again)."""
    supervision = await _to_answer(session, principal, programme, supervision_id)
    uploads = await check_uploads(settings, files, max_files=settings.supervision_reply_max_files)
    answer = SupervisionReply(
        supervision_id=supervision.id,
        unit_id=supervision.unit_id,
        facts=facts,
        replied_by=principal.username,
        replied_at=now_utc(),
    )
    await SupervisionReplyRepository(session).add(answer)
    kept = await keep_files(session, settings, uploads)
    stored = [SupervisionReplyFile(reply_id=answer.id, **file.columns()) for file in kept]
    session.add_all(stored)
    await session.flush()
    await _record_reply(session, principal, supervision, answer, stored)
    return reply_out(answer, stored)


async def reply_evidence(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    supervision_id: int,
    file_id: int,
) -> tuple[SupervisionReplyFile, Path]:
    """A reply's evidence file, for the supervised unit and the office: another unit's
    supervision does not exist for it (404), and viewers, who read the supervision, do not
    download its evidence (403). The supervision's own programme, not the default one."""
    found = await SupervisionReplyRepository(session).file_of(supervision_id, file_id)
    if found is None:
        raise NotFound("佐证材料不存在")
    file, programme_id = found
    await _readable(session, principal, programme_id, supervision_id)
    if not (principal.is_office or principal.is_unit):
        raise Forbidden("只有被督办单位和改革办可以下载督办回复的佐证材料")
    return file, await stored_path(settings, file)
