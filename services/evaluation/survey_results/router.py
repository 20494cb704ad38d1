"""万企评机关 results published: rounds, rankings (json, xlsx), publication, decision items."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.evaluation.survey_results import service
from services.evaluation.survey_results.schemas import (
    PublishResult,
    SurveyDecisionIn,
    SurveyDecisionOut,
    SurveyRanking,
    SurveyRound,
)
from shared.auth import Authenticated, OfficeRead, OfficeWrite
from shared.db import Session
from shared.downloads import XLSX, attachment
from shared.errors import PROBLEM_RESPONSES
from shared.models import SurveyDecisionStatus
from shared.pagination import Page

router = APIRouter(
    prefix="/api/evaluation/v1", tags=["survey-results"], responses=PROBLEM_RESPONSES
)

Round = Annotated[str, Path(pattern=r"^\d{4}-H[12]$", description="评议轮次（半年度），如 2026-H1")]


@router.get(
    "/surveys/rounds",
    response_model=Page[SurveyRound],
    summary="万企评机关 rounds, newest first (a unit: the published ones only)",
)
async def list_rounds(principal: Authenticated, session: Session) -> Page[SurveyRound]:
    items = await service.rounds(session, principal)
    return Page[SurveyRound](items=items, total=len(items))


@router.get(
    "/surveys/{period}/ranking",
    response_model=SurveyRanking,
    summary="A round's ranking of units and of 处室 / 站所 (a unit: 404 until published)",
)
async def survey_ranking(
    period: Round, principal: Authenticated, session: Session
) -> SurveyRanking:
    return await service.survey_ranking(session, principal, period)


@router.get(
    "/surveys/{period}/ranking/export",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "万企评机关排名 (.xlsx)"}},
    summary="A round's ranking as xlsx (a unit: 404 until published)",
)
async def export_survey_ranking(
    period: Round, principal: Authenticated, session: Session
) -> Response:
    found = await service.survey_ranking(session, principal, period)
    content = await asyncio.to_thread(service.ranking_xlsx, found)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": attachment(f"万企评机关排名{period}.xlsx")},
    )


@router.post(
    "/surveys/{period}/publish",
    response_model=PublishResult,
    summary="Publish a round to the units (once) and propose accountability for the bottom "
    "five of two consecutive rounds",
)
async def publish_round(period: Round, principal: OfficeWrite, session: Session) -> PublishResult:
    return await service.publish(session, principal, period)


@router.get(
    "/survey-decisions",
    response_model=Page[SurveyDecisionOut],
    summary="Accountability proposals (问责建议) from the survey and their decisions (office)",
)
async def list_decisions(
    principal: OfficeRead,
    session: Session,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-H[12]$")] = None,
    status: SurveyDecisionStatus | None = None,
) -> Page[SurveyDecisionOut]:
    items = await service.decisions(session, period=period, status=status)
    return Page[SurveyDecisionOut](items=items, total=len(items))


@router.post(
    "/survey-decisions/{decision_id}/decide",
    response_model=SurveyDecisionOut,
    summary="Adopt or dismiss (with a note) an accountability proposal, once",
)
async def decide(
    decision_id: int, body: SurveyDecisionIn, principal: OfficeWrite, session: Session
) -> SurveyDecisionOut:
    return await service.decide(session, principal, decision_id, body)
