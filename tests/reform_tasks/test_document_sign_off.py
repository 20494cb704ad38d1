"""Official documents (issue #20): a report is reviewed (核稿) and signed off (签发) by the office's
leader, which numbers it from a gap-free sequence per 代字 and year, stores the DOCX and PDF as
signed and delivers it to every unit; a correction supersedes it. Supervisions and decided
accountability are numbered documents too."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from docx import Document
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.reform_tasks.document import service as documents
from services.reform_tasks.document.pdf import pdf_available
from services.reform_tasks.document.repository import DocumentRepository
from shared import clock
from shared.errors import ServiceUnavailable
from shared.models import AuditLog, DocumentKind, OfficialDocument, Report, Role, UnitMessage
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"
BASE = f"{API}/reports"


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    clock.freeze(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    yield
    clock.freeze(None)


@pytest.fixture
def no_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without LibreOffice (make up installs nothing system-wide)."""
    monkeypatch.setattr(documents, "pdf_available", lambda: False)

    async def missing(_content: bytes) -> bytes:
        raise ServiceUnavailable("服务器未安装 LibreOffice，暂不能生成 PDF；请下载 DOCX")

    monkeypatch.setattr(documents, "docx_to_pdf", missing)


def leader(scene: Scene) -> dict[str, str]:
    return scene.factory.headers("leader", Role.office_leader, "gaigeban")


