"""The quarterly notice and what units file (issue #27): the notice lists the units whose
quarterly work report was late or is missing, and the quarter's typical cases — the public
edition only the public ones, and no named units; a quarter without a case is drafted with a
warning for the office (the scheduler drafts every quarter's notice)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import CaseKind, QuarterlySubmission, TypicalCase
from tests.reform_tasks.conftest import Scene

BASE = "/api/tasks/v1/reports"


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    clock.freeze(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _filed(session: AsyncSession, scene: Scene) -> None:
    """Q3: hexiqu reported on the 25th, shuiwu on the 28th (late), yunzhongqu after the quarter
    ended (late, not missing), the others not at all; a
    public good-practice case and a non-public case that damaged the business environment."""
    units, programme = scene.units, scene.programme.id
    for code, day in (
        ("hexiqu", date(2026, 9, 25)),
        ("shuiwu", date(2026, 9, 28)),
        ("yunzhongqu", date(2026, 10, 3)),
    ):
        session.add(
            QuarterlySubmission(
                programme_id=programme,
                unit_id=units[code].id,
                quarter="2026-Q3",
                summary="本季度工作开展情况。",
                submitted_on=day,
                submitted_by=code,
            )
        )
    session.add_all(
        [
            TypicalCase(
                programme_id=programme,
                kind=CaseKind.negative,
                title="某窗口推诿企业办事",
                facts="企业反映窗口多次推诿，项目开工延误一个月。",
                unit_id=units["zhengwu"].id,
                handling="责令整改并向企业致歉。",
                people_accountability="对直接责任人通报批评",
                unit_accountability="责成单位党组作出书面检查",
                quarter="2026-Q3",
                public=False,
                created_by="office",
            ),
            TypicalCase(
                programme_id=programme,
                kind=CaseKind.positive,
                title="企业开办一网通办示范",
                facts="企业开办全程网办，平均半天办结。",
                unit_id=units["shichang"].id,
                quarter="2026-Q3",
                public=True,
                created_by="office",
            ),
        ]
    )
    await session.flush()


async def _notice(reports: httpx.AsyncClient, scene: Scene) -> dict[str, Any]:
    response = await reports.post(
        BASE,
        json={"kind": "quarterly_notice", "period": "2026-Q3"},
        headers=scene.headers("office"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _text(
    reports: httpx.AsyncClient, scene: Scene, notice: dict[str, Any], edition: str
) -> str:
    response = await reports.get(
        f"{BASE}/{notice['id']}/docx?edition={edition}", headers=scene.headers("office")
    )
    assert response.status_code == 200, response.text
    document = Document(io.BytesIO(response.content))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


async def test_the_notice_names_late_and_missing_quarterly_reports(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    await _filed(session, scene)
    notice = await _notice(reports, scene)
    standing = notice["data"]["submissions"]
    assert (standing["due_on"], standing["expected"], standing["on_time"]) == ("2026-09-25", 5, 1)
    assert [r["unit_code"] for r in standing["late"]] == ["shuiwu", "yunzhongqu"]
    assert [r["unit_code"] for r in standing["missing"]] == ["shichang", "zhengwu"]
    full = await _text(reports, scene, notice, "full")
    assert "季度工作报告报送情况" in full
    assert "逾期报送2家：市税务局、云中区" in full
    assert "未报送2家：市市场监管局、市政务服务局" in full
    assert "市政务服务局" in full
    workbook = load_workbook(
        io.BytesIO(
            (
                await reports.get(f"{BASE}/{notice['id']}/xlsx", headers=scene.headers("office"))
            ).content
        )
    )
    sheet = workbook["季度报告报送"]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    assert ("市税务局", "逾期报送", "2026-09-28") in rows
    # Named units are not for the public edition.
    public = await _text(reports, scene, notice, "public")
    assert "季度工作报告报送情况" not in public
    assert "逾期报送" not in public


async def test_the_notice_lists_the_quarters_cases_and_the_public_edition_only_public_ones(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    await _filed(session, scene)
    notice = await _notice(reports, scene)
    assert notice["data"]["warnings"] == []
    assert notice["editable"]["typical_cases"] == ""  # the register speaks; the office may add
    full = await _text(reports, scene, notice, "full")
    assert "（一）某窗口推诿企业办事。" in full
    assert "“一案双查”：对直接责任人：对直接责任人通报批评" in full
    assert "企业开办一网通办示范" in full
    public = await _text(reports, scene, notice, "public")
    assert "企业开办一网通办示范" in public
    assert "某窗口推诿企业办事" not in public
    assert "对直接责任人通报批评" not in public


async def test_a_quarter_without_a_case_is_drafted_with_a_warning(
    reports: httpx.AsyncClient, scene: Scene
) -> None:
    notice = await _notice(reports, scene)
    assert notice["data"]["cases"] == []
    (warning,) = notice["data"]["warnings"]
    assert "2026-Q3 尚未登记典型案例" in warning
    assert notice["status"] == "draft"
