"""Reports and notices: the monthly dispatch snapshot, versions, the quarterly notice naming the
bottom N, DOCX/XLSX/HTML renderings, publishing to every unit and read receipts."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from docx import Document
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import clock
from shared.models import AuditLog, Milestone, Report, Role, Task, Unit, UnitKind, UnitMessage
from shared.settings import Settings
from tests.event_data import event_data
from tests.hotline.conftest import SECRET, Platform, created
from tests.reform_tasks.conftest import Scene
from tests.report_apps import tasks_app_with_sources

BASE = "/api/tasks/v1/reports"
DISTRICTS = [f"qu{i:02d}" for i in range(12)]


@pytest.fixture
def peers(report_stack: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    """reform_tasks' own client to the other services (evaluation on :8002)."""
    client: httpx.AsyncClient = report_stack[0].state.http
    return client


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    clock.freeze(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _complete_task_one(session: AsyncSession, scene: Scene) -> None:
    """Task 1's two milestones done on time; task 2 done nothing (seriously lagging by Oct)."""
    await session.execute(
        update(Milestone)
        .where(Milestone.task_id == scene.tasks[1].id)
        .values(completed_on=Milestone.planned_date)
    )
    await session.execute(
        update(Task).where(Task.id == scene.tasks[1].id).values(closed_out_on=date(2026, 10, 20))
    )
    await session.flush()


async def _generate(
    client: httpx.AsyncClient, scene: Scene, kind: str, period: str
) -> dict[str, object]:
    response = await client.post(
        BASE, json={"kind": kind, "period": period}, headers=scene.headers("office")
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_monthly_dispatch_counts_tasks_by_status_as_of_the_month_end(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    await _complete_task_one(session, scene)
    report = await _generate(reports, scene, "monthly_dispatch", "2026-10")
    data = report["data"]
    assert isinstance(data, dict)
    assert report["title"] == "关于2026年10月全市营商环境改革任务调度情况的通报"
    assert report["as_of"].startswith("2026-10-31T16:00:00")  # type: ignore[union-attr]
    assert data["totals"] == {
        "tasks": 2,
        "done": 1,
        "on_track": 0,
        "lagging": 0,
        "seriously_lagging": 1,
    }
    by_domain = {r["code"]: r for r in data["by_domain"]}
    assert by_domain["shangshi"]["done"] == 1
    assert by_domain["nashui"]["seriously_lagging"] == 1
    assert [r["number"] for r in data["close_outs"]] == [1]
    assert [r["number"] for r in data["behind"]] == [2]
    assert "document_number" not in data  # numbered at sign-off, not when generated
    assert report["document_number"] is None
    districts = next(g for g in data["rankings"] if g["group"] == "district")
    assert {r["unit_code"] for r in districts["rows"]} == {"yunzhongqu", "hexiqu"}
    assert [g["name"] for g in data["rankings"]] == ["市直部门", "区县", "中央驻市单位及公用企业"]
    assert report["status"] == "draft"
    audit = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "report.generated", AuditLog.entity_id == str(report["id"])
        )
    )
    assert audit is not None


async def test_the_reports_hotline_table_is_what_the_score_counted(
    reports: httpx.AsyncClient, peers: httpx.AsyncClient, scene: Scene
) -> None:
    """Issue #19, fix 3: the report's rates are the score's (one definition, receipt period):
    an order received in September and visited in October counts in September; a consultation
    counts nowhere under the office's default rule set."""
    service = scene.factory.headers("service:reform_tasks", Role.service, None)

    async def tell(event_type: str, when: datetime, order: str, **data: object) -> None:
        received = {"order_no": order, "received_on": "2026-09-28", **data}
        envelope = {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "occurred_at": when.isoformat(),
            "programme": None,
            "unit_code": "zhengwu",
            "data": event_data(event_type, "zhengwu", received),
        }
        response = await peers.post(
            "http://127.0.0.1:8002/internal/events", json=envelope, headers=service
        )
        assert response.status_code == 200, response.text

    september, october = datetime(2026, 9, 28, 2, tzinfo=UTC), datetime(2026, 10, 9, 2, tzinfo=UTC)
    for order in ("A", "B", "Z"):
        await tell(
            "work_order.created", september, order, kind="consult" if order == "Z" else "complaint"
        )
    await tell("work_order.responded", september, "A", within_limit=True)
    await tell("work_order.response_expired", october, "B")
    await tell("work_order.closed", october, "A", on_time=False)
    await tell("work_order.visited", october, "A", resolved=True, satisfaction="dissatisfied")

    report = await _generate(reports, scene, "monthly_dispatch", "2026-09")
    data = report["data"]
    assert isinstance(data, dict)
    [row] = data["hotline"]
    assert (row["unit_code"], row["orders"], row["overdue"]) == ("zhengwu", 2, 1)
    assert (row["response_rate"], row["resolution_rate"], row["satisfaction_rate"]) == (0.5, 1, 0)
    assert row["on_time_closing_rate"] == 0
    scores = await peers.get(
        "http://127.0.0.1:8002/api/evaluation/v1/scores",
        params={"programme": "2026", "period": "2026-09"},
        headers=service,
    )
    [score] = [s for s in scores.json()["items"] if s["unit_code"] == "zhengwu"]
    detail = next(c["detail"] for c in score["components"] if c["key"] == "hotline")
    assert {k: detail[k] for k in row if k in detail} == {k: row[k] for k in row if k in detail}
    october_report = await _generate(reports, scene, "monthly_dispatch", "2026-10")
    assert october_report["data"]["hotline"] == []  # type: ignore[index]
    # 12345 红黑榜 (issue #26): per ranking group, by the same counts.
    boards = {b["group"]: b["rows"] for b in data["hotline_board"]}
    assert [(r["unit_code"], r["red"], r["black"]) for r in boards["department"]] == [
        ("zhengwu", True, False)
    ]
    assert boards["district"] == []
    docx = await reports.get(f"{BASE}/{report['id']}/docx", headers=scene.headers("office"))
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "12345热线红黑榜" in text


async def test_regenerating_adds_a_version_and_keeps_the_old_snapshot(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    first = await _generate(reports, scene, "monthly_dispatch", "2026-10")
    await _complete_task_one(session, scene)
    second = await _generate(reports, scene, "monthly_dispatch", "2026-10")
    assert (first["version"], second["version"]) == (1, 2)
    old = (await reports.get(f"{BASE}/{first['id']}", headers=scene.headers("office"))).json()
    assert old["data"]["totals"]["done"] == 0
    assert second["data"]["totals"]["done"] == 1  # type: ignore[index]
    listed = await reports.get(BASE, params={"period": "2026-10"}, headers=scene.headers("office"))
    assert [r["version"] for r in listed.json()["items"]] == [2, 1]
    # A monthly report's numbers are a snapshot: only its free text is editable.
    edit = await reports.patch(
        f"{BASE}/{first['id']}",
        json={"editable": {"totals": "x"}},
        headers=scene.headers("office"),
    )
    assert edit.status_code == 422


async def test_catch_up_with_if_absent_generates_once(
    reports: httpx.AsyncClient, scene: Scene
) -> None:
    body = {"kind": "monthly_dispatch", "period": "2026-09", "if_absent": True}
    scheduler = scene.factory.headers("service:scheduler", Role.service, None)
    first = await reports.post(BASE, json=body, headers=scheduler)
    again = await reports.post(BASE, json=body, headers=scheduler)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


async def test_a_snapshot_taken_while_the_month_ran_does_not_count_as_the_months_report(
    reports: httpx.AsyncClient, scene: Scene
) -> None:
    office = scene.headers("office")
    early = await reports.post(
        BASE, json={"kind": "monthly_dispatch", "period": "2026-11"}, headers=office
    )
    assert early.status_code == 201
    assert early.json()["as_of"].startswith("2026-11-05")  # now: the month is still running
    clock.freeze(datetime(2026, 12, 1, 2, tzinfo=UTC))
    scheduler = scene.factory.headers("service:scheduler", Role.service, None)
    body = {"kind": "monthly_dispatch", "period": "2026-11", "if_absent": True}
    complete = await reports.post(BASE, json=body, headers=scheduler)
    assert complete.status_code == 201
    assert (complete.json()["version"], complete.json()["as_of"][:10]) == (2, "2026-11-30")


async def test_bad_periods_are_refused_in_chinese(reports: httpx.AsyncClient, scene: Scene) -> None:
    office = scene.headers("office")
    for kind, period in (
        ("monthly_dispatch", "2026-Q3"),
        ("quarterly_notice", "2026-10"),
        ("monthly_dispatch", "2026-12"),  # not started (today is 2026-11-05)
        ("monthly_dispatch", "2025-12"),  # another programme's year
        ("monthly_dispatch", "十月"),
    ):
        response = await reports.post(BASE, json={"kind": kind, "period": period}, headers=office)
        assert response.status_code == 422, (kind, period, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])


async def _twelve_districts_ranked(scene: Scene, peers: httpx.AsyncClient) -> None:
    """qu00 best … qu11 worst in 2026-Q3: of its 11 milestones in August, qu_i has i lagging and
    the others done on time (its delivery rate is (11 − i) ÷ 11)."""
    for code in DISTRICTS:
        await scene.factory.unit(code, UnitKind.district, name=f"{code}区人民政府")
    service = scene.factory.headers("service:reform_tasks", Role.service, None)
    for i, code in enumerate(DISTRICTS):
        for task in range(1, 12):
            lagging = task <= i
            event_type = "milestone.lagging" if lagging else "milestone.completed"
            data = {"task_number": 100 * i + task}
            if not lagging:
                data["completed_on"] = "2026-08-05"
            envelope = {
                "id": str(uuid.uuid4()),
                "type": event_type,
                "occurred_at": datetime(2026, 8, 5, tzinfo=UTC).isoformat(),
                "programme": "2026",
                "unit_code": code,
                "data": event_data(event_type, code, data),
            }
            # To evaluation as the outbox relay would deliver it.
            response = await peers.post(
                "http://127.0.0.1:8002/internal/events", json=envelope, headers=service
            )
            assert response.status_code == 200, response.text


async def test_quarterly_notice_docx_names_the_bottom_n_and_has_the_tables(
    reports: httpx.AsyncClient, peers: httpx.AsyncClient, scene: Scene
) -> None:
    await _twelve_districts_ranked(scene, peers)
    notice = await _generate(reports, scene, "quarterly_notice", "2026-Q3")
    data = notice["data"]
    assert isinstance(data, dict)
    named = {g["group"]: g["rows"] for g in data["named"]}
    bottom = [r["unit_code"] for r in named["district"]]
    assert bottom == ["qu11", "qu10", "qu09", "qu08", "qu07"]  # bottom 5 (rule set), worst first
    praised = [
        r["unit_code"] for g in data["praised"] if g["group"] == "district" for r in g["rows"]
    ]
    assert len(praised) == 5
    assert "qu00" in praised
    assert not set(praised) & set(bottom)
    response = await reports.get(f"{BASE}/{notice['id']}/docx", headers=scene.headers("office"))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "云岭市优化营商环境工作领导小组办公室文件" in text
    assert "云营改办通〔2026〕\u3000号" in text  # a draft: numbered when signed
    assert "关于2026年第三季度全市营商环境改革工作情况的通报" in text
    assert "{{" not in text
    named = next(p.text for p in document.paragraphs if p.text.startswith("区县综合得分排名后5位"))
    for code in bottom:
        assert f"{code}区人民政府" in named
    assert "qu00区人民政府" not in named
    headers = [[c.text for c in t.rows[0].cells] for t in document.tables]
    assert ["名次", "单位", "得分", "满分", "等次", "名次变化"] in headers
    bottom_table = next(
        t
        for t in document.tables
        if t.rows[0].cells[0].text == "名次"
        and "qu11区人民政府" in [r.cells[1].text for r in t.rows]
        and "qu00区人民政府" not in [r.cells[1].text for r in t.rows]
    )
    assert len(bottom_table.rows) == 1 + 5


async def test_a_notice_snapshotted_before_ranking_groups_still_renders(
    reports: httpx.AsyncClient, peers: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """Snapshots are kept as taken: one from before ranking groups (two lists, districts and
    everyone else) must still open in every format."""
    await _twelve_districts_ranked(scene, peers)
    notice = await _generate(reports, scene, "quarterly_notice", "2026-Q3")
    data = dict(notice["data"])  # type: ignore[call-overload]
    by_group = {g["group"]: g["rows"] for g in data.pop("rankings")}
    praised = {g["group"]: g["rows"] for g in data.pop("praised")}
    named = {g["group"]: g["rows"] for g in data.pop("named")}
    data.pop("naming_margin")
    legacy = {
        **data,
        "district_ranking": by_group["district"],
        "unit_ranking": by_group["department"] + by_group["other"],
        "praised_districts": praised["district"],
        "praised_units": praised["department"] + praised["other"],
        "named_districts": named["district"],
        "named_units": named["department"] + named["other"],
    }
    await session.execute(update(Report).where(Report.id == notice["id"]).values(data=legacy))
    await session.flush()
    office = scene.headers("office")
    for form in ("docx", "xlsx", "html"):
        response = await reports.get(f"{BASE}/{notice['id']}/{form}", headers=office)
        assert response.status_code == 200, (form, response.text)
    document = Document(
        io.BytesIO((await reports.get(f"{BASE}/{notice['id']}/docx", headers=office)).content)
    )
    text = "\n".join(p.text for p in document.paragraphs)
    assert "区县综合得分排名后5位" in text
    assert "qu11区人民政府" in text


async def test_xlsx_round_trips_the_numbers(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    await _complete_task_one(session, scene)
    report = await _generate(reports, scene, "monthly_dispatch", "2026-10")
    response = await reports.get(f"{BASE}/{report['id']}/xlsx", headers=scene.headers("office"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert {"封面", "总体情况", "分领域", "分单位", "督办", "评分排名", "热线办理"} <= set(
        workbook.sheetnames
    )
    rows = list(workbook["分领域"].iter_rows(values_only=True))
    header = rows.index(("领域", "任务数", "已完成", "按期推进", "滞后", "严重滞后"))
    by_domain = {r[0]: r[1:] for r in rows[header + 1 :] if r[0]}
    assert by_domain == {"商事登记": (1, 1, 0, 0, 0), "纳税": (1, 0, 0, 0, 1)}
    scores = list(workbook["评分排名"].iter_rows(values_only=True))
    data = report["data"]
    assert isinstance(data, dict)
    expected = {(r["unit_name"], r["total"]) for g in data["rankings"] for r in g["rows"]}
    assert expected <= {(r[1], r[2]) for r in scores if r and isinstance(r[0], int)}


async def test_exports_hold_text_with_control_characters_and_formulas_as_text(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """Rows written before names were checked (or by the importer) may hold characters XML
    cannot: the xlsx and docx still render (both were 500), and a formula stays text."""
    await session.execute(
        update(Task)
        .where(Task.id == scene.tasks[2].id)
        .values(title='=HYPERLINK("http://x","点我")\x01')
    )
    await session.execute(
        update(Unit).where(Unit.id == scene.units["hexiqu"].id).values(name="+河西区\x1b人民政府")
    )
    await session.flush()
    office = scene.headers("office")
    report = await _generate(reports, scene, "quarterly_notice", "2026-Q3")
    await reports.patch(
        f"{BASE}/{report['id']}",
        json={"editable": {"foreword": "@SUM(1+1)\n第二行"}},
        headers=office,
    )
    xlsx = await reports.get(f"{BASE}/{report['id']}/xlsx", headers=office)
    assert xlsx.status_code == 200, xlsx.text
    cells = [
        cell
        for sheet in load_workbook(io.BytesIO(xlsx.content)).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value[:1] in "=+-@"
    ]
    assert "+河西区人民政府" in {c.value for c in cells}
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    docx = await reports.get(f"{BASE}/{report['id']}/docx", headers=office)
    assert docx.status_code == 200, docx.text
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "@SUM(1+1)" in text
    assert "\x01" not in text


async def test_html_preview_is_complete_and_escapes_what_the_office_typed(
    reports: httpx.AsyncClient, scene: Scene
) -> None:
    office = scene.headers("office")
    report = await _generate(reports, scene, "monthly_dispatch", "2026-10")
    response = await reports.get(f"{BASE}/{report['id']}/html", headers=office)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<h2>一、总体情况</h2>" in response.text
    assert "（草稿，未发布）" in response.text
    notice = await _generate(reports, scene, "quarterly_notice", "2026-Q3")
    typed = '<script>alert("x")</script>'
    await reports.patch(
        f"{BASE}/{notice['id']}", json={"editable": {"typical_cases": typed}}, headers=office
    )
    html = (await reports.get(f"{BASE}/{notice['id']}/html", headers=office)).text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


async def test_a_notice_is_edited_as_a_draft_then_signed_off_to_every_unit_with_receipts(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    notice = await _generate(reports, scene, "quarterly_notice", "2026-Q3")
    assert set(notice["editable"]) == {  # type: ignore[arg-type]
        "addressee",
        "foreword",
        "typical_cases",
        "problems",
        "requirements",
        "copy_to",
    }
    # Units do not see drafts.
    unit_list = await reports.get(BASE, headers=scene.headers("shichang"))
    assert unit_list.json()["total"] == 0
    assert (
        await reports.get(f"{BASE}/{notice['id']}", headers=scene.headers("shichang"))
    ).status_code == 404
    edited = await reports.patch(
        f"{BASE}/{notice['id']}",
        json={"editable": {"typical_cases": "云中区“一窗通办”压缩开办时间至半天。"}},
        headers=office,
    )
    assert edited.status_code == 200, edited.text
    html = await reports.get(f"{BASE}/{notice['id']}/html", headers=office)
    assert "云中区“一窗通办”压缩开办时间至半天。" in html.text
    bad = await reports.patch(
        f"{BASE}/{notice['id']}", json={"editable": {"totals": "1"}}, headers=office
    )
    assert bad.status_code == 422
    unit_review = await reports.post(
        f"{BASE}/{notice['id']}/proofread", headers=scene.headers("shichang")
    )
    assert unit_review.status_code == 403
    assert (
        await reports.post(f"{BASE}/{notice['id']}/proofread", headers=office)
    ).status_code == 200
    published = await reports.post(
        f"{BASE}/{notice['id']}/sign-off", json={"publicity": "on_request"}, headers=office
    )
    assert published.status_code == 200, published.text
    units = len(scene.units) - 1  # every unit but the office
    assert (published.json()["status"], published.json()["unit_count"]) == ("published", units)
    late_edit = await reports.patch(
        f"{BASE}/{notice['id']}", json={"editable": {"foreword": "改"}}, headers=office
    )
    assert late_edit.status_code == 409
    inbox = await reports.get("/api/tasks/v1/messages", headers=scene.headers("shichang"))
    message = next(m for m in inbox.json()["items"] if m["link"] == f"/reports/{notice['id']}")
    assert (message["kind"], message["read_at"]) == ("quarterly_notice", None)
    # The unit downloads the DOCX: its message is read; the office sees the receipt.
    download = await reports.get(f"{BASE}/{notice['id']}/docx", headers=scene.headers("shichang"))
    assert download.status_code == 200
    receipts = (await reports.get(f"{BASE}/{notice['id']}/receipts", headers=office)).json()
    by_unit = {r["unit_code"]: r for r in receipts}
    assert len(by_unit) == units
    assert by_unit["shichang"]["read_at"] is not None
    assert by_unit["shuiwu"]["read_at"] is None
    listed = (await reports.get(BASE, headers=office)).json()["items"][0]
    assert (listed["read_count"], listed["unit_count"]) == (1, units)
    assert (
        await reports.get(f"{BASE}/{notice['id']}/receipts", headers=scene.headers("shichang"))
    ).status_code == 403
    delivered = await session.scalar(
        select(UnitMessage).where(UnitMessage.dedupe_key.startswith(f"report:{notice['id']}:"))
    )
    assert delivered is not None


async def test_report_generation_fails_whole_when_evaluation_is_down(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    scene: Scene,
    session: AsyncSession,
) -> None:
    app, client = tasks_app_with_sources(settings, sessionmaker)
    # Evaluation's URL now points where nothing listens.
    app.state.settings = settings.model_copy(update={"evaluation_url": "http://127.0.0.1:9"})
    try:
        response = await client.post(
            BASE,
            json={"kind": "monthly_dispatch", "period": "2026-10"},
            headers=scene.headers("office"),
        )
    finally:
        await client.aclose()
        await app.state.http.aclose()
    assert response.status_code == 503
    assert "评价服务暂不可用" in response.json()["detail"]
    listed = await session.scalar(select(AuditLog).where(AuditLog.action == "report.generated"))
    assert listed is None


async def test_a_monthly_report_lists_the_12345_returns_per_unit(
    reports: httpx.AsyncClient,
    hotline_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue #26: 12345 退单情况 — per unit with a return in the month, the returns and the
    office's decisions on them (改派, 驳回, pending), from the hotline's summary as the report
    reads it with its service token; a return made in another month is not counted; with the
    hotline down nothing is generated."""
    monkeypatch.setattr(settings, "hotline_webhook_secrets", SECRET)
    platform = Platform(hotline_client)

    async def returned(order_no: str, unit: str, day: datetime) -> None:
        for event_type, data in (
            (
                "work_order.created",
                created(
                    order_no,
                    occurred_at=day.isoformat(),
                    received_at=day.isoformat(),
                    handling_unit_code=unit,
                    due_at=(day + timedelta(days=5)).isoformat(),
                ),
            ),
            (
                "work_order.returned",
                {
                    "order_no": order_no,
                    "occurred_at": (day + timedelta(hours=2)).isoformat(),
                    "reason": "非本单位职责",
                },
            ),
        ):
            sent = await platform.send(event_type, data)
            assert sent.status_code == 200, sent.text
            assert sent.json()["status"] == "applied", sent.text

    october = datetime(2026, 10, 12, 1, tzinfo=UTC)
    for order_no in ("RR1", "RR2", "RR3"):
        await returned(order_no, "zhengwu", october)
    await returned("RR9", "shuiwu", datetime(2026, 9, 14, 1, tzinfo=UTC))  # September's
    for order_no, body in (
        ("RR1", {"decision": "approve", "unit_code": "shuiwu", "reason": "确属税务部门职责"}),
        ("RR2", {"decision": "reject", "reason": "属本单位职责，继续办理"}),
    ):
        decided = await hotline_client.post(
            f"/api/hotline/v1/returns/{order_no}/decision",
            json=body,
            headers=scene.headers("office"),
        )
        assert decided.status_code == 200, decided.text

    report = await _generate(reports, scene, "monthly_dispatch", "2026-10")
    data = report["data"]
    assert isinstance(data, dict)
    assert data["hotline_returns"] == [
        {
            "unit_code": "zhengwu",
            "unit_name": "云岭市政务服务管理局",
            "returned": 3,
            "approved": 1,
            "rejected": 1,
            "pending": 1,
        }
    ]
    docx = await reports.get(f"{BASE}/{report['id']}/docx", headers=scene.headers("office"))
    document = Document(io.BytesIO(docx.content))
    assert "12345热线退单情况" in "\n".join(p.text for p in document.paragraphs)
    [table] = [t for t in document.tables if t.rows[0].cells[0].text == "单位"]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["单位", "退单", "审核通过（改派）", "驳回", "待审核"],
        ["云岭市政务服务管理局", "3", "1", "1", "1"],
    ]
    xlsx = await reports.get(f"{BASE}/{report['id']}/xlsx", headers=scene.headers("office"))
    sheet = load_workbook(io.BytesIO(xlsx.content))["热线退单"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(("单位", "退单", "审核通过（改派）", "驳回", "待审核"))
    assert rows[header + 1 :] == [("云岭市政务服务管理局", 3, 1, 1, 1)]
    # The hotline down: nothing is generated (503), as when evaluation is down.
    app, down = tasks_app_with_sources(settings, sessionmaker)
    app.state.settings = settings.model_copy(update={"hotline_url": "http://127.0.0.1:9"})
    try:
        refused = await down.post(
            BASE,
            json={"kind": "monthly_dispatch", "period": "2026-10"},
            headers=scene.headers("office"),
        )
    finally:
        await down.aclose()
        await app.state.http.aclose()
    assert refused.status_code == 503
    assert "12345热线服务暂不可用" in refused.json()["detail"]
    september = await _generate(reports, scene, "monthly_dispatch", "2026-09")
    assert [
        (r["unit_code"], r["returned"], r["pending"]) for r in september["data"]["hotline_returns"]
    ] == [  # type: ignore[index]
        ("shuiwu", 1, 1)
    ]
