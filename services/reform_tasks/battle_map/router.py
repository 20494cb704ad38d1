from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic_core import to_json

from services.reform_tasks.battle_map import service
from services.reform_tasks.battle_map.schemas import BattleMap
from services.reform_tasks.programme.dependencies import CurrentProgramme
from shared.auth import Authenticated
from shared.clock import today_shanghai
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import TaskClass
from shared.validation import BusinessDate

router = APIRouter(prefix="/api/tasks/v1", tags=["battle map"], responses=PROBLEM_RESPONSES)


@router.get(
    "/battle-map",
    response_model=BattleMap,
    summary="Every task × month with milestone statuses as of a date, with summaries",
)
async def battle_map(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    as_of: Annotated[
        BusinessDate | None, Query(description="截至日期（默认今天，北京时间）")
    ] = None,
    domain: Annotated[str | None, Query(description="领域代码")] = None,
    unit: Annotated[str | None, Query(description="牵头或责任单位代码")] = None,
    task_class: Annotated[TaskClass | None, Query(description="类别 A/B/C")] = None,
) -> Response:
    # The rows serialised as they are: their shape is `BattleMap`'s (tests/reform_tasks/
    # test_battle_map.py checks the answer against the model), without building ~1,700 objects.
    rows = await service.battle_map_rows(
        session,
        principal,
        programme,
        as_of or today_shanghai(),
        domain=domain,
        unit=unit,
        task_class=task_class,
    )
    return Response(to_json(rows), media_type="application/json")
