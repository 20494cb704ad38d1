from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from services.reform_tasks.battle_map import service
from services.reform_tasks.battle_map.schemas import BattleMap
from services.reform_tasks.programme.service import resolve
from shared.auth import Authenticated
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import TaskClass

router = APIRouter(prefix="/api/tasks/v1", tags=["battle map"], responses=PROBLEM_RESPONSES)


@router.get(
    "/battle-map",
    response_model=BattleMap,
    summary="Every task × month with milestone statuses as of a date, with summaries",
)
async def battle_map(
    principal: Authenticated,
    session: Session,
    programme: Annotated[str | None, Query(description="改革工程代码（默认最新）")] = None,
    as_of: Annotated[date | None, Query(description="截至日期（默认今天，北京时间）")] = None,
    domain: Annotated[str | None, Query(description="领域代码")] = None,
    unit: Annotated[str | None, Query(description="牵头或责任单位代码")] = None,
    task_class: Annotated[TaskClass | None, Query(description="类别")] = None,
) -> BattleMap:
    prog = await resolve(session, programme)
    day = as_of or datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return await service.battle_map(
        session, principal, prog, day, domain=domain, unit=unit, task_class=task_class
    )
