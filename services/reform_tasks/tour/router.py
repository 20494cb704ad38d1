"""The "4+2" 项目观摩 rounds: score sheets, the projects shown, the inspection team's scores and the
published results (office writes; every account reads, scores as the service allows)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Response, status

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.tour import service, spreadsheet
from services.reform_tasks.tour.schemas import (
    ScoresIn,
    SheetIn,
    ShownProjectsIn,
    TourRoundDetailOut,
    TourRoundIn,
    TourRoundOut,
)
from shared.auth import Authenticated, OfficeWrite
from shared.db import Session
from shared.downloads import XLSX, attachment
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1/tours", tags=["tours"], responses=PROBLEM_RESPONSES)

UnitCode = Path(max_length=32, description="区县单位代码")
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        "description": "xlsx（Content-Disposition 中为中文文件名，RFC 5987）",
    }
}


@router.post(
    "",
    response_model=TourRoundDetailOut,
    status_code=status.HTTP_201_CREATED,
    summary="Open a 观摩 round (年中 or 年末, one each per programme) with the office's default "
    "score sheet (office)",
)
async def create(
    body: TourRoundIn, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> TourRoundDetailOut:
    return await service.create(session, principal, programme, body)


@router.get("", response_model=Page[TourRoundOut], summary="The programme's 观摩 rounds")
async def list_rounds(
    principal: Authenticated, session: Session, programme: CurrentProgramme, page: Pagination
) -> Page[TourRoundOut]:
    return await service.list_rounds(session, principal, programme, page)


@router.get(
    "/{round_id}",
    response_model=TourRoundDetailOut,
    summary="A round: its sheet, each district's projects (with the 4+2 warning), scores (office "
    "and viewers; a district its own once published) and, once published, totals and ranks",
)
async def get(
    round_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> TourRoundDetailOut:
    return await service.get(session, principal, programme, round_id)


@router.get(
    "/{round_id}/xlsx",
    response_class=Response,
    responses=XLSX_RESPONSE,
    summary="The round as a spreadsheet, as the caller may see it (points only where shown)",
)
async def round_xlsx(
    round_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Response:
    tour = await service.get(session, principal, programme, round_id)
    return Response(
        await spreadsheet.round_xlsx(tour),
        media_type=XLSX,
        headers={
            "Content-Disposition": attachment(f"{tour.name}.xlsx", "tour.xlsx"),
            "Cache-Control": "no-store",
        },
    )


@router.put(
    "/{round_id}/sheet",
    response_model=TourRoundDetailOut,
    summary="Replace the score sheet's items (office; 409 once scoring started or published)",
)
async def update_sheet(
    round_id: int,
    body: SheetIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> TourRoundDetailOut:
    return await service.update_sheet(session, principal, programme, round_id, body)


@router.put(
    "/{round_id}/districts/{unit_code}/projects",
    response_model=TourRoundDetailOut,
    summary="Set the key projects a district shows (office; a mix other than 4 new + 2 completed "
    "is a warning, not a refusal)",
)
async def set_projects(
    round_id: int,
    body: ShownProjectsIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    unit_code: str = UnitCode,
) -> TourRoundDetailOut:
    return await service.set_projects(session, principal, programme, round_id, unit_code, body)


@router.put(
    "/{round_id}/districts/{unit_code}/scores",
    response_model=TourRoundDetailOut,
    summary="Record the inspection team's points for a district per item, each 0..the item's "
    "maximum (office; 422 above it; 409 once published)",
)
async def set_scores(
    round_id: int,
    body: ScoresIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    unit_code: str = UnitCode,
) -> TourRoundDetailOut:
    return await service.set_scores(session, principal, programme, round_id, unit_code, body)


@router.post(
    "/{round_id}/publish",
    response_model=TourRoundDetailOut,
    summary="Publish the round: scores locked, totals and ranks out, each district's result to "
    "evaluation (office; 409 while a district lacks a score or once published)",
)
async def publish(
    round_id: int, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> TourRoundDetailOut:
    return await service.publish(session, principal, programme, round_id)
