from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.reform_tasks.programme.service import resolve
from services.reform_tasks.task.access import readable_task
from services.reform_tasks.timeline import service
from services.reform_tasks.timeline.schemas import TimelineEntryOut
from shared.auth import Authenticated
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page

router = APIRouter(prefix="/api/tasks/v1", tags=["timeline"], responses=PROBLEM_RESPONSES)


@router.get(
    "/tasks/{number}/timeline",
    response_model=Page[TimelineEntryOut],
    summary="Everything that happened to a task, in order",
)
async def task_timeline(
    number: int,
    principal: Authenticated,
    session: Session,
    programme: Annotated[str | None, Query(description="改革工程代码（默认最新）")] = None,
) -> Page[TimelineEntryOut]:
    prog = await resolve(session, programme)
    task = await readable_task(session, principal, prog, number)
    entries = await service.entries(session, "task", task.id)
    return Page[TimelineEntryOut](
        items=[TimelineEntryOut.model_validate(e) for e in entries], total=len(entries)
    )
