from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.project import rule_settings, service, spreadsheet, weekly
from services.reform_tasks.project.schemas import (
    WEEK_PATTERN,
    CloseItemIn,
    EvaluationIn,
    EvaluationOut,
    ImportResult,
    NodeDoneIn,
    NodeIn,
    PlanFileOut,
    ProblemItemIn,
    ProblemItemOut,
    ProjectIn,
    ProjectOut,
    ProjectRuleSettings,
    ProjectUpdate,
    StageIn,
    WeeklyDigest,
    WeeklyReportOut,
)
from shared.auth import Authenticated, OfficeAdmin, OfficeRead, OfficeWrite, UnitWrite
from shared.db import Session
from shared.downloads import XLSX, attachment
from shared.errors import PROBLEM_MEDIA_TYPE, PROBLEM_RESPONSES, PayloadTooLarge, Problem, problems
from shared.evidence.uploads import download
from shared.models import ProjectLevel, ProjectStage, ProjectStatus
from shared.pagination import Page, Pagination
from shared.validation import Text

router = APIRouter(
    prefix="/api/tasks/v1/projects", tags=["key projects"], responses=PROBLEM_RESPONSES
)
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        "description": "xlsx（Content-Disposition 中为中文文件名，RFC 5987）",
    }
}
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}}
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": "文件过大"}
}
Week = Annotated[
    str | None, Query(pattern=WEEK_PATTERN, description="ISO 周，如 2026-W49（默认本周）")
]


