"""Closing a year (issue #21): after its final quarterly notice the office closes a programme;
it is then read-only — every write of any endpoint is a 409 naming it, the database refusing
the rows too (tasks.refuse_closed_programme) — its reads keep working, and evaluation is told
(`programme.closed`) to freeze its scores. Closing is refused, with the list, while a report is
unsigned, the final notice missing, or a 12345 order of its dates waits in quarantine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.errors import PROGRAMME_CLOSED_SQLSTATE
from shared.models import (
    AuditLog,
    DocumentKind,
    OfficialDocument,
    OutboxEvent,
    Programme,
    Rating,
    RatingWindow,
    Report,
    Role,
    UnitMessage,
    WorkOrder,
)
from shared.settings import Settings
from tests.reform_tasks.conftest import Scene
from tests.reform_tasks.test_access_matrix import PDF, _objects
from tests.reform_tasks.test_document_sign_off import no_libreoffice  # noqa: F401 — a fixture

API = "/api/tasks/v1"
CLOSED = "改革工程“2026年一号改革工程”（2026年度）已结束，不能修改"


@pytest.fixture(autouse=True)
def january() -> Iterator[None]:
    """10 January 2027 in Shanghai: the 2026 year is over, its Q4 notice can be written."""
    clock.freeze(datetime(2027, 1, 10, 2, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _report(client: httpx.AsyncClient, scene: Scene, kind: str, period: str) -> int:
    response = await client.post(
        f"{API}/reports", json={"kind": kind, "period": period}, headers=scene.headers("office")
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _proofread(client: httpx.AsyncClient, scene: Scene, report_id: int) -> None:
    response = await client.post(
        f"{API}/reports/{report_id}/proofread", headers=scene.headers("staff")
    )
    assert response.status_code == 200, response.text


async def _signed(client: httpx.AsyncClient, scene: Scene, kind: str, period: str) -> int:
    report_id = await _report(client, scene, kind, period)
    await _proofread(client, scene, report_id)
    response = await client.post(
        f"{API}/reports/{report_id}/sign-off",
        json={"publicity": "public"},
        headers=scene.factory.headers("leader", Role.office_leader, "gaigeban"),
    )
    assert response.status_code == 200, response.text
    return report_id


def _held(order_no: str, received: datetime, *, quarantined: bool = True) -> WorkOrder:
    return WorkOrder(
        order_no=order_no,
        status="created",
        received_at=received,
        handling_unit_code="WEIZHI-01",
        quarantine_reason="未知承办单位代码 WEIZHI-01" if quarantined else None,
    )


async def _close(
    client: httpx.AsyncClient, scene: Scene, code: str = "2026", **body: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/programmes/{code}/close", json=body, headers=scene.headers("office")
    )


async def test_closing_is_refused_with_the_list_of_what_is_left(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """A reviewed monthly report, a draft Q3 notice, no Q4 notice, and one 12345 order of 2026
    in quarantine (one of 2025 and one of 2026 not held do not count)."""
    november = await _report(reports, scene, "monthly_dispatch", "2026-11")
    await _proofread(reports, scene, november)
    q3 = await _report(reports, scene, "quarterly_notice", "2026-Q3")
    session.add_all(
        [
            _held("HL-2026-0001", datetime(2026, 6, 1, 2, tzinfo=UTC)),
            _held("HL-2025-0009", datetime(2025, 12, 20, 2, tzinfo=UTC)),
            _held("HL-2026-0002", datetime(2026, 7, 1, 2, tzinfo=UTC), quarantined=False),
        ]
    )
    await session.flush()

    for dry_run in (True, False):
        refused = await _close(reports, scene, dry_run=dry_run)
        assert refused.status_code == 409, refused.text
        assert [(e["loc"], e["msg"], e["type"]) for e in refused.json()["errors"]] == [
            (
                ["reports", november],
                "《关于2026年11月全市营商环境改革任务调度情况的通报》第1版已核稿，未签发",
                "report_not_signed",
            ),
            (
                ["reports", q3],
                "《关于2026年第三季度全市营商环境改革工作情况的通报》第1版草稿，未签发",
                "report_not_signed",
            ),
            (
                ["quarterly_notice", "2026-Q4"],
                "最后一期季度通报（2026-Q4）尚未签发",
                "final_notice_not_signed",
            ),
            (
                ["quarantine", "HL-2026-0001"],
                "12345工单 HL-2026-0001 在待处理队列中",
                "quarantined",
            ),
        ]
        assert refused.json()["detail"].startswith(
            "改革工程“2026年一号改革工程”尚有 4 项未办结，不能结束年度："
        )
    programme = await session.scalar(
        select(Programme).where(Programme.code == "2026").execution_options(populate_existing=True)
    )
    assert programme is not None
    assert programme.closed_at is None
    assert (
        await session.scalar(select(AuditLog).where(AuditLog.action == "programme.closed")) is None
    )
    assert (
        await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "programme.closed"))
        is None
    )
    for who in (scene.headers("staff"), scene.headers("shichang"), scene.headers("viewer")):
        forbidden = await reports.post(f"{API}/programmes/2026/close", json={}, headers=who)
        assert forbidden.status_code == 403


@pytest.mark.usefixtures("no_libreoffice")
async def test_a_year_closes_once_its_reports_are_signed_and_then_once_only(
    reports: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """December's first version stays a draft, but its second is signed: the period is done."""
    await _report(reports, scene, "monthly_dispatch", "2026-12")
    await _signed(reports, scene, "monthly_dispatch", "2026-12")
    q4 = await _signed(reports, scene, "quarterly_notice", "2026-Q4")
    session.add(_held("HL-2026-0003", datetime(2026, 3, 1, 2, tzinfo=UTC), quarantined=False))
    await session.flush()

    checked = await _close(reports, scene, dry_run=True)
    assert checked.status_code == 200, checked.text
    assert checked.json()["closed_at"] is None

    closed = await _close(reports, scene)
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed_by"] == "office"
    assert closed.json()["closed_at"] is not None
    listed = await reports.get(f"{API}/programmes", headers=scene.headers("shichang"))
    assert listed.json()["items"][0]["closed_at"] == closed.json()["closed_at"]
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "programme.closed"))
    assert audit is not None
    assert (audit.entity_id, audit.after["closed_by"]) == ("2026", "office")
    event = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "programme.closed"))
    assert event is not None
    assert (event.programme, event.consumer, event.data) == (
        "2026",
        "evaluation",
        {"code": "2026", "year": 2026, "closed_on": "2027-01-10", "closed_by": "office"},
    )

    again = await _close(reports, scene)
    assert (again.status_code, again.json()["code"], again.json()["detail"]) == (
        409,
        "programme_closed",
        CLOSED,
    )

    # Its reads keep working: the battle map, the tasks, a report and its DOCX, a timeline.
    office, unit = scene.headers("office"), scene.headers("shichang")
    for path, who in (
        (f"{API}/battle-map?programme=2026", office),
        (f"{API}/tasks?programme=2026", unit),
        (f"{API}/tasks/1?programme=2026", unit),
        (f"{API}/tasks/1/timeline?programme=2026", office),
        (f"{API}/reports/{q4}", unit),
        (f"{API}/reports/{q4}/docx", unit),
        (f"{API}/reports/{q4}/html", office),
        (f"{API}/domains?programme=2026", office),
    ):
        response = await reports.get(path, headers=who)
        assert response.status_code == 200, f"{path}: {response.text[:200]}"
    assert len((await reports.get(f"{API}/tasks?programme=2026", headers=office)).json()["items"])


