from __future__ import annotations

from fastapi import APIRouter, File, UploadFile, status

from services.evaluation.inputs import service
from services.evaluation.inputs.schemas import (
    ExternalRankIn,
    ExternalRankOut,
    InspectionIn,
    InspectionOut,
    ParkedOut,
    SurveyImportResult,
    SurveyIn,
    SurveyOut,
)
from shared.auth import Authenticated, OfficeRead, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, PayloadTooLarge
from shared.pagination import Page

MAX_UPLOAD = 5 * 1024 * 1024

router = APIRouter(prefix="/api/evaluation/v1", tags=["inputs"], responses=PROBLEM_RESPONSES)


@router.post(
    "/inspections",
    response_model=InspectionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record an inspection finding (deduction)",
)
async def record_inspection(
    body: InspectionIn, principal: OfficeWrite, session: Session
) -> InspectionOut:
    return InspectionOut.model_validate(await service.record_inspection(session, principal, body))


@router.get("/inspections", response_model=Page[InspectionOut], summary="Inspection findings")
async def list_inspections(
    principal: Authenticated, session: Session, programme: str = "2026"
) -> Page[InspectionOut]:
    rows = await service.list_inspections(session, principal, programme)
    return Page[InspectionOut](
        items=[InspectionOut.model_validate(r) for r in rows], total=len(rows)
    )


@router.post(
    "/surveys",
    response_model=SurveyOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a department's enterprise survey result for a half-year",
)
async def record_survey(body: SurveyIn, principal: OfficeWrite, session: Session) -> SurveyOut:
    await service.record_survey(session, principal, body)
    return SurveyOut(**body.model_dump())


@router.post(
    "/surveys/import",
    response_model=SurveyImportResult,
    summary="Import a half-year's survey results from xlsx (all or nothing)",
)
async def import_surveys(
    principal: OfficeWrite,
    session: Session,
    file: UploadFile = File(..., description="考核期 | 单位 | 得分 | 参评企业数"),
    dry_run: bool = True,
) -> SurveyImportResult:
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise PayloadTooLarge("文件不能超过 5 MB")
    rows = await service.import_surveys(session, principal, content, dry_run=dry_run)
    return SurveyImportResult(rows=rows, dry_run=dry_run)


@router.get(
    "/surveys",
    response_model=Page[SurveyOut],
    summary="Enterprise survey results (a unit account: its own only)",
)
async def list_surveys(
    principal: Authenticated, session: Session, programme: str = "2026"
) -> Page[SurveyOut]:
    rows = await service.list_surveys(session, principal, programme)
    return Page[SurveyOut](items=[SurveyOut.model_validate(r) for r in rows], total=len(rows))


@router.post(
    "/external-ranks",
    response_model=ExternalRankOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a 国评/省评 indicator rank",
)
async def record_external_rank(
    body: ExternalRankIn, principal: OfficeWrite, session: Session, programme: str = "2026"
) -> ExternalRankOut:
    return await service.record_external_rank(session, principal, body, programme)


@router.get("/external-ranks", response_model=Page[ExternalRankOut], summary="External ranks")
async def list_external_ranks(
    principal: Authenticated, session: Session, programme: str = "2026"
) -> Page[ExternalRankOut]:
    items = await service.list_external_ranks(session, programme)
    return Page[ExternalRankOut](items=items, total=len(items))


@router.get(
    "/parked-events",
    response_model=Page[ParkedOut],
    summary="Events naming unknown units, kept for review",
)
async def list_parked(principal: OfficeRead, session: Session) -> Page[ParkedOut]:
    rows = await service.list_parked(session)
    items = [ParkedOut.model_validate({**r.__dict__, "event_id": str(r.event_id)}) for r in rows]
    return Page[ParkedOut](items=items, total=len(items))


@router.post(
    "/parked-events/{parked_id}/replay",
    response_model=ParkedOut,
    summary="Apply a parked event once its unit exists",
)
async def replay_parked(parked_id: int, principal: OfficeWrite, session: Session) -> ParkedOut:
    row = await service.replay_parked(session, principal, parked_id)
    return ParkedOut.model_validate({**row.__dict__, "event_id": str(row.event_id)})
