from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from services.evaluation.ledger import service as ledger
from services.evaluation.score import service
from services.evaluation.score.schemas import (
    Explanation,
    HotlineBoard,
    Ranking,
    RecomputeResult,
    ScoreOut,
)
from services.evaluation.score.stream import (
    Broadcaster,
    recheck_after,
    session_end,
    visible_to,
)
from shared.auth import Authenticated, OfficeAdmin
from shared.db import Session
from shared.downloads import XLSX, attachment
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page
from shared.validation import BusinessDate

router = APIRouter(prefix="/api/evaluation/v1", tags=["scores"], responses=PROBLEM_RESPONSES)

Programme = Annotated[str, Query(description="改革工程代码（年份）")]
PeriodQuery = Annotated[str, Query(description="考核期：2026、2026-H1、2026-Q3 或 2026-10")]
Kind = Annotated[str | None, Query(pattern="^(unit|district)$", description="unit 或 district")]
RankingGroupQuery = Annotated[
    str | None,
    Query(
        pattern="^[a-z_]{1,32}$",
        description="排名分组（规则集 ranking_groups 的 key；不填为规则集的第一个分组）",
    ),
]


@router.get("/scores", response_model=Page[ScoreOut], summary="Live scores (or as of a date)")
async def list_scores(
    principal: Authenticated,
    session: Session,
    programme: Programme = "2026",
    period: PeriodQuery = "2026",
    as_of: Annotated[BusinessDate | None, Query(description="截至日期；不填为实时得分")] = None,
    kind: Kind = None,
) -> Page[ScoreOut]:
    items = await service.list_scores(
        session, principal, programme, service.period_or_422(period), as_of=as_of, kind=kind
    )
    return Page[ScoreOut](items=items, total=len(items))


@router.get(
    "/units/{code}/explain",
    response_model=Explanation,
    summary="Why a unit has its score: components down to the events that moved them",
)
async def explain(
    code: str,
    principal: Authenticated,
    session: Session,
    programme: Programme = "2026",
    period: PeriodQuery = "2026",
    as_of: BusinessDate | None = None,
) -> Explanation:
    return await service.explain(
        session, principal, programme, code, service.period_or_422(period), as_of
    )


@router.get("/rankings", response_model=Ranking, summary="Ranking with trend and top/bottom N")
async def rankings(
    principal: Authenticated,
    session: Session,
    programme: Programme = "2026",
    period: PeriodQuery = "2026",
    group: RankingGroupQuery = None,
) -> Ranking:
    return await service.rankings(session, programme, service.period_or_422(period), group)


@router.get(
    "/rankings/hotline",
    response_model=HotlineBoard,
    summary="12345 红黑榜: one ranking group by the hotline component's share, top and bottom N",
)
async def hotline_board(
    principal: Authenticated,
    session: Session,
    programme: Programme = "2026",
    period: PeriodQuery = "2026",
    group: RankingGroupQuery = None,
) -> HotlineBoard:
    return await service.hotline_board(session, programme, service.period_or_422(period), group)


@router.get(
    "/rankings/export",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "排名表 (.xlsx)"}},
    summary="Ranking as an xlsx sheet (the year-end results list when period is a year)",
)
async def export_rankings(
    principal: Authenticated,
    session: Session,
    programme: Programme = "2026",
    period: PeriodQuery = "2026",
    group: RankingGroupQuery = None,
) -> Response:
    ranking = await service.rankings(session, programme, service.period_or_422(period), group)
    content = await asyncio.to_thread(service.ranking_xlsx, ranking)
    filename = f"{programme}年{period}{ranking.group_name}排名.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": attachment(filename)},
    )


@router.post(
    "/recompute",
    response_model=RecomputeResult,
    summary="Rebuild ledger, counters and scores of a programme from its facts",
)
async def recompute(
    principal: OfficeAdmin, session: Session, programme: Programme = "2026"
) -> RecomputeResult:
    replayed = await ledger.recompute(session, programme)
    return RecomputeResult(programme=programme, facts_replayed=replayed, scores=0)


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    summary="Server-Sent Events: `score.changed` whenever a score moves",
)
async def stream(request: Request, principal: Authenticated) -> AsyncIterator[ServerSentEvent]:
    """Every change to everyone's total; a unit account sees another unit's total and grade
    only, its own changes whole. The stream ends (`session.ended`) when the token expires or
    is revoked, checked at least every TOKEN_CHECK_SECONDS."""
    broadcaster: Broadcaster = request.app.state.broadcaster
    queue = broadcaster.subscribe()
    try:
        yield ServerSentEvent(event="ready", data={"subscribers": broadcaster.subscribers})
        while (ended := await session_end(request.app, principal)) is None:
            try:
                message = await asyncio.wait_for(
                    queue.get(), timeout=recheck_after(request.app.state.settings, principal)
                )
            except TimeoutError:
                continue
            yield ServerSentEvent(event="score.changed", data=visible_to(principal, message))
        yield ServerSentEvent(event="session.ended", data={"reason": ended})
    except asyncio.CancelledError:
        raise
    finally:
        broadcaster.unsubscribe(queue)