async def test_without_the_hotline_nothing_is_closed(
    reports: httpx.AsyncClient,
    scene: Scene,
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "hotline_url", "http://127.0.0.1:9")  # nothing listens there
    refused = await _close(reports, scene)
    assert refused.status_code == 503, refused.text
    assert "12345热线服务暂不可用" in refused.json()["detail"]
    closed_at = await session.scalar(select(Programme.closed_at).where(Programme.code == "2026"))
    assert closed_at is None


# --- read-only: the database -----------------------------------------------------------------


async def _closed_by_hand(session: AsyncSession, code: str = "2026") -> None:
    """Closed as the endpoint closes it (the conditions are the tests above)."""
    await session.execute(
        update(Programme)
        .where(Programme.code == code)
        .values(closed_at=datetime(2027, 1, 10, 2, tzinfo=UTC), closed_by="office")
    )


GUARDED = (
    "domains",
    "tasks",
    "task_responsible_units",
    "milestones",
    "progress_reports",
    "evidence_files",
    "extension_requests",
    "rating_windows",
    "problems",
    "supervisions",
    "supervision_replies",
    "supervision_reply_files",
    "timeline_entries",
    "reports",
    "projects",
    "project_nodes",
    "project_evaluations",
    "project_plan_files",
    "project_problems",
    "project_weekly_reports",
    "project_weekly_report_photos",
    "instructions",
    "instruction_units",
    "instruction_answers",
    "instruction_answer_files",
    "tour_rounds",
    "tour_sheet_items",
    "tour_projects",
    "tour_scores",
    "problem_lists",
    "problem_list_items",
    "quarterly_submissions",
    "quarterly_submission_files",
    "cases",
)


