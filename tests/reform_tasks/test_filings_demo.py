"""The demo's unit filings (shared/demo/filings.py): a list accepted (its lines problems of the
problem list) and one returned, past quarters' reports with some late and some missing, a case a
quarter with one public; loading twice changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.submission.service import matrix
from shared.demo.filings import load_filings
from shared.models import (
    Problem,
    ProblemList,
    ProblemListItem,
    ProblemListStatus,
    QuarterlySubmission,
    TypicalCase,
)
from tests.reform_tasks.conftest import Scene


async def _counts(session: AsyncSession) -> tuple[int, ...]:
    tables = (ProblemList, ProblemListItem, QuarterlySubmission, TypicalCase, Problem)
    return tuple(
        [int(await session.scalar(select(func.count()).select_from(t)) or 0) for t in tables]
    )


async def test_the_demo_files_lists_reports_and_cases_once(
    session: AsyncSession, scene: Scene
) -> None:
    as_of = date(2026, 11, 5)
    await load_filings(session, scene.programme, as_of=as_of)
    first = await _counts(session)
    await load_filings(session, scene.programme, as_of=as_of)
    assert await _counts(session) == first
    lists = {p.status: p for p in (await session.scalars(select(ProblemList))).all()}
    assert set(lists) == {ProblemListStatus.accepted, ProblemListStatus.returned}
    assert lists[ProblemListStatus.returned].return_reason
    lines = (await session.scalars(select(ProblemListItem))).all()
    accepted = [i for i in lines if i.list_id == lists[ProblemListStatus.accepted].id]
    assert accepted
    assert all(i.problem_id for i in accepted)
    table = await matrix(session, scene.programme, as_of)
    standing = Counter(c.status.value for r in table.rows for c in r.cells[:3])
    assert standing["on_time"]
    assert standing["late"]
    assert standing["missing"]
    cases = (await session.scalars(select(TypicalCase))).all()
    assert {c.quarter for c in cases} >= {"2026-Q1", "2026-Q2", "2026-Q3"}
    assert sum(c.public for c in cases) == 1
