"""Leader instructions (领导批示, issue #27): a city leader's written instruction on a reform task,
a key project or a typical case. The office records it and assigns it to one or more units with a
deadline (each unit gets it in its inbox and its to-do list); each assigned unit answers what it
did (落实情况, with files); the office records the leader's acknowledgement (阅示), which closes
it. An open instruction past its deadline with a unit that has not answered is overdue (marked in
the lists, the unit's to-do and the overview). Office defaults: the issue names the workflow, no
seed gives its rules (docs/RULES.md "Leader instructions …")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.instruction.repository import InstructionRepository
from services.reform_tasks.instruction.schemas import (
    AcknowledgeIn,
    AnswerFileOut,
    AnswerOut,
    AssignmentOut,
    InstructionDetailOut,
    InstructionIn,
    InstructionOut,
)
from services.reform_tasks.message.service import notify
from shared import audit
from shared.auth import Principal
from shared.clock import now_utc, today_shanghai
from shared.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from shared.evidence.uploads import check_uploads, keep_files, stored_path
from shared.models import (
    Instruction,
    InstructionAnswer,
    InstructionAnswerFile,
    InstructionAssignment,
    InstructionStatus,
    InstructionSubject,
    Programme,
)
from shared.pagination import Page, PageParams
from shared.settings import Settings

SUBJECT_LABELS = {
    InstructionSubject.task: "改革任务",
    InstructionSubject.project: "重点项目",
    InstructionSubject.case: "典型案例",
}


def _overdue(instruction: Instruction, assignment: InstructionAssignment, today: date) -> bool:
    return (
        instruction.status is InstructionStatus.open
        and assignment.answered_at is None
        and instruction.due_on < today
    )


def to_out(instruction: Instruction, label: str, today: date) -> InstructionOut:
    units = [
        AssignmentOut(
            unit_code=a.unit.code,
            unit_name=a.unit.name,
            answered=a.answered_at is not None,
            overdue=_overdue(instruction, a, today),
        )
        for a in instruction.assignments
    ]
    return InstructionOut(
        id=instruction.id,
        subject_type=instruction.subject_type,
        subject_id=instruction.subject_id,
        subject_label=label,
        text=instruction.text,
        leader_name=instruction.leader_name,
        leader_title=instruction.leader_title,
        instructed_on=instruction.instructed_on,
        due_on=instruction.due_on,
        status=instruction.status,
        overdue=any(u.overdue for u in units),
        units=units,
        acknowledged_on=instruction.acknowledged_on,
        acknowledgement=instruction.acknowledgement,
        acknowledged_by=instruction.acknowledged_by,
        created_by=instruction.created_by,
        created_at=instruction.created_at,
    )


def _label(labels: dict[tuple[InstructionSubject, int], str], i: Instruction) -> str:
    fallback = f"{SUBJECT_LABELS[i.subject_type]} {i.subject_id}"
    return labels.get((i.subject_type, i.subject_id), fallback)


def answer_out(answer: InstructionAnswer, files: Sequence[InstructionAnswerFile]) -> AnswerOut:
    url = f"/api/tasks/v1/instructions/{answer.instruction_id}/files"
    return AnswerOut(
        id=answer.id,
        unit_code=answer.unit.code,
        unit_name=answer.unit.name,
        text=answer.text,
        files=[
            AnswerFileOut(
                id=f.id,
                filename=f.filename,
                content_type=f.content_type,
                size=f.size_bytes,
                download_url=f"{url}/{f.id}",
            )
            for f in files
        ],
        answered_by=answer.answered_by,
        answered_at=answer.answered_at,
    )


async def _detail(
    session: AsyncSession, principal: Principal, programme_id: int, instruction: Instruction
) -> InstructionDetailOut:
    """An assigned unit sees who else was assigned and whether they answered, but only its own
    answers; the office and viewers see every answer."""
    repository = InstructionRepository(session)
    labels = await repository.subject_labels(programme_id, [instruction])
    out = to_out(instruction, _label(labels, instruction), today_shanghai())
    answers = [
        answer_out(a, a.files)
        for a in await repository.answers(instruction.id)
        if principal.can_read_unit(a.unit.code)
    ]
    return InstructionDetailOut(**out.model_dump(), answers=answers)


async def _readable(
    session: AsyncSession,
    principal: Principal,
    programme_id: int,
    instruction_id: int,
    *,
    lock: bool = False,
) -> Instruction:
    instruction = await InstructionRepository(session).get_readable(
        principal, programme_id, instruction_id, lock=lock
    )
    if instruction is None:
        raise NotFound("批示不存在或无权查看")
    return instruction


async def _subject_exists(
    repository: InstructionRepository, programme: Programme, body: InstructionIn
) -> None:
    """The subject must exist in this programme: a task by its number, a key project or a
    typical case by its id (422 otherwise)."""
    if body.subject_type is InstructionSubject.task:
        found = await repository.task_title(programme.id, body.subject_id)
    elif body.subject_type is InstructionSubject.project:
        found = await repository.project_name(programme.id, body.subject_id)
    else:
        found = await repository.case_title(programme.id, body.subject_id)
    if found is None:
        label = SUBJECT_LABELS[body.subject_type]
        message = f"{programme.name}中没有{label} {body.subject_id}"
        raise ValidationFailed(
            message,
            errors=[FieldError(loc=["body", "subject_id"], msg=message, type="value_error")],
        )


async def create(
    session: AsyncSession, principal: Principal, programme: Programme, body: InstructionIn
) -> InstructionDetailOut:
    """The office records a leader's instruction and assigns it to active units; each unit is
    told in its inbox."""
    repository = InstructionRepository(session)
    await _subject_exists(repository, programme, body)
    units = await repository.units_by_code(body.unit_codes)
    missing = [code for code in body.unit_codes if code not in units or not units[code].is_active]
    if missing:
        message = f"承办单位不存在或已停用：{'、'.join(missing)}"
        raise ValidationFailed(
            message,
            errors=[FieldError(loc=["body", "unit_codes"], msg=message, type="value_error")],
        )
    instruction = Instruction(
        programme_id=programme.id,
        subject_type=body.subject_type,
        subject_id=body.subject_id,
        text=body.text,
        leader_name=body.leader_name,
        leader_title=body.leader_title,
        instructed_on=body.instructed_on,
        due_on=body.due_on,
        status=InstructionStatus.open,
        created_by=principal.username,
    )
    await repository.add(instruction)
    session.add_all(
        InstructionAssignment(
            programme_id=programme.id, instruction_id=instruction.id, unit_id=units[code].id
        )
        for code in body.unit_codes
    )
    await session.flush()
    for code in body.unit_codes:
        await notify(
            session,
            units[code].id,
            "instruction",
            f"【领导批示】{body.leader_title}{body.leader_name}批示",
            f"{body.text}（请于 {body.due_on} 前回复落实情况）",
            link=f"/instructions/{instruction.id}",
            dedupe_key=f"instruction:{instruction.id}:{code}",
        )
    await audit.record(
        session,
        actor=principal,
        action="instruction.created",
        entity_type="instruction",
        entity_id=instruction.id,
        after={**body.model_dump(), "programme": programme.code},
    )
    instruction = await _readable(session, principal, programme.id, instruction.id)
    return await _detail(session, principal, programme.id, instruction)


async def list_instructions(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    *,
    status: InstructionStatus | None,
    unit: str | None,
    overdue: bool,
) -> Page[InstructionOut]:
    repository = InstructionRepository(session)
    today = today_shanghai()
    rows, total = await repository.readable_page(
        principal,
        programme.id,
        page,
        status=status,
        unit=unit,
        overdue_on=today if overdue else None,
    )
    labels = await repository.subject_labels(programme.id, rows)
    return Page[InstructionOut](
        items=[to_out(i, _label(labels, i), today) for i in rows], total=total
    )


async def get(
    session: AsyncSession, principal: Principal, programme: Programme, instruction_id: int
) -> InstructionDetailOut:
    instruction = await _readable(session, principal, programme.id, instruction_id)
    return await _detail(session, principal, programme.id, instruction)


async def answer(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    instruction_id: int,
    *,
    text: str,
    files: list[UploadFile],
) -> AnswerOut:
    """An assigned unit answers an open instruction (落实情况) with up to the reply files'
    limit (office default 5), under the evidence rules; it may answer again while it is open.
    Only a unit account of an assigned unit (others 403; unassigned units do not see it, 404);
    an acknowledged instruction takes no answer (409). Rows and files in one transaction."""
    if not principal.is_unit:
        raise Forbidden("只有承办单位可以回复批示")
    instruction = await _readable(session, principal, programme.id, instruction_id, lock=True)
    assignment = next(a for a in instruction.assignments if a.unit.code == principal.unit_code)
    if instruction.status is not InstructionStatus.open:
        raise Conflict("该批示已阅示办结，不能再回复")
    uploads = await check_uploads(settings, files, max_files=settings.supervision_reply_max_files)
    now = now_utc()
    row = InstructionAnswer(
        programme_id=programme.id,
        instruction_id=instruction.id,
        unit_id=assignment.unit_id,
        text=text,
        answered_by=principal.username,
        answered_at=now,
    )
    session.add(row)
    await session.flush()
    kept = await keep_files(session, settings, uploads)
    stored = [
        InstructionAnswerFile(programme_id=programme.id, answer_id=row.id, **file.columns())
        for file in kept
    ]
    session.add_all(stored)
    if assignment.answered_at is None:
        assignment.answered_at = now
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="instruction.answered",
        entity_type="instruction_answer",
        entity_id=row.id,
        after={
            "instruction_id": instruction.id,
            "unit": principal.unit_code,
            "text": text,
            "files": [{"name": f.filename, "sha256": f.sha256} for f in stored],
        },
    )
    row.unit = assignment.unit
    return answer_out(row, stored)


async def acknowledge(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    instruction_id: int,
    body: AcknowledgeIn,
) -> InstructionDetailOut:
    """The office records the leader's acknowledgement (阅示), which closes the instruction.
    The leader reads the units' answers, so every assigned unit must have answered (409 naming
    those that have not); not before the instruction's date (422); once only (409)."""
    instruction = await _readable(session, principal, programme.id, instruction_id, lock=True)
    if instruction.status is InstructionStatus.acknowledged:
        raise Conflict("该批示已阅示办结")
    waiting = [a.unit.name for a in instruction.assignments if a.answered_at is None]
    if waiting:
        raise Conflict(f"尚有承办单位未回复：{'、'.join(waiting)}")
    if body.acknowledged_on < instruction.instructed_on:
        message = "阅示日期不能早于批示日期"
        raise ValidationFailed(
            message,
            errors=[FieldError(loc=["body", "acknowledged_on"], msg=message, type="value_error")],
        )
    before = {"status": instruction.status}
    instruction.status = InstructionStatus.acknowledged
    instruction.acknowledged_on = body.acknowledged_on
    instruction.acknowledgement = body.note
    instruction.acknowledged_by = principal.username
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="instruction.acknowledged",
        entity_type="instruction",
        entity_id=instruction.id,
        before=before,
        after={
            "status": instruction.status,
            "acknowledged_on": body.acknowledged_on,
            "note": body.note,
        },
    )
    return await _detail(session, principal, programme.id, instruction)


async def answer_file(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    instruction_id: int,
    file_id: int,
) -> tuple[InstructionAnswerFile, Path]:
    """An answer's file, for the unit that answered and the office (viewers 403, any other
    unit 404, another assigned unit included)."""
    found = await InstructionRepository(session).answer_file(instruction_id, file_id)
    if found is None:
        raise NotFound("附件不存在")
    file, programme_id, unit_code = found
    await _readable(session, principal, programme_id, instruction_id)
    if not principal.can_read_unit(unit_code):
        raise NotFound("附件不存在")  # another assigned unit's answer
    if not (principal.is_office or principal.is_unit):
        raise Forbidden("只有承办单位和改革办可以下载批示回复的附件")
    return file, await stored_path(settings, file)