async def test_the_database_refuses_every_row_of_a_closed_year(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, files_dir: Path
) -> None:
    """Every table of the year's record, UPDATE and DELETE of each of its rows: SQLSTATE RT409
    with the programme's name; another programme's rows, the units' read receipts and a signed
    document's missing PDF change."""
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))
    objects = await _objects(tasks_client, scene)
    other = await scene.factory.programme("2025")
    await scene.factory.domain(other, "qita", "其他", 1)
    window = await session.scalar(select(RatingWindow).where(RatingWindow.code == "2026-Q3"))
    assert window is not None
    units = scene.units
    session.add(
        Rating(
            window_id=window.id,
            task_id=scene.tasks[2].id,
            rater_unit_id=units["shuiwu"].id,
            rated_unit_id=units["hexiqu"].id,
            score=90,
            rated_by="shuiwu",
        )
    )
    document = OfficialDocument(
        kind=DocumentKind.quarterly_notice,
        word="云营改办通",
        year=2026,
        serial=1,
        document_number="云营改办通〔2026〕1号",
        title="关于2026年第三季度营商环境改革工作情况的通报",
        signed_at=clock.now_utc(),
        signed_by="leader",
        content={},
        docx=b"PK",
    )
    session.add(document)
    await session.flush()
    await session.execute(
        update(Report).where(Report.id == objects["notice"]).values(document_id=document.id)
    )
    await _closed_by_hand(session)
    for table in (*GUARDED, "ratings", "official_documents"):
        count = await session.scalar(text(f"SELECT count(*) FROM tasks.{table}"))
        assert count, f"no row of {table} to try"
        for statement in (
            f"UPDATE tasks.{table} SET id = id",
            f"DELETE FROM tasks.{table}",
        ):
            if table == "task_responsible_units":
                statement = statement.replace("SET id = id", "SET task_id = task_id")
            if table == "official_documents":  # a document unchanged is let through (its PDF)
                statement = statement.replace("SET id = id", "SET title = '改'")
            if table == "domains" and statement.startswith("DELETE"):
                statement += f" WHERE programme_id = {scene.programme.id}"
            with pytest.raises(DBAPIError) as refused:
                async with session.begin_nested():
                    await session.execute(text(statement))
            cause = refused.value.orig.__cause__  # type: ignore[union-attr]
            assert (cause.sqlstate, cause.message) == (PROGRAMME_CLOSED_SQLSTATE, CLOSED), table
    programme = "UPDATE tasks.programmes SET settings = settings WHERE code = '2026'"
    with pytest.raises(DBAPIError, match="已结束"):
        async with session.begin_nested():
            await session.execute(text(programme))
    with pytest.raises(DBAPIError, match="已结束"):
        async with session.begin_nested():
            await session.execute(text("UPDATE tasks.programmes SET closed_at = NULL"))
    # A signed document's PDF, missing at sign-off, is stored once when first rendered.
    await session.execute(update(OfficialDocument).values(pdf=b"%PDF-1.7"))
    with pytest.raises(DBAPIError, match="已结束"):
        async with session.begin_nested():
            await session.execute(update(OfficialDocument).values(pdf=b"%PDF-1.7 other"))
    # Not the year's record: another programme, and a unit reading its inbox.
    await session.execute(text("UPDATE tasks.domains SET name = '其他事项' WHERE code = 'qita'"))
    await session.execute(update(UnitMessage).values(read_at=clock.now_utc(), read_by="hexiqu"))
    await session.flush()


