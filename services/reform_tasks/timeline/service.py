"""Timelines: every step of a task or problem, appended in the transaction of the step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
) -> TimelineEntry:
    entry = TimelineEntry(
        subject_type=subject,
        subject_id=subject_id,
        kind=kind,
        summary=summary,
        actor_username=actor.username if actor else None,
        actor_unit_code=actor.unit_code if actor else None,
        data=jsonable(data or {}),
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries(
    session: AsyncSession, subject: Subject, subject_id: int
) -> Sequence[TimelineEntry]:
    stmt = (
        select(TimelineEntry)
        .where(TimelineEntry.subject_type == subject, TimelineEntry.subject_id == subject_id)
        .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
    )
    return (await session.execute(stmt)).scalars().all()
