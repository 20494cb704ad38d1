from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.task import service
from services.reform_tasks.task.schemas import TaskCreate, TaskOut, TaskSort, TaskUpdate
from shared.auth import Authenticated, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_MEDIA_TYPE, PROBLEM_RESPONSES, Problem
from shared.models import TaskClass, TaskStatus
from shared.pagination import Page, Pagination
from shared.warning_light import WarningLight

router = APIRouter(prefix="/api/tasks/v1/tasks", tags=["tasks"], responses=PROBLEM_RESPONSES)

VERSION_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: {
        "model": Problem,
        "content": {PROBLEM_MEDIA_TYPE: {}},
        "description": "If-Match 与当前版本不符（任务已被他人修改）",
    },
    428: {
        "model": Problem,
        "content": {PROBLEM_MEDIA_TYPE: {}},
        "description": "缺少 If-Match 请求头",
    },
}
ETAG_HEADER = {"ETag": {"description": '任务版本，如 "3"；修改时以 If-Match 携带'}}


@router.get(
    "",
    response_model=Page[TaskOut],
    summary="The task list (scoped to the caller)",
    description=(
        "The office and viewers see every task; a unit sees the tasks it leads or is "
        "responsible for. Filters narrow that scope. `q` searches title, goal, measures and "
        "benchmark (every blank-separated term, any substring); digits also match the number. "
        "`sort`: number, -number, deadline, -deadline, updated_at, -updated_at."
    ),
)
async def list_tasks(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    domain: Annotated[str | None, Query(description="领域代码")] = None,
    task_class: Annotated[TaskClass | None, Query(description="类别 A/B/C")] = None,
    lead_unit: Annotated[str | None, Query(description="牵头单位代码")] = None,
    unit: Annotated[str | None, Query(description="牵头或责任单位代码")] = None,
    status: Annotated[TaskStatus | None, Query(description="任务状态")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="搜索任务、目标、措施、对标；或序号")
    ] = None,
    sort: Annotated[TaskSort, Query(description="排序，前缀 - 为倒序")] = TaskSort.number,
    warning_light: Annotated[
        WarningLight | None, Query(description="三色预警 green / yellow / red（今天）")
    ] = None,
) -> Page[TaskOut]:
    return await service.list_tasks(
        session,
        principal,
        programme,
        page,
        sort=sort,
        domain=domain,
        task_class=task_class,
        lead_unit=lead_unit,
        unit=unit,
        status=status,
        q=q,
        warning_light=warning_light,
    )


@router.post(
    "",
    response_model=TaskOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a task with its milestones (office)",
)
async def create_task(
    body: TaskCreate,
    response: Response,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> TaskOut:
    task = await service.create_task(session, principal, programme, body)
    response.headers["ETag"] = f'"{task.version}"'
    return task


@router.get(
    "/{number}",
    response_model=TaskOut,
    summary="One task (ETag = version)",
    responses={200: {"headers": ETAG_HEADER}},
)
async def get_task(
    number: int,
    response: Response,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
) -> TaskOut:
    task = await service.get_task(session, principal, programme, number)
    response.headers["ETag"] = f'"{task.version}"'
    return task


@router.patch(
    "/{number}",
    response_model=TaskOut,
    summary="Change a task (office; If-Match required)",
    responses={200: {"headers": ETAG_HEADER}, **VERSION_RESPONSES},
)
async def update_task(
    number: int,
    body: TaskUpdate,
    response: Response,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    if_match: Annotated[
        str | None, Header(alias="If-Match", description='读取任务时得到的 ETag，如 "3"')
    ] = None,
) -> TaskOut:
    task = await service.update_task(session, principal, programme, number, body, if_match)
    response.headers["ETag"] = f'"{task.version}"'
    return task