@dataclass
class Write:
    """One write operation of the OpenAPI (`template`), sent for the closed year as the role
    that may otherwise make it."""

    method: str
    template: str
    path: str = ""  # the template with 2026 and the empty domain when not given
    who: str = "office"
    json: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    files: list[Any] | None = field(default=None)

    def __post_init__(self) -> None:
        self.template = API + self.template
        concrete = self.path or self.template.removeprefix(API)
        self.path = API + concrete.replace("{code}", "2026").replace("{domain}", "kong")

    def headers(self, scene: Scene) -> dict[str, str]:
        if self.who == "office":
            return scene.headers("office")
        return scene.headers(self.who, Role.lead_unit if self.who == "shuiwu" else Role.unit)


# Write operations that address no programme's data, and why they stay open.
EXEMPT = {
    ("POST", "/api/auth/token"): "login",
    ("POST", "/api/auth/password"): "one's own password",
    ("POST", f"{API}/units"): "the unit directory is not a year's",
    ("PATCH", f"{API}/units/{{code}}"): "the unit directory is not a year's",
    # A reorganisation hands a unit's open items to others: a closed year's rows are not open
    # items any more, and the database refuses them (test_the_database_refuses_every_row…).
    ("POST", f"{API}/units/{{code}}/merge"): "the unit directory; only open years' items move",
    ("POST", f"{API}/units/{{code}}/split"): "the unit directory; only open years' items move",
    ("POST", f"{API}/units/{{code}}/deactivate"): "the unit directory; only open years' items",
    ("POST", f"{API}/users"): "accounts are not a year's",
    ("PATCH", f"{API}/users/{{username}}"): "accounts are not a year's",
    ("POST", f"{API}/programmes"): "creates another programme (copy_from only reads this one)",
    ("POST", f"{API}/messages/{{message_id}}/read"): "a unit's read receipt, not the year's record",
}


def _project_writes(o: dict[str, Any]) -> list[Write]:
    """Key projects (issue #27): the register, its stages, nodes, evaluation and 五个一, and the
    lead unit's weekly reports."""
    p = "?programme=2026"
    project = f"/projects/{o['project']}"
    new = {
        "code": "XM-009",
        "name": "新增项目",
        "level": "municipal",
        "district": "hexiqu",
        "lead_unit": "shuiwu",
    }
    scores = dict.fromkeys(
        (
            "investment_scale",
            "industry_category",
            "owner_strength",
            "preliminary_procedures",
            "overall_benefit",
            "technology_level",
            "resource_use",
        ),
        80,
    )
    return [
        Write("POST", "/projects", f"/projects{p}", json=new),
        Write("PUT", "/projects/rules", f"/projects/rules{p}", json={"due_weekday": 4}),
        Write(
            "POST", "/projects/import", f"/projects/import{p}", files=[("file", ("a.xlsx", b"PK"))]
        ),
        Write("PATCH", "/projects/{project_id}", f"{project}{p}", json={"leader_name": "张明"}),
        Write("DELETE", "/projects/{project_id}", f"{project}{p}"),
        Write(
            "POST", "/projects/{project_id}/stage", f"{project}/stage{p}", json={"stage": "signed"}
        ),
        Write(
            "POST",
            "/projects/{project_id}/nodes",
            f"{project}/nodes{p}",
            json={"name": "竣工投产", "planned_on": "2027-06-30"},
        ),
        Write(
            "POST",
            "/projects/{project_id}/nodes/{node_id}/done",
            f"{project}/nodes/{o['project_node']}/done{p}",
            "shuiwu",
            json={"actual_on": "2026-09-01"},
        ),
        Write(
            "PUT",
            "/projects/{project_id}/evaluation",
            f"{project}/evaluation{p}",
            json={"scores": scores},
        ),
        Write(
            "POST",
            "/projects/{project_id}/plan",
            f"{project}/plan{p}",
            "shuiwu",
            files=[("file", ("plan.pdf", PDF))],
        ),
        Write(
            "POST",
            "/projects/{project_id}/problem-list",
            f"{project}/problem-list{p}",
            "shuiwu",
            json={"problem": "用水未接入"},
        ),
        Write(
            "POST",
            "/projects/{project_id}/problem-list/{item_id}/close",
            f"{project}/problem-list/{o['project_item']}/close{p}",
            json={"note": "已接入"},
        ),
        Write(
            "POST",
            "/projects/{project_id}/weekly-reports",
            f"{project}/weekly-reports{p}",
            "shuiwu",
            data={"week": "2026-W37", "summary": "补报"},
        ),
    ]