async def _draft(client: httpx.AsyncClient, scene: Scene, kind: str, period: str) -> dict[str, Any]:
    response = await client.post(
        BASE, json={"kind": kind, "period": period}, headers=scene.headers("office")
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _reviewed(
    client: httpx.AsyncClient, scene: Scene, kind: str = "monthly_dispatch", period: str = "2026-10"
) -> dict[str, Any]:
    draft = await _draft(client, scene, kind, period)
    response = await client.post(f"{BASE}/{draft['id']}/proofread", headers=scene.headers("staff"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _sign(
    client: httpx.AsyncClient, scene: Scene, report_id: int, **body: Any
) -> httpx.Response:
    return await client.post(
        f"{BASE}/{report_id}/sign-off",
        json={"publicity": "public", **body},
        headers=leader(scene),
    )


def _text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    return "\n".join(p.text for p in document.paragraphs)


async def test_a_report_is_reviewed_then_signed_off_numbered_and_delivered(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession, no_libreoffice: None
) -> None:
    office, staff = scene.headers("office"), scene.headers("staff")
    draft = await _draft(reports, scene, "monthly_dispatch", "2026-10")
    assert draft["title"] == "关于2026年10月全市营商环境改革任务调度情况的通报"
    assert set(draft["editable"]) == {
        "addressee",
        "foreword",
        "problems",
        "requirements",
        "copy_to",
    }
    assert (draft["status"], draft["document_number"]) == ("draft", None)
    # A draft prints the 代字 with no number; units do not see it.
    assert "云营改办调〔2026〕" in _text(
        (await reports.get(f"{BASE}/{draft['id']}/docx", headers=office)).content
    )
    assert (
        await reports.get(f"{BASE}/{draft['id']}", headers=scene.headers("shichang"))
    ).status_code == 404

    # Sign-off needs a review first; a review is undone by an edit.
    early = await _sign(reports, scene, draft["id"])
    assert (early.status_code, early.json()["detail"]) == (409, "须先核稿才能签发")
    reviewed = await reports.post(f"{BASE}/{draft['id']}/proofread", headers=staff)
    assert (reviewed.json()["status"], reviewed.json()["reviewed_by"]) == ("reviewed", "staff")
    edited = await reports.patch(
        f"{BASE}/{draft['id']}",
        json={"editable": {"copy_to": "市委办公室，市人大常委会办公室，市政府办公室。"}},
        headers=office,
    )
    assert (edited.json()["status"], edited.json()["reviewed_by"]) == ("draft", None)
    await reports.post(f"{BASE}/{draft['id']}/proofread", headers=staff)

    # Staff review but do not sign; units neither.
    for who in (staff, scene.headers("shichang")):
        refused = await reports.post(
            f"{BASE}/{draft['id']}/sign-off", json={"publicity": "public"}, headers=who
        )
        assert refused.status_code == 403
    bad = await _sign(reports, scene, draft["id"], publicity="secret")
    assert bad.status_code == 422
    signed = await _sign(reports, scene, draft["id"])
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert (body["status"], body["document_number"], body["signed_by"], body["publicity"]) == (
        "published",
        "云营改办调〔2026〕1号",
        "leader",
        "public",
    )
    assert (body["has_pdf"], body["unit_count"]) == (False, len(scene.units) - 1)

    # Immutable: no edit, no second sign-off; the DOCX is the stored one, with its number.
    late = await reports.patch(
        f"{BASE}/{draft['id']}", json={"editable": {"foreword": "改"}}, headers=office
    )
    assert late.status_code == 409
    assert (await _sign(reports, scene, draft["id"])).status_code == 409
    stored = await session.scalar(select(OfficialDocument).where(OfficialDocument.serial == 1))
    assert stored is not None
    assert stored.kind is DocumentKind.monthly_dispatch
    download = await reports.get(f"{BASE}/{draft['id']}/docx", headers=scene.headers("shichang"))
    assert download.content == stored.docx
    preview = await reports.get(f"{BASE}/{draft['id']}/html", headers=office)
    assert "云营改办调〔2026〕1号" in preview.text  # the preview is of the document as signed
    text = _text(download.content)
    assert "云营改办调〔2026〕1号" in text
    assert "市委办公室，市人大常委会办公室" in text
    # The unit's inbox has it, and the download marked it read.
    message = await session.scalar(
        select(UnitMessage).where(UnitMessage.dedupe_key.like(f"report:{draft['id']}:%"))
    )
    assert message is not None
    assert message.kind == "monthly_dispatch"
    receipts = (await reports.get(f"{BASE}/{draft['id']}/receipts", headers=office)).json()
    assert {r["unit_code"] for r in receipts if r["read_at"]} == {"shichang"}
    # Without LibreOffice the PDF is a clear 503 problem, and nothing is stored.
    pdf = await reports.get(f"{BASE}/{draft['id']}/pdf", headers=office)
    assert pdf.status_code == 503
    assert pdf.headers["content-type"].startswith("application/problem+json")
    assert "LibreOffice" in pdf.json()["detail"]
    actions = (
        await session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "report"))
    ).all()
    assert {"report.generated", "report.reviewed", "report.edited", "report.signed_off"} <= set(
        actions
    )


async def test_a_correction_is_a_new_number_that_supersedes_the_signed_version(
    reports: httpx.AsyncClient, scene: Scene, no_libreoffice: None
) -> None:
    first = await _reviewed(reports, scene)
    second = await _reviewed(reports, scene)  # regenerated: version 2, not numbered
    assert (second["version"], second["document_number"]) == (2, None)
    assert (await _sign(reports, scene, first["id"])).json()[
        "document_number"
    ] == "云营改办调〔2026〕1号"
    corrected = (await _sign(reports, scene, second["id"])).json()
    assert (corrected["document_number"], corrected["supersedes_id"]) == (
        "云营改办调〔2026〕2号",
        first["id"],
    )
    old = (await reports.get(f"{BASE}/{first['id']}", headers=scene.headers("shichang"))).json()
    assert (old["status"], old["superseded_by_id"], old["document_number"]) == (
        "superseded",
        second["id"],
        "云营改办调〔2026〕1号",
    )
    # An older version cannot be signed over a newer signed one.
    third = await _reviewed(reports, scene)
    await _sign(reports, scene, third["id"])
    quarterly = await _reviewed(reports, scene, "quarterly_notice", "2026-Q3")
    assert (await _sign(reports, scene, quarterly["id"])).json()[
        "document_number"
    ] == "云营改办通〔2026〕1号"


async def test_a_failed_sign_off_takes_no_number_and_leaves_the_report_reviewed(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LibreOffice fails while rendering the PDF: the sign-off is a 503, the report stays
    reviewed, nobody is told, and the next sign-off still gets number 1."""
    report = await _reviewed(reports, scene)
    monkeypatch.setattr(documents, "pdf_available", lambda: True)

    async def crash(_content: bytes) -> bytes:
        raise ServiceUnavailable("PDF 生成失败，请稍后重试")

    monkeypatch.setattr(documents, "docx_to_pdf", crash)
    failed = await _sign(reports, scene, report["id"])
    assert failed.status_code == 503, failed.text
    after = (await reports.get(f"{BASE}/{report['id']}", headers=scene.headers("office"))).json()
    assert (after["status"], after["document_number"]) == ("reviewed", None)
    assert await session.scalar(select(OfficialDocument.id)) is None
    assert (
        await session.scalar(select(UnitMessage.id).where(UnitMessage.kind == "monthly_dispatch"))
        is None
    )
    monkeypatch.setattr(documents, "pdf_available", lambda: False)
    assert (await _sign(reports, scene, report["id"])).json()[
        "document_number"
    ] == "云营改办调〔2026〕1号"


async def test_the_public_edition_is_kept_for_a_quarterly_notice_only(
    reports: httpx.AsyncClient, scene: Scene, no_libreoffice: None
) -> None:
    monthly = await _reviewed(reports, scene)
    refused = await _sign(reports, scene, monthly["id"], public_edition=True)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "public_edition"]
    notice = await _reviewed(reports, scene, "quarterly_notice", "2026-Q3")
    signed = (await _sign(reports, scene, notice["id"], public_edition=True)).json()
    assert signed["has_public_edition"] is True
    office = scene.headers("office")
    full = await reports.get(f"{BASE}/{notice['id']}/docx", headers=office)
    public = await reports.get(
        f"{BASE}/{notice['id']}/docx", params={"edition": "public"}, headers=office
    )
    assert full.status_code == public.status_code == 200
    assert full.content != public.content
    assert "%E5%85%AC%E5%BC%80%E7%89%88" in public.headers["content-disposition"]  # （公开版）
    none = await reports.get(
        f"{BASE}/{monthly['id']}/docx", params={"edition": "public"}, headers=office
    )
    assert none.status_code == 404


async def test_numbers_are_distinct_and_gap_free_under_concurrent_sign_offs(
    engine: AsyncEngine,
) -> None:
    """Two transactions numbering under the same 代字 at once: the second waits for the first;
    a transaction that rolls back leaves no gap."""
    word = f"测{uuid.uuid4().hex[:8]}"
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def number(commit: bool, hold: float) -> int:
        async with sessions() as session, session.begin():
            serial = await DocumentRepository(session).next_serial(word, 2026)
            session.add(
                OfficialDocument(
                    kind=DocumentKind.supervision,
                    word=word,
                    year=2026,
                    serial=serial,
                    document_number=f"{word}〔2026〕{serial}号",
                    title="测试",
                    signed_at=clock.now_utc(),
                    signed_by="test",
                    content={},
                    docx=b"x",
                )
            )
            await session.flush()
            await asyncio.sleep(hold)
            if not commit:
                await session.rollback()
            return serial

    try:
        rolled_back = await number(False, 0)
        assert rolled_back == 1
        results = await asyncio.gather(*(number(True, 0.05) for _ in range(6)))
        assert sorted(results) == [1, 2, 3, 4, 5, 6]
    finally:
        async with sessions() as session, session.begin():
            await session.execute(delete(OfficialDocument).where(OfficialDocument.word == word))


async def test_supervision_documents_are_numbered_and_read_by_the_supervised_unit(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession, no_libreoffice: None
) -> None:
    clock.freeze(datetime(2026, 5, 4, 2, tzinfo=UTC))
    issued = await reports.post(
        f"{API}/supervisions",
        json={
            "unit_code": "shichang",
            "subject": {"task_number": 1, "milestone_ordinal": 1},
            "reason": "方案制定滞后一个月",
            "due_on": "2026-05-15",
        },
        headers=scene.headers("office"),
    )
    assert issued.status_code == 201, issued.text
    first = issued.json()
    assert first["document_number"] == "云营改办督〔2026〕1号"
    docx = await reports.get(
        f"{API}/supervisions/{first['id']}/docx", headers=scene.headers("shichang")
    )
    assert docx.status_code == 200
    text = _text(docx.content)
    assert "云营改办督〔2026〕1号" in text
    assert "方案制定滞后一个月" in text
    other = await reports.get(
        f"{API}/supervisions/{first['id']}/docx", headers=scene.headers("shuiwu")
    )
    assert other.status_code == 404
    pdf = await reports.get(
        f"{API}/supervisions/{first['id']}/pdf", headers=scene.headers("shichang")
    )
    assert pdf.status_code == 503

    for day in ("2026-05-16", "2026-05-23"):
        swept = await reports.post(
            f"{API}/sweeps/supervision", params={"as_of": day}, headers=scene.headers("office")
        )
        assert swept.status_code == 200, swept.text
    chain = (await reports.get(f"{API}/supervisions", headers=scene.headers("shichang"))).json()[
        "items"
    ]
    assert [s["document_number"] for s in chain] == [
        "云营改办督〔2026〕1号",
        "云营改办督〔2026〕2号",
        None,
    ]
    second = _text(
        (
            await reports.get(
                f"{API}/supervisions/{chain[1]['id']}/docx", headers=scene.headers("office")
            )
        ).content
    )
    assert "云营改办督〔2026〕1号" in second  # the second one names the first
    proposal = await reports.get(
        f"{API}/supervisions/{chain[2]['id']}/docx", headers=scene.headers("office")
    )
    assert (proposal.status_code, proposal.json()["detail"]) == (
        404,
        "拟问责事项待改革办决定，尚未形成问责建议",
    )
    decided = await reports.post(
        f"{API}/supervisions/{chain[2]['id']}/decision",
        json={"decision": "hold", "reason": "二次督办逾期仍未整改，经主任办公会研究决定问责"},
        headers=scene.headers("office"),
    )
    assert decided.json()["document_number"] == "云营改办问〔2026〕1号"
    advice = _text(
        (
            await reports.get(
                f"{API}/supervisions/{chain[2]['id']}/docx", headers=scene.headers("office")
            )
        ).content
    )
    assert "二次督办逾期仍未整改" in advice
    assert "云营改办督〔2026〕1号" in advice  # both earlier 督办单 are cited
    assert "云营改办督〔2026〕2号" in advice
    stored = (await session.scalars(select(Report.id))).all()
    assert stored == []  # supervisions number their own documents, no report involved


@pytest.mark.skipif(not pdf_available(), reason="LibreOffice (soffice) 未安装")
async def test_a_pdf_missing_at_sign_off_is_rendered_once_and_kept(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed where LibreOffice was absent: the first PDF download renders it from the stored
    DOCX and keeps it; later downloads return the same bytes without rendering again."""
    report = await _reviewed(reports, scene)
    monkeypatch.setattr(documents, "pdf_available", lambda: False)
    signed = (await _sign(reports, scene, report["id"])).json()
    assert signed["has_pdf"] is False
    monkeypatch.undo()
    first = await reports.get(f"{BASE}/{report['id']}/pdf", headers=scene.headers("shichang"))
    assert first.status_code == 200, first.text
    assert first.content.startswith(b"%PDF")

    async def never(_content: bytes) -> bytes:
        raise AssertionError("a stored PDF is not rendered again")

    monkeypatch.setattr(documents, "docx_to_pdf", never)
    again = await reports.get(f"{BASE}/{report['id']}/pdf", headers=scene.headers("office"))
    assert again.content == first.content
    listed = (await reports.get(f"{BASE}/{report['id']}", headers=scene.headers("office"))).json()
    assert listed["has_pdf"] is True
