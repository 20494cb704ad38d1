from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.task import service
from services.reform_tasks.task.schemas import TaskCreate, TaskOut, TaskSort, TaskUpdate
from shared.auth import Authenticated, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import TaskClass, TaskStatus
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1/tasks", tags=["tasks"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[TaskOut], summary="The task list (scoped to the caller)")
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
    sort: Annotated[TaskSort, Query(description="排序")] = TaskSort.number,
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
    )


@router.post("", response_model=TaskOut, status_code=status.HTTP_201_CREATED, summary="Add a task")
async def create_task(
    body: TaskCreate, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> TaskOut:
    return await service.create_task(session, principal, programme, body)


@router.get("/{number}", response_model=TaskOut, summary="One task (ETag = version)")
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


@router.patch("/{number}", response_model=TaskOut, summary="Change a task (If-Match required)")
async def update_task(
    number: int,
    body: TaskUpdate,
    response: Response,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> TaskOut:
    task = await service.update_task(session, principal, programme, number, body, if_match)
    response.headers["ETag"] = f'"{task.version}"'
    return task