def _writes(o: dict[str, Any]) -> list[Write]:
    """Each write operation with a plausible request on the closed 2026."""
    p = "?programme=2026"
    n, s, ext, pr, notice = o["problem"], o["supervision"], o["extension"], o["report"], o["notice"]
    task = {
        "number": 9,
        "domain": "shangshi",
        "task_class": "A",
        "title": "新增改革任务",
        "goal": "新任务目标",
        "lead_unit": "shichang",
        "responsible_units": ["zhengwu"],
        "deadline": "2026-12-31",
        "milestones": [{"planned_date": "2026-12-31", "title": "完成"}],
    }
    problem = {
        "source": "inspection",
        "problem": "窗口等候时间仍然过长",
        "responsible_unit": "hexiqu",
        "found_on": "2026-09-10",
        "due_on": "2026-10-10",
    }
    window = {
        "code": "2026-Q4",
        "name": "四季度",
        "opens_on": "2026-12-01",
        "closes_on": "2026-12-31",
    }
    supervise = {
        "unit_code": "hexiqu",
        "subject": {"problem_number": n},
        "reason": "再次督办",
        "due_on": "2026-10-20",
    }
    evidence = [("files", ("a.pdf", PDF))]
    settings = {"lagging_after_days": 3, "seriously_lagging_after_days": 40}
    return [
        Write("PUT", "/programmes/{code}/settings", json=settings),
        Write("POST", "/programmes/{code}/domains", json={"code": "zhengce", "name": "政策"}),
        Write("PUT", "/programmes/{code}/domains/order", json={"codes": ["nashui", "shangshi"]}),
        Write("PATCH", "/programmes/{code}/domains/{domain}", json={"name": "商事登记改革"}),
        Write("DELETE", "/programmes/{code}/domains/{domain}"),
        Write("POST", "/programmes/{code}/close", json={}),
        Write("POST", "/tasks/import", f"/tasks/import{p}", files=[("file", ("a.xlsx", b"PK"))]),
        Write("POST", "/tasks", f"/tasks{p}", json=task),
        Write("PATCH", "/tasks/{number}", f"/tasks/1{p}", json={"title": "企业开办全程网上办"}),
        Write(
            "POST",
            "/tasks/{number}/milestones/{ordinal}/reports",
            f"/tasks/1/milestones/1/reports{p}",
            "zhengwu",
            data={"content": "补报进展"},
            files=evidence,
        ),
        Write(
            "POST",
            "/reports/{report_id}/review",
            f"/reports/{pr}/review{p}",
            json={"decision": "accept"},
        ),
        Write(
            "POST",
            "/tasks/{number}/milestones/{ordinal}/close-out",
            f"/tasks/2/milestones/1/close-out{p}",
        ),
        Write(
            "POST",
            "/tasks/{number}/milestones/{ordinal}/close-out/refusal",
            f"/tasks/2/milestones/1/close-out/refusal{p}",
            json={"reason": "材料不全"},
        ),
        Write("POST", "/tasks/{number}/close-out", f"/tasks/2/close-out{p}"),
        Write(
            "POST",
            "/tasks/{number}/milestones/{ordinal}/extensions",
            f"/tasks/2/milestones/2/extensions{p}",
            "hexiqu",
            json={"requested_date": "2026-11-30", "reason": "再次延期"},
        ),
        Write("POST", "/extensions/{ext_id}/approve", f"/extensions/{ext}/approve{p}", json={}),
        Write("POST", "/extensions/{ext_id}/reject", f"/extensions/{ext}/reject{p}", json={}),
        Write("POST", "/rating-windows", f"/rating-windows{p}", json=window),
        Write("POST", "/rating-windows/{code}/close", f"/rating-windows/2026-Q3/close{p}"),
        Write(
            "PUT",
            "/rating-windows/{code}/ratings/{number}/{unit_code}",
            f"/rating-windows/2026-Q3/ratings/2/hexiqu{p}",
            "shuiwu",
            json={"score": 90},
        ),
        Write("POST", "/supervisions", f"/supervisions{p}", json=supervise),
        Write(
            "POST",
            "/supervisions/{supervision_id}/decision",
            f"/supervisions/{s}/decision{p}",
            json={"decision": "hold", "reason": "问责"},
        ),
        Write(
            "POST",
            "/supervisions/{supervision_id}/resolve",
            f"/supervisions/{s}/resolve{p}",
            json={"resolution": "已整改到位"},
        ),
        Write(
            "POST",
            "/supervisions/{supervision_id}/replies",
            f"/supervisions/{s}/replies{p}",
            "hexiqu",
            data={"facts": "再次回复"},
            files=evidence,
        ),
        Write("POST", "/sweeps/lagging", f"/sweeps/lagging{p}"),
        Write("POST", "/sweeps/problems", f"/sweeps/problems{p}"),
        Write("POST", "/sweeps/supervision", f"/sweeps/supervision{p}"),
        Write("POST", "/problems", f"/problems{p}", json=problem),
        Write("PATCH", "/problems/{number}", f"/problems/{n}{p}", json={"cause": "人手不足"}),
        Write(
            "POST",
            "/problems/{number}/progress",
            f"/problems/{n}/progress{p}",
            json={"note": "增设窗口"},
        ),
        Write(
            "POST",
            "/problems/{number}/close-out",
            f"/problems/{n}/close-out{p}",
            json={"note": "已整改"},
        ),
        Write(
            "POST",
            "/reports",
            json={"kind": "monthly_dispatch", "period": "2026-08", "programme": "2026"},
        ),
        Write(
            "PATCH",
            "/reports/{document_id}",
            f"/reports/{notice}",
            json={"editable": {"foreword": "改写"}},
        ),
        Write("POST", "/reports/{document_id}/proofread", f"/reports/{notice}/proofread"),
        Write(
            "POST",
            "/reports/{document_id}/sign-off",
            f"/reports/{notice}/sign-off",
            json={"publicity": "public"},
        ),
        Write("POST", "/reminders/run", f"/reminders/run{p}"),
        *_project_writes(o),
        Write(
            "POST",
            "/instructions",
            f"/instructions{p}",
            json={
                "subject_type": "task",
                "subject_id": 1,
                "text": "再作批示",
                "leader_name": "张明",
                "leader_title": "市长",
                "instructed_on": "2026-09-10",
                "due_on": "2026-09-30",
                "unit_codes": ["shichang"],
            },
        ),
        Write(
            "POST",
            "/instructions/{instruction_id}/answers",
            f"/instructions/{o['instruction']}/answers{p}",
            "hexiqu",
            data={"text": "再次回复"},
            files=evidence,
        ),
        Write("POST", "/tours", f"/tours{p}", json={"kind": "year_end", "held_on": "2026-12-28"}),
        Write(
            "PUT",
            "/tours/{round_id}/sheet",
            f"/tours/{o['tour']}/sheet{p}",
            json={"items": [{"name": "项目质量", "max_points": 100}]},
        ),
        Write(
            "PUT",
            "/tours/{round_id}/districts/{unit_code}/projects",
            f"/tours/{o['tour']}/districts/hexiqu/projects{p}",
            json={"projects": []},
        ),
        Write(
            "PUT",
            "/tours/{round_id}/districts/{unit_code}/scores",
            f"/tours/{o['tour']}/districts/hexiqu/scores{p}",
            json={"scores": [{"item_id": 1, "points": 1}]},
        ),
        Write("POST", "/tours/{round_id}/publish", f"/tours/{o['tour']}/publish{p}"),
        Write(
            "POST",
            "/instructions/{instruction_id}/acknowledge",
            f"/instructions/{o['instruction']}/acknowledge{p}",
            json={"acknowledged_on": "2026-09-20"},
        ),
        *_filing_writes(o),
    ]


