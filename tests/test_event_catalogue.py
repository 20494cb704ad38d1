"""The typed event catalogue (shared/events.py, issue #19): producers cannot send data that does
not fit it, and the published JSON Schema is the catalogue."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import outbox
from shared.context import current_service
from shared.events import (
    EVENTS,
    MilestoneCompleted,
    SupervisionEscalated,
    UnknownEventType,
    catalogue_schema,
    parse_data,
)
from shared.models import OutboxEvent
from tests.event_data import event_data

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "docs/schemas/events.schema.json"


def test_the_published_schema_is_the_catalogue() -> None:
    """docs/schemas/events.schema.json is regenerated with `python -m shared.events`."""
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == catalogue_schema()
    assert set(EVENTS) <= set(published["properties"])


def _broken(change: str) -> dict[str, Any]:
    data = event_data("milestone.completed", "shichang", {"on_time": False, "days_late": 3})
    match change:
        case "renamed":  # the example: a renamed key silently removed the penalty
            data["ontime"] = data.pop("on_time")
        case "missing":
            del data["responsible_units"]
        case "wrong type":
            data["on_time"] = "false"
        case "extra":
            data["penalty"] = -0.5
        case "bad date":
            data["completed_on"] = "2026-02-30"
    return data


@pytest.mark.parametrize("change", ["renamed", "missing", "wrong type", "extra", "bad date"])
async def test_a_producer_cannot_enqueue_data_that_does_not_fit(
    change: str, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    token = current_service.set("reform_tasks")
    try:
        async with sessionmaker() as s:
            with pytest.raises(ValidationError):
                await outbox.enqueue(s, "milestone.completed", _broken(change))
            await s.commit()
    finally:
        current_service.reset(token)
    assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


async def test_unknown_types_and_the_wrong_model_are_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    supervision = SupervisionEscalated(
        supervision_id=1,
        parent_id=None,
        level="first",
        unit="shichang",
        reason="严重滞后",
        task_number=3,
        milestone=2,
        problem_number=None,
        issued_on=date(2026, 5, 1),
        due_on=date(2026, 5, 8),
    )
    async with sessionmaker() as s:
        with pytest.raises(UnknownEventType):
            await outbox.enqueue(s, "task.exploded", {})
        with pytest.raises(TypeError):
            await outbox.enqueue(s, "milestone.completed", supervision)
        # Office inputs are evaluation's own facts: never sent between services.
        with pytest.raises(UnknownEventType):
            await outbox.enqueue(s, "inspection.recorded", {})


async def test_the_model_is_stored_as_the_json_it_validates_as(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    data = MilestoneCompleted.model_validate_json(
        json.dumps(event_data("milestone.completed", "shichang"))
    )
    token = current_service.set("reform_tasks")
    try:
        async with sessionmaker() as s:
            row = await outbox.enqueue(s, "milestone.completed", data, unit_code="shichang")
            assert row.consumer == "evaluation"
            assert row.data["planned_date"] == "2026-03-31"
            assert parse_data("milestone.completed", row.data) == data
    finally:
        current_service.reset(token)


@pytest.mark.parametrize(
    "subject",
    [
        {"task_number": None, "milestone": None, "problem_number": None},
        {"task_number": 1, "milestone": 1, "problem_number": 4},
        {"task_number": 1, "milestone": None, "problem_number": None},
    ],
)
def test_a_supervision_is_of_one_milestone_or_one_problem(subject: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="督办对象"):
        parse_data("supervision.escalated", event_data("supervision.escalated", "x", subject))
