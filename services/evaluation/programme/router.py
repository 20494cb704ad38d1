from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.evaluation.programme import service
from services.evaluation.programme.schemas import FinalResults
from services.evaluation.score.service import rankings_xlsx
from shared.auth import Authenticated
from shared.db import Session
from shared.downloads import XLSX, attachment
from shared.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/evaluation/v1", tags=["scores"], responses=PROBLEM_RESPONSES)

Programme = Annotated[str, Query(description="改革工程代码（年份）")]


@router.get(
    "/final-results",
    response_model=FinalResults,
    summary="The year-end results list: every ranking group, frozen once the programme is closed",
)
async def final_results(
    principal: Authenticated, session: Session, programme: Programme = "2026"
) -> FinalResults:
    return await service.final_results(session, programme)


@router.get(
    "/final-results/export",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "年度结果表 (.xlsx)，每个排名分组一页"}},
    summary="The year-end results list as xlsx (one sheet per ranking group, values only)",
)
async def export_final_results(
    principal: Authenticated, session: Session, programme: Programme = "2026"
) -> Response:
    results = await service.final_results(session, programme)
    content = await asyncio.to_thread(rankings_xlsx, results.rankings)
    state = "最终结果" if results.closed else "结果（暂定）"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": attachment(f"{programme}年营商环境评价{state}.xlsx")},
    )