def _filing_writes(o: dict[str, Any]) -> list[Write]:
    """Unit-filed lists, quarterly work reports and typical cases (issue #27)."""
    p = "?programme=2026"
    lines = {
        "title": "河西区问题清单",
        "items": [
            {
                "problem": "窗口等候时间过长",
                "cause": "窗口不足",
                "measure": "增设窗口",
                "responsible_person": "王强",
                "due_on": "2026-12-31",
            }
        ],
    }
    case = {
        "kind": "positive",
        "title": "一窗通办示范",
        "facts": "河西区推行一窗通办，企业办事时间缩短一半。",
        "unit": "hexiqu",
        "quarter": "2026-Q3",
    }
    listed = f"/problem-lists/{o['problem_list']}"
    return [
        Write("POST", "/problem-lists", f"/problem-lists{p}", "hexiqu", json=lines),
        Write("PUT", "/problem-lists/{list_id}", f"{listed}{p}", "hexiqu", json=lines),
        Write("POST", "/problem-lists/{list_id}/submit", f"{listed}/submit{p}", "hexiqu"),
        Write("POST", "/problem-lists/{list_id}/accept", f"{listed}/accept{p}"),
        Write(
            "POST",
            "/problem-lists/{list_id}/return",
            f"{listed}/return{p}",
            json={"reason": "补充"},
        ),
        Write(
            "POST",
            "/problem-lists/{list_id}/import",
            f"{listed}/import{p}",
            "hexiqu",
            files=[("file", ("l.xlsx", b"PK"))],
        ),
        Write(
            "POST",
            "/submissions",
            f"/submissions{p}",
            "shuiwu",
            data={"quarter": "2026-Q3", "summary": "本季度完成各项工作，详见附件。"},
        ),
        Write("POST", "/cases", f"/cases{p}", json=case),
        Write("PUT", "/cases/{case_id}", f"/cases/{o['case']}{p}", json=case),
    ]


