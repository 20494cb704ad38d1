"""Demo leader instructions (领导批示, issue #27) of the 2026 programme: three instructions on the
first reform tasks, dated from the day the demo is loaded — one answered by every unit and
acknowledged by the leader (阅示), one past its deadline with a unit that has not answered
(overdue), one open and in time. Each is assigned to its task's lead unit (and the second also to
a responsible unit).

Loading is idempotent: an instruction is keyed by (programme, text) and one already present is
left as it is. No inbox messages: the demo's history is the office's, not news to the units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shared.clock import SHANGHAI
from shared.models import (
    Instruction,
    InstructionAnswer,
    InstructionAssignment,
    InstructionStatus,
    InstructionSubject,
    Programme,
    Task,
    Unit,
)


@dataclass(frozen=True, slots=True)
class DemoInstruction:
    task_number: int
    text: str
    leader_name: str
    leader_title: str
    instructed_days_ago: int
    due_days_after: int  # from the instruction's date
    with_responsible_unit: bool
    answering: int  # how many of the assigned units answered (the lead unit first)
    acknowledged: bool


INSTRUCTIONS = (
    DemoInstruction(
        1,
        "该项改革事关市场主体准入便利度，请牵头单位倒排工期，确保按期完成，并将落实情况报市政府。",
        "李建国",
        "市长",
        60,
        20,
        False,
        1,
        True,
    ),
    DemoInstruction(
        2,
        "请牵头单位会同责任单位梳理堵点问题，拿出具体整改措施，限期反馈。",
        "王海燕",
        "常务副市长",
        30,
        14,
        True,
        1,
        False,
    ),
    DemoInstruction(
        3,
        "请抓紧研究，结合企业反映的问题提出优化方案。",
        "王海燕",
        "常务副市长",
        5,
        20,
        False,
        0,
        False,
    ),
)
ANSWER = "已按批示要求研究部署，明确责任人和时间表，阶段性进展已报改革办。"


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=SHANGHAI).astimezone(UTC)


async def _units_of(session: AsyncSession, programme: Programme, number: int) -> list[Unit]:
    task = await session.scalar(
        select(Task)
        .options(selectinload(Task.responsible_units), selectinload(Task.lead_unit))
        .where(Task.programme_id == programme.id, Task.number == number)
    )
    if task is None:
        return []
    return [task.lead_unit, *task.responsible_units[:1]]


async def load_instructions(session: AsyncSession, programme: Programme, *, as_of: date) -> int:
    """Add the demo instructions not there yet; the number added."""
    existing = set(
        await session.scalars(
            select(Instruction.text).where(Instruction.programme_id == programme.id)
        )
    )
    added = 0
    for demo in INSTRUCTIONS:
        units = await _units_of(session, programme, demo.task_number)
        if demo.text in existing or not units:
            continue
        assigned = units if demo.with_responsible_unit else units[:1]
        instructed_on = max(programme.starts_on, as_of - timedelta(days=demo.instructed_days_ago))
        instruction = Instruction(
            programme_id=programme.id,
            subject_type=InstructionSubject.task,
            subject_id=demo.task_number,
            text=demo.text,
            leader_name=demo.leader_name,
            leader_title=demo.leader_title,
            instructed_on=instructed_on,
            due_on=instructed_on + timedelta(days=demo.due_days_after),
            status=InstructionStatus.open,
            created_by="office",
        )
        session.add(instruction)
        await session.flush()
        answering = assigned[: demo.answering]
        answered_on = min(as_of, instructed_on + timedelta(days=3))
        for unit in assigned:
            answers = unit in answering
            session.add(
                InstructionAssignment(
                    programme_id=programme.id,
                    instruction_id=instruction.id,
                    unit_id=unit.id,
                    answered_at=_at(answered_on) if answers else None,
                )
            )
            if answers:
                session.add(
                    InstructionAnswer(
                        programme_id=programme.id,
                        instruction_id=instruction.id,
                        unit_id=unit.id,
                        text=ANSWER,
                        answered_by=unit.code,
                        answered_at=_at(answered_on),
                    )
                )
        if demo.acknowledged:
            instruction.status = InstructionStatus.acknowledged
            instruction.acknowledged_on = min(as_of, answered_on + timedelta(days=2))
            instruction.acknowledgement = "已阅。请持续跟踪，确保改革成效。"
            instruction.acknowledged_by = "office"
        await session.flush()
        added += 1
    return added
