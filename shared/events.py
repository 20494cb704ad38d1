"""The event envelope and catalogue between services (docs/ARCHITECTURE.md "Events")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

# type → consuming service. The relay refuses to enqueue a type that is not listed here.
EVENT_CONSUMERS: dict[str, str] = {
    "milestone.completed": "evaluation",
    "milestone.lagging": "evaluation",
    "milestone.lag_reversed": "evaluation",
    "milestone.reopened": "evaluation",
    "task.closed_out": "evaluation",
    "rating.submitted": "evaluation",
    "supervision.escalated": "evaluation",
    "problem.closed": "evaluation",
    "problem.overdue": "evaluation",
    "work_order.created": "evaluation",
    "work_order.responded": "evaluation",
    "work_order.visited": "evaluation",
    "work_order.overdue": "evaluation",
    "work_order.closed": "evaluation",
}

# Reminders (`reminder.<kind>`) for the city's OA system: delivered by the producer's relay to
# OA_WEBHOOK_URL, signed with Standard Webhooks, instead of to a service of ours.
OA_CONSUMER = "oa"

INTERNAL_EVENTS_PATH = "/internal/events"
INTERNAL_EVENTS_BATCH_PATH = "/internal/events/batch"
MAX_BATCH = 100


def supervision_escalated_data(
    *,
    supervision_id: int,
    parent_id: int | None,
    level: str,
    unit: str,
    reason: str,
    task_number: int | None,
    milestone: int | None,
    problem_number: int | None,
    issued_on: date,
    due_on: date | None,
) -> dict[str, Any]:
    """The data of `supervision.escalated`, built in one place for reform_tasks and the demo."""
    subject: dict[str, int | None] = (
        {"task_number": task_number, "milestone_ordinal": milestone}
        if task_number is not None
        else {"problem_number": problem_number}
    )
    return {
        "supervision_id": supervision_id,
        "parent_id": parent_id,
        "level": level,
        "unit": unit,
        "reason": reason,
        "subject": subject,
        "task_number": task_number,
        "milestone": milestone,
        "problem_number": problem_number,
        "issued_on": issued_on,
        "due_on": due_on,
    }


class EventEnvelope(BaseModel):
    id: uuid.UUID
    type: str = Field(min_length=1, max_length=64)
    occurred_at: datetime
    programme: str | None = None
    unit_code: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class EventAck(BaseModel):
    id: uuid.UUID
    duplicate: bool = Field(description="true when this event id had already been applied")


class EventBatch(BaseModel):
    events: list[EventEnvelope] = Field(min_length=1, max_length=MAX_BATCH)


class EventBatchAck(BaseModel):
    acks: list[EventAck]