async def _snapshot(session: AsyncSession) -> dict[str, str | None]:
    """Every row of the tasks schema (but the inboxes), and the audit log and outbox."""
    tables = (
        await session.scalars(
            text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tasks'"
                " AND table_name <> 'unit_messages'"
            )
        )
    ).all()
    state = {}
    for table in [*(f"tasks.{t}" for t in tables), "platform.audit_log", "platform.outbox"]:
        state[table] = await session.scalar(
            text(f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} AS t")
        )
    return state


async def test_every_write_of_the_openapi_is_refused_on_a_closed_year(
    reports: httpx.AsyncClient,
    report_stack: tuple[FastAPI, httpx.AsyncClient],
    scene: Scene,
    session: AsyncSession,
    files_dir: Path,
) -> None:
    """Each write operation reform_tasks publishes, sent for the closed 2026 by the role that
    could otherwise make it, is a 409 naming the programme (a 403 would do; never a 2xx, never
    a 500), and no row of the year, audit or outbox changed. An operation the table does not
    name fails the test until it is classified (or exempted, with the reason)."""
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))
    objects = await _objects(reports, scene)
    await scene.factory.domain(scene.programme, "kong", "空领域", 3)
    await _closed_by_hand(session)
    writes = _writes(objects)
    published = {
        (method.upper(), path)
        for path, operations in report_stack[0].openapi()["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }
    assert published - set(EXEMPT) == {(w.method, w.template) for w in writes}, "classify each"
    before = await _snapshot(session)
    for write in writes:
        response = await reports.request(
            write.method,
            write.path,
            json=write.json,
            data=write.data,
            files=write.files,
            headers=write.headers(scene),
        )
        where = f"{write.method} {write.path}: {response.status_code} {response.text[:300]}"
        assert response.status_code in (403, 409), where
        if response.json()["code"] == "programme_closed":
            assert response.json()["detail"] == CLOSED, where
    assert await _snapshot(session) == before


async def test_a_write_that_passes_the_service_is_refused_by_the_database(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """Proofreading a draft reaches the report by its id, not through a programme parameter:
    the database's refusal is the answer, a 409 naming the programme."""
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))
    from tests.report_apps import draft_notice

    notice = await draft_notice(session, scene.programme.id)
    await _closed_by_hand(session)
    refused = await tasks_client.post(
        f"{API}/reports/{notice}/proofread", headers=scene.headers("staff")
    )
    assert (refused.status_code, refused.json()["code"], refused.json()["detail"]) == (
        409,
        "programme_closed",
        CLOSED,
    )


async def test_a_closed_years_unfinished_tasks_can_still_be_carried_into_the_next(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """结转 reads the closed year and notes on each old task where it went; nothing else of
    2026 changes."""
    await _closed_by_hand(session)
    created = await tasks_client.post(
        f"{API}/programmes",
        json={
            "code": "2027",
            "name": "2027年一号改革工程",
            "year": 2027,
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "benchmark_city": "深圳",
            "copy_from": "2026",
            "carry_over": True,
        },
        headers=scene.headers("office"),
    )
    assert created.status_code == 201, created.text
    assert [c["from_number"] for c in created.json()["carried"]] == [1, 2]
    old = await tasks_client.get(
        f"{API}/tasks/1/timeline?programme=2026", headers=scene.headers("office")
    )
    assert [e["kind"] for e in old.json()["items"]].count("task.carried_over") == 1
    assert date(2027, 1, 10) == clock.today_shanghai()