def _xlsx(content: bytes, filename: str, fallback: str) -> Response:
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": attachment(filename, fallback),
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "",
    response_model=ProjectOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register a key project with its district, lead unit and nodes (office)",
)
async def create(
    body: ProjectIn, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> ProjectOut:
    return await service.create(session, principal, programme, body)


@router.get(
    "",
    response_model=Page[ProjectOut],
    summary="The key projects (office and viewers: all; a unit: those of its district or that "
    "it leads), with the 本周未报 flag",
)
async def list_projects(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    level: Annotated[ProjectLevel | None, Query(description="级别")] = None,
    district: Annotated[
        str | None, Query(max_length=32, description="所在县（市、区）代码")
    ] = None,
    stage: Annotated[ProjectStage | None, Query(description="阶段")] = None,
    status: Annotated[ProjectStatus | None, Query(description="列入状态")] = None,
) -> Page[ProjectOut]:
    return await service.list_projects(
        session,
        principal,
        programme,
        page,
        level=level,
        district=district,
        stage=stage,
        status=status,
    )


@router.get(
    "/export",
    response_class=Response,
    responses=XLSX_RESPONSE,
    summary="The register as a spreadsheet, in the import layout (a unit gets its own)",
)
async def export(
    principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Response:
    content = await spreadsheet.export_register(session, principal, programme)
    return _xlsx(content, f"重点项目_{programme.code}.xlsx", "key-projects.xlsx")


@router.post(
    "/import",
    response_model=ImportResult,
    responses=TOO_LARGE,
    summary="Import the register (office; all or nothing; dry_run previews)",
)
async def import_register(
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    file: Annotated[UploadFile, File(description="重点项目 .xlsx（导出的版式）")],
    dry_run: Annotated[bool, Query(description="true：仅预览不写入")] = True,
) -> ImportResult:
    content = await file.read(spreadsheet.MAX_BYTES + 1)
    if len(content) > spreadsheet.MAX_BYTES:
        raise PayloadTooLarge("文件不能超过 5 MB")
    return await spreadsheet.import_register(
        session, principal, programme, content, dry_run=dry_run
    )


@router.get(
    "/rules",
    response_model=ProjectRuleSettings,
    summary="The programme's key-project settings: evaluation weights and threshold, the weekly "
    "report's due weekday (office defaults until changed)",
)
async def get_rules(principal: Authenticated, programme: CurrentProgramme) -> ProjectRuleSettings:
    return rule_settings.current(programme)


@router.put(
    "/rules",
    response_model=ProjectRuleSettings,
    summary="Set the programme's key-project settings (office admin; weights sum to 100)",
)
async def put_rules(
    body: ProjectRuleSettings,
    principal: OfficeAdmin,
    session: Session,
    programme: CurrentProgramme,
) -> ProjectRuleSettings:
    return await rule_settings.update(session, principal, programme, body)


@router.get(
    "/weekly-digest",
    response_model=WeeklyDigest,
    summary="The office's weekly digest: per project the week's (or latest) report, the missing "
    "ones, open problems (office and viewers)",
)
async def weekly_digest(
    principal: OfficeRead, session: Session, programme: CurrentProgramme, week: Week = None
) -> WeeklyDigest:
    return await weekly.digest(session, principal, programme, week)


@router.get(
    "/weekly-digest/xlsx",
    response_class=Response,
    responses=XLSX_RESPONSE,
    summary="The weekly digest as a spreadsheet (office and viewers)",
)
async def weekly_digest_xlsx(
    principal: OfficeRead, session: Session, programme: CurrentProgramme, week: Week = None
) -> Response:
    digest = await weekly.digest(session, principal, programme, week)
    content = await spreadsheet.digest_xlsx(digest)
    return _xlsx(content, f"重点项目周报汇总_{digest.week}.xlsx", "weekly-digest.xlsx")


@router.get(
    "/{project_id}",
    response_model=ProjectOut,
    summary="One key project (another unit's is 404)",
)
async def get_project(
    project_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> ProjectOut:
    return await service.get(session, principal, programme, project_id)


@router.patch(
    "/{project_id}",
    response_model=ProjectOut,
    summary="Correct the register or record the 五个一 leader and team (office)",
)
async def update(
    project_id: int,
    body: ProjectUpdate,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProjectOut:
    return await service.update(session, principal, programme, project_id, body)


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a project registered in error (office; 409 while another record refers to it)",
)
async def delete(
    project_id: int, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> Response:
    await service.delete(session, principal, programme, project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{project_id}/stage",
    response_model=ProjectOut,
    summary="Move the project to a later stage, dated (office; going back is 409)",
)
async def change_stage(
    project_id: int,
    body: StageIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProjectOut:
    return await service.change_stage(session, principal, programme, project_id, body)


@router.post(
    "/{project_id}/nodes",
    response_model=ProjectOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a node after the last one (office)",
)
async def add_node(
    project_id: int,
    body: NodeIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProjectOut:
    return await service.add_node(session, principal, programme, project_id, body)


@router.post(
    "/{project_id}/nodes/{node_id}/done",
    response_model=ProjectOut,
    summary="Mark a node done with its actual date (office or the lead unit; in order)",
)
async def node_done(
    project_id: int,
    node_id: int,
    body: NodeDoneIn,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProjectOut:
    return await service.node_done(session, principal, programme, project_id, node_id, body)


@router.get(
    "/{project_id}/evaluation",
    response_model=EvaluationOut,
    summary="The project's quality evaluation (seven aspects, weights, total, admission)",
)
async def get_evaluation(
    project_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> EvaluationOut:
    return await service.get_evaluation(session, principal, programme, project_id)


@router.put(
    "/{project_id}/evaluation",
    response_model=EvaluationOut,
    summary="Score the seven aspects (office): the weighted total admits or refuses the project",
)
async def evaluate(
    project_id: int,
    body: EvaluationIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> EvaluationOut:
    return await service.evaluate(session, principal, programme, project_id, body)


@router.post(
    "/{project_id}/plan",
    response_model=PlanFileOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(413, 503),
    summary="Upload the construction plan (五个一; office or the lead unit)",
)
async def upload_plan(
    project_id: int,
    request: Request,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    file: Annotated[UploadFile, File(description="建设方案（佐证材料的类型和大小上限）")],
) -> PlanFileOut:
    return await service.upload_plan(
        session, request.app.state.settings, principal, programme, project_id, file
    )


@router.get(
    "/{project_id}/plan",
    response_class=FileResponse,
    responses=FILE_RESPONSE,
    summary="Download the current construction plan (who reads the project)",
)
async def download_plan(
    project_id: int,
    request: Request,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
) -> FileResponse:
    file, path = await service.plan_file(
        session, request.app.state.settings, principal, programme, project_id
    )
    return download(file, path)


@router.get(
    "/{project_id}/problem-list",
    response_model=Page[ProblemItemOut],
    summary="The project's problem list (五个一), oldest first",
)
async def problem_list(
    project_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Page[ProblemItemOut]:
    items = await service.problems(session, principal, programme, project_id)
    return Page[ProblemItemOut](items=items, total=len(items))


@router.post(
    "/{project_id}/problem-list",
    response_model=ProblemItemOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a problem to the project's list (office or the lead unit)",
)
async def raise_problem(
    project_id: int,
    body: ProblemItemIn,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProblemItemOut:
    return await service.raise_problem(session, principal, programme, project_id, body)


@router.post(
    "/{project_id}/problem-list/{item_id}/close",
    response_model=ProblemItemOut,
    summary="Close a problem with its note (office or the lead unit; 409 if closed)",
)
async def close_problem(
    project_id: int,
    item_id: int,
    body: CloseItemIn,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProblemItemOut:
    return await service.close_problem(session, principal, programme, project_id, item_id, body)


@router.get(
    "/{project_id}/weekly-reports",
    response_model=Page[WeeklyReportOut],
    summary="The project's weekly reports, newest week first",
)
async def weekly_reports(
    project_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Page[WeeklyReportOut]:
    items = await weekly.list_reports(session, principal, programme, project_id)
    return Page[WeeklyReportOut](items=items, total=len(items))


@router.post(
    "/{project_id}/weekly-reports",
    response_model=WeeklyReportOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(413, 503),
    summary="File the week's report (the lead unit only; one per week, a second is 409)",
)
async def file_weekly_report(
    project_id: int,
    request: Request,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    week: Annotated[
        str | None, Form(pattern=WEEK_PATTERN, description="ISO 周，如 2026-W49（默认本周）")
    ] = None,
    node_progress: Annotated[
        str,
        Form(
            max_length=50_000,
            description='各节点进展，JSON 列表：[{"node_id": 1, "progress": "…"}]',
        ),
    ] = "[]",
    summary: Annotated[Text, Form(max_length=2000, description="本周进展综述")] = "",
    problems_text: Annotated[
        Text, Form(alias="problems", max_length=2000, description="存在问题")
    ] = "",
    solutions: Annotated[Text, Form(max_length=2000, description="解决问题的意见建议")] = "",
    photos: Annotated[
        list[UploadFile] | None, File(description="现场照片（JPG/PNG，佐证材料的大小与数量上限）")
    ] = None,
) -> WeeklyReportOut:
    return await weekly.file_report(
        session,
        request.app.state.settings,
        principal,
        programme,
        project_id,
        week=week,
        node_progress=node_progress,
        summary=summary,
        problems=problems_text,
        solutions=solutions,
        photos=photos or [],
    )


@router.get(
    "/{project_id}/weekly-reports/{weekly_report_id}/photos/{photo_id}",
    response_class=FileResponse,
    responses=FILE_RESPONSE,
    summary="Download a photo of a weekly report (who reads the project)",
)
async def download_photo(
    project_id: int,
    weekly_report_id: int,
    photo_id: int,
    request: Request,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
) -> FileResponse:
    file, path = await weekly.photo(
        session,
        request.app.state.settings,
        principal,
        programme,
        project_id,
        weekly_report_id,
        photo_id,
    )
    return download(file, path)
