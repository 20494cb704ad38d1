"""Timelines: every step of a task or problem, appended in the transaction of the step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.timeline.repository import TimelineRepository
from shared.audit import jsonable
from shared.auth import Principal
from shared.models import TimelineEntry

Subject = Literal["task", "problem"]


async def append(
    session: AsyncSession,
    subject: Subject,
    subject_id: int,
    kind: str,
    summary: str,
    *,
    actor: Principal | None,
    data: dict[str, Any] | None = None,
    flush: bool = True,
) -> TimelineEntry:
    """Append an entry (`flush=False`: written with the session's next flush, for a step that
    appends many at once)."""
    entry = TimelineEntry(
        subject_type=subject,
        subject_id=subject_id,
        kind=kind,
        summary=summary,
        actor_username=actor.username if actor else None,
        actor_unit_code=actor.unit_code if actor else None,
        data=jsonable(data or {}),
    )
    return await TimelineRepository(session).add(entry, flush=flush)


async def entries(
    session: AsyncSession, subject: Subject, subject_id: int
) -> Sequence[TimelineEntry]:
    return await TimelineRepository(session).of_subject(subject, subject_id)
