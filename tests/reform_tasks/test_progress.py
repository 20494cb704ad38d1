"""Progress reports with evidence, the lead unit's review and the office's close-out (销号) of
milestones and tasks: the whole lifecycle from an imported task list to the events evaluation
scores, the conflicts, who may do what, and the evidence file rules."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import AuditLog, EvidenceFile, OutboxEvent, ProgressReport, Role, UnitMessage
from shared.settings import Settings
from tests.reform_tasks.conftest import (
    Scene,
    assert_evidence_download,
    scanner_script,
    stored_files,
)

API = "/api/tasks/v1"
PDF = b"%PDF-1.4\n%evidence of the work\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def frozen(files_dir: Path) -> Iterator[None]:
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))  # 2026-09-20 12:00 in Shanghai
    yield
    clock.freeze(None)


def office_file(part: str) -> bytes:
    """A minimal Office Open XML container (a zip holding the part that names its kind)."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


async def report(
    client: httpx.AsyncClient,
    scene: Scene,
    unit: str,
    number: int,
    ordinal: int,
    *,
    done_on: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
    content: str = "已完成方案制定并印发实施",
) -> httpx.Response:
    data: dict[str, Any] = {"content": content}
    if done_on:
        data.update(claims_completion="true", completion_date=done_on)
    return await client.post(
        f"{API}/tasks/{number}/milestones/{ordinal}/reports",
        data=data,
        files=[("files", (name, body)) for name, body in files or []],
        headers=scene.headers(unit, Role.unit),
    )


async def review(
    client: httpx.AsyncClient,
    scene: Scene,
    who: str,
    report_id: int,
    decision: str,
    comment: str = "",
) -> httpx.Response:
    return await client.post(
        f"{API}/reports/{report_id}/review",
        json={"decision": decision, "comment": comment},
        headers=scene.headers(who),
    )


async def close_milestone(
    client: httpx.AsyncClient, scene: Scene, number: int, ordinal: int, who: str = "office"
) -> httpx.Response:
    return await client.post(
        f"{API}/tasks/{number}/milestones/{ordinal}/close-out", headers=scene.headers(who)
    )


async def finish(
    client: httpx.AsyncClient, scene: Scene, number: int, ordinal: int, done_on: str
) -> None:
    """Completion reported by the lead unit itself, accepted, closed out."""
    lead = {1: "shichang", 2: "shuiwu"}[number]
    sent = await report(client, scene, lead, number, ordinal, done_on=done_on)
    assert sent.status_code == 201, sent.text
    assert (await review(client, scene, lead, sent.json()["id"], "accept")).status_code == 200
    assert (await close_milestone(client, scene, number, ordinal)).status_code == 200


async def milestone_states(client: httpx.AsyncClient, scene: Scene, number: int) -> list[str]:
    task = await client.get(f"{API}/tasks/{number}", headers=scene.headers("office"))
    return [m["state"] for m in task.json()["milestones"]]


# --- the whole lifecycle ----------------------------------------------------------------------


def task_list(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "清单"
    sheet.append(
        ["序号", "领域", "任务", "类别", "对标", "牵头单位", "责任单位", "完成时限", "时间节点"]
    )
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_import_report_review_close_out_lifecycle(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    content = task_list(
        [
            [
                7,
                "商事登记",
                "企业注销一网通办",
                "A类",
                "深圳：简易注销20天",
                "市场监管局",
                "市政务服务局、云中区",
                "2026年8月底前",
                "4月底前：制定简易注销办法\n2026年7月31日：全面推行",
            ]
        ]
    )
    imported = await tasks_client.post(
        f"{API}/tasks/import",
        params={"dry_run": "false"},
        files={"file": ("清单.xlsx", content)},
        headers=office,
    )
    assert imported.status_code == 200, imported.text

    # Milestone 1: the responsible unit reports completion on time with evidence.
    first = await report(
        tasks_client, scene, "zhengwu", 7, 1, done_on="2026-04-28", files=[("办法.pdf", PDF)]
    )
    assert first.status_code == 201, first.text
    assert first.json()["review_status"] == "pending"
    assert await milestone_states(tasks_client, scene, 7) == ["reported", "open"]
    accepted = await review(tasks_client, scene, "shichang", first.json()["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["review_status"] == "accepted"
    assert await milestone_states(tasks_client, scene, 7) == ["accepted", "open"]
    closed = await close_milestone(tasks_client, scene, 7, 1)
    assert closed.status_code == 200, closed.text
    assert closed.json() == {
        "task_number": 7,
        "milestone_ordinal": 1,
        "completed_on": "2026-04-28",
        "on_time": True,
    }

    # Milestone 2: the lead unit reports completion ten days late.
    second = await report(tasks_client, scene, "shichang", 7, 2, done_on="2026-08-10")
    assert second.status_code == 201
    await review(tasks_client, scene, "shichang", second.json()["id"], "accept")
    late = await close_milestone(tasks_client, scene, 7, 2)
    assert late.json()["on_time"] is False
    task = (await tasks_client.get(f"{API}/tasks/7", headers=office)).json()
    assert [(m["state"], m["completed_on"]) for m in task["milestones"]] == [
        ("closed_out", "2026-04-28"),
        ("closed_out", "2026-08-10"),
    ]

    task_closed = await tasks_client.post(f"{API}/tasks/7/close-out", headers=office)
    assert task_closed.status_code == 200, task_closed.text
    assert task_closed.json() == {
        "task_number": 7,
        "milestone_ordinal": None,
        "completed_on": "2026-08-10",
        "on_time": True,  # the task's deadline is 08-31
    }
    task = (await tasks_client.get(f"{API}/tasks/7", headers=office)).json()
    assert (task["status"], task["closed_out_on"]) == ("closed_out", "2026-08-10")

    events = (await session.scalars(select(OutboxEvent).order_by(OutboxEvent.occurred_at))).all()
    assert [e.type for e in events] == ["milestone.completed"] * 2 + ["task.closed_out"]
    # Each completion is told when the lead unit accepts it, dated the day it was done.
    assert [e.occurred_at.date().isoformat() for e in events[:2]] == ["2026-04-28", "2026-08-10"]
    assert all((e.unit_code, e.programme) == ("shichang", "2026") for e in events)
    assert events[0].data == {
        "task_number": 7,
        "milestone": 1,
        "title": "制定简易注销办法",
        "planned_date": "2026-04-30",
        "baseline_date": "2026-04-30",
        "completed_on": "2026-04-28",
        "on_time": True,
        "days_late": 0,
        "lead_unit": "shichang",
        "responsible_units": ["yunzhongqu", "zhengwu"],
    }
    assert (events[1].data["on_time"], events[1].data["days_late"]) == (False, 10)
    assert events[2].data == {
        "task_number": 7,
        "deadline": "2026-08-31",
        "closed_out_on": "2026-08-10",
        "on_time": True,
        "lead_unit": "shichang",
        "responsible_units": ["yunzhongqu", "zhengwu"],
    }

    timeline = await tasks_client.get(
        f"{API}/tasks/7/timeline", headers=scene.headers("yunzhongqu", Role.unit)
    )
    assert timeline.status_code == 200
    assert [e["kind"] for e in timeline.json()["items"]][-7:] == [
        "progress.reported",
        "progress.accepted",
        "milestone.closed_out",
        "progress.reported",
        "progress.accepted",
        "milestone.closed_out",
        "task.closed_out",
    ]
    assert timeline.json()["items"][0]["occurred_at"] <= timeline.json()["items"][-1]["occurred_at"]
    newest = await tasks_client.get(
        f"{API}/tasks/7/timeline", params={"order": "desc", "limit": 1}, headers=office
    )
    assert [e["kind"] for e in newest.json()["items"]] == ["task.closed_out"]
    assert newest.json()["total"] == timeline.json()["total"]

    actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert [a for a in actions if a.split(".")[0] in ("progress", "milestone", "task")][-7:] == [
        "progress.reported",
        "progress.accepted",
        "milestone.closed_out",
        "progress.reported",
        "progress.accepted",
        "milestone.closed_out",
        "task.closed_out",
    ]


# --- conflicts --------------------------------------------------------------------------------


async def test_reviewing_twice_or_after_close_out_conflicts(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    done = await report(tasks_client, scene, "zhengwu", 1, 1, done_on="2026-03-30")
    extra = await report(tasks_client, scene, "yunzhongqu", 1, 1, content="区级配套已完成")
    assert (
        await review(tasks_client, scene, "shichang", done.json()["id"], "accept")
    ).status_code == 200
    twice = await review(tasks_client, scene, "shichang", done.json()["id"], "return", "重复审核")
    assert twice.status_code == 409
    assert twice.json()["detail"] == "该报送已审核，不能重复审核"
    assert (await close_milestone(tasks_client, scene, 1, 1)).status_code == 200
    after = await review(tasks_client, scene, "shichang", extra.json()["id"], "accept")
    assert after.status_code == 409
    assert "已销号" in after.json()["detail"]


async def test_closing_twice_conflicts(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    await finish(tasks_client, scene, 2, 1, "2026-04-29")
    again = await close_milestone(tasks_client, scene, 2, 1)
    assert again.status_code == 409
    assert again.json()["detail"] == "该时间节点已销号"
    await finish(tasks_client, scene, 2, 2, "2026-09-18")
    office = scene.headers("office")
    assert (await tasks_client.post(f"{API}/tasks/2/close-out", headers=office)).status_code == 200
    task_again = await tasks_client.post(f"{API}/tasks/2/close-out", headers=office)
    assert task_again.status_code == 409
    assert task_again.json()["detail"] == "该任务已销号"


async def test_reporting_on_a_closed_out_milestone_conflicts(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    await finish(tasks_client, scene, 1, 1, "2026-03-30")
    late = await report(tasks_client, scene, "zhengwu", 1, 1, files=[("补充.pdf", PDF)])
    assert late.status_code == 409
    assert late.json()["code"] == "conflict"


async def test_close_out_needs_an_accepted_completion(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    progress = await report(tasks_client, scene, "hexiqu", 2, 1, content="细则已起草")
    await review(tasks_client, scene, "shuiwu", progress.json()["id"], "accept")
    assert (await close_milestone(tasks_client, scene, 2, 1)).status_code == 409  # not a claim
    claim = await report(tasks_client, scene, "hexiqu", 2, 1, done_on="2026-04-30")
    pending = await close_milestone(tasks_client, scene, 2, 1)
    assert pending.status_code == 409  # claimed but not yet accepted by the lead unit
    assert "审核通过" in pending.json()["detail"]
    await review(tasks_client, scene, "shuiwu", claim.json()["id"], "accept")
    assert (await close_milestone(tasks_client, scene, 2, 1)).status_code == 200


async def test_task_close_out_lists_the_milestones_still_open(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    await finish(tasks_client, scene, 1, 1, "2026-03-30")
    response = await tasks_client.post(f"{API}/tasks/1/close-out", headers=scene.headers("office"))
    assert response.status_code == 409
    assert response.json()["detail"] == "还有未销号的时间节点：第2个"


async def test_close_out_honours_if_match(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    office = scene.headers("office")
    claim = await report(tasks_client, scene, "zhengwu", 1, 1, done_on="2026-03-30")
    await review(tasks_client, scene, "shichang", claim.json()["id"], "accept")
    task = (await tasks_client.get(f"{API}/tasks/1", headers=office)).json()
    version = task["milestones"][0]["version"]
    stale = await tasks_client.post(
        f"{API}/tasks/1/milestones/1/close-out",
        headers={**office, "If-Match": f'"{version - 1}"'},
    )
    assert stale.status_code == 412
    fresh = await tasks_client.post(
        f"{API}/tasks/1/milestones/1/close-out", headers={**office, "If-Match": f'"{version}"'}
    )
    assert fresh.status_code == 200, fresh.text
    assert fresh.headers["ETag"] == f'"{version + 1}"'

    await finish(tasks_client, scene, 1, 2, "2026-06-30")
    task = (await tasks_client.get(f"{API}/tasks/1", headers=office)).json()
    stale_task = await tasks_client.post(
        f"{API}/tasks/1/close-out", headers={**office, "If-Match": f'W/"{task["version"] + 5}"'}
    )
    assert stale_task.status_code == 412
    closed = await tasks_client.post(
        f"{API}/tasks/1/close-out", headers={**office, "If-Match": f'"{task["version"]}"'}
    )
    assert closed.status_code == 200
    assert closed.headers["ETag"] == f'"{task["version"] + 1}"'


# --- review -----------------------------------------------------------------------------------


async def test_returned_report_reopens_the_milestone_and_tells_the_unit(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    sent = await report(tasks_client, scene, "hexiqu", 2, 1, done_on="2026-04-30")
    no_reason = await review(tasks_client, scene, "shuiwu", sent.json()["id"], "return", "  ")
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["loc"] == ["body", "comment"]
    returned = await review(
        tasks_client, scene, "shuiwu", sent.json()["id"], "return", "请补充数据截图"
    )
    assert returned.status_code == 200
    assert (returned.json()["review_status"], returned.json()["review_comment"]) == (
        "returned",
        "请补充数据截图",
    )
    assert await milestone_states(tasks_client, scene, 2) == ["open", "open"]
    message = await session.scalar(select(UnitMessage).where(UnitMessage.kind == "review"))
    assert message is not None
    assert message.unit_id == scene.units["hexiqu"].id
    assert "退回" in message.title
    assert message.body == "请补充数据截图"
    inbox = await tasks_client.get(f"{API}/messages", headers=scene.headers("hexiqu", Role.unit))
    assert [m["title"] for m in inbox.json()["items"]] == [message.title]


async def test_returning_one_report_keeps_the_milestone_reported_while_another_is_pending(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    a = await report(tasks_client, scene, "zhengwu", 1, 1, content="市级部分已完成")
    await report(tasks_client, scene, "yunzhongqu", 1, 1, content="区级部分已完成")
    await review(tasks_client, scene, "shichang", a.json()["id"], "return", "缺少文件")
    assert await milestone_states(tasks_client, scene, 1) == ["reported", "open"]


async def test_only_the_lead_unit_reviews(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    sent = await report(tasks_client, scene, "zhengwu", 1, 1, done_on="2026-03-30")
    report_id = sent.json()["id"]
    for who, expected in (
        ("zhengwu", 403),  # a responsible unit
        ("yunzhongqu", 403),
        ("office", 403),  # the office closes out, it does not review for the lead unit
        ("viewer", 403),
        ("keji", 404),  # not on the task: the report does not exist for it
    ):
        response = await tasks_client.post(
            f"{API}/reports/{report_id}/review",
            json={"decision": "accept"},
            headers=scene.headers(who, Role.unit),
        )
        assert response.status_code == expected, (who, response.text)
    assert (await review(tasks_client, scene, "shichang", report_id, "accept")).status_code == 200


async def test_only_the_office_closes_out(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    sent = await report(tasks_client, scene, "zhengwu", 1, 1, done_on="2026-03-30")
    await review(tasks_client, scene, "shichang", sent.json()["id"], "accept")
    for who in ("shichang", "zhengwu", "keji", "viewer"):
        assert (await close_milestone(tasks_client, scene, 1, 1, who)).status_code == 403, who
        response = await tasks_client.post(
            f"{API}/tasks/1/close-out", headers=scene.headers(who, Role.unit)
        )
        assert response.status_code == 403, who
    assert (await close_milestone(tasks_client, scene, 1, 1, "staff")).status_code == 200


# --- reporting --------------------------------------------------------------------------------


async def test_only_the_task_units_report(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    for who, expected in (("office", 403), ("viewer", 403), ("keji", 404), ("hexiqu", 404)):
        response = await report(tasks_client, scene, who, 1, 1)
        assert response.status_code == expected, (who, response.text)
    for who in ("shichang", "zhengwu", "yunzhongqu"):
        assert (await report(tasks_client, scene, who, 1, 1)).status_code == 201, who
    assert (await report(tasks_client, scene, "zhengwu", 1, 9)).status_code == 404


async def test_completion_claim_needs_a_date_not_in_the_future(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    no_date = await tasks_client.post(
        f"{API}/tasks/1/milestones/1/reports",
        data={"content": "已完成", "claims_completion": "true"},
        headers=scene.headers("zhengwu", Role.unit),
    )
    assert no_date.status_code == 422
    assert no_date.json()["errors"][0]["loc"] == ["body", "completion_date"]
    future = await report(tasks_client, scene, "zhengwu", 1, 1, done_on="2026-09-21")
    assert future.status_code == 422
    assert future.json()["detail"] == "完成日期不能晚于今天"
    before_the_year = await report(tasks_client, scene, "zhengwu", 1, 1, done_on="2025-12-31")
    assert before_the_year.status_code == 422
    assert before_the_year.json()["errors"][0]["loc"] == ["body", "completion_date"]
    today = await report(tasks_client, scene, "zhengwu", 1, 1, done_on="2026-09-20")
    assert today.status_code == 201
    too_long = await report(tasks_client, scene, "zhengwu", 1, 1, content="字" * 5001)
    assert too_long.status_code == 422


async def test_reports_are_listed_with_their_evidence_for_readers_only(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    await report(tasks_client, scene, "zhengwu", 1, 1, files=[("方案.pdf", PDF), ("现场.png", PNG)])
    await report(tasks_client, scene, "yunzhongqu", 1, 1, done_on="2026-03-30")
    path = f"{API}/tasks/1/milestones/1/reports"
    listed = await tasks_client.get(path, headers=scene.headers("viewer"))
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2
    assert [r["unit_code"] for r in body["items"]] == ["zhengwu", "yunzhongqu"]
    assert [(f["filename"], f["content_type"]) for f in body["items"][0]["evidence"]] == [
        ("方案.pdf", "application/pdf"),
        ("现场.png", "image/png"),
    ]
    assert body["items"][0]["evidence"][0]["size_bytes"] == len(PDF)
    paged = await tasks_client.get(
        path, params={"limit": 1, "offset": 1}, headers=scene.headers("office")
    )
    assert ([r["unit_code"] for r in paged.json()["items"]], paged.json()["total"]) == (
        ["yunzhongqu"],
        2,
    )
    assert (
        await tasks_client.get(path, headers=scene.headers("keji", Role.unit))
    ).status_code == 404
    assert (
        await tasks_client.get(path, headers=scene.headers("hexiqu", Role.unit))
    ).status_code == 404


# --- evidence ---------------------------------------------------------------------------------


async def test_evidence_is_downloaded_by_readers_of_the_task_only(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    sent = await report(tasks_client, scene, "zhengwu", 1, 1, files=[("工作方案 v2.pdf", PDF)])
    assert sent.status_code == 201, sent.text
    evidence = sent.json()["evidence"][0]
    assert evidence["sha256"] == hashlib.sha256(PDF).hexdigest()
    for who in ("yunzhongqu", "shichang", "office", "viewer"):
        own = await tasks_client.get(
            evidence["download_url"], headers=scene.headers(who, Role.unit)
        )
        assert own.status_code == 200, who
        assert own.content == PDF
    assert_evidence_download(own, "%E5%B7%A5%E4%BD%9C%E6%96%B9%E6%A1%88%20v2.pdf")
    for outsider in ("keji", "hexiqu", "shuiwu"):
        other = await tasks_client.get(
            evidence["download_url"], headers=scene.headers(outsider, Role.unit)
        )
        assert other.status_code == 404, outsider
    missing = await tasks_client.get(f"{API}/evidence/999999", headers=scene.headers("office"))
    assert missing.status_code == 404


async def test_too_large_file_is_refused_and_nothing_is_kept(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    files_dir: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "evidence_max_bytes", 64)
    too_big = await report(
        tasks_client, scene, "zhengwu", 1, 1, files=[("小.pdf", PDF), ("大.pdf", PDF + b"0" * 64)]
    )
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "payload_too_large"
    assert "大.pdf" in too_big.json()["detail"]
    assert stored_files(files_dir) == []
    assert await session.scalar(select(ProgressReport.id)) is None
    assert await milestone_states(tasks_client, scene, 1) == ["open", "open"]


async def test_without_a_scanner_evidence_is_recorded_unscanned_not_clean(
    tasks_client: httpx.AsyncClient, scene: Scene, settings: Settings
) -> None:
    """Issue #23 (finding 11): EVIDENCE_SCANNER=none (dev) says so; it never claims clean."""
    assert settings.evidence_scanner == "none"
    response = await report(tasks_client, scene, "zhengwu", 1, 1, files=[("办法.pdf", PDF)])
    assert response.status_code == 201, response.text
    [file] = response.json()["evidence"]
    assert file["scan_status"] == "unscanned"
    download = await tasks_client.get(file["download_url"], headers=scene.headers("office"))
    assert download.status_code == 200


async def test_evidence_over_the_json_body_cap_is_still_accepted(
    tasks_client: httpx.AsyncClient, scene: Scene, settings: Settings, files_dir: Path
) -> None:
    """Every body but the upload routes' is capped at REQUEST_BODY_MAX_BYTES (1 MiB) before it
    is parsed; the evidence route keeps its own cap (files × size + the form)."""
    big = PDF + b"0" * (3 * settings.request_body_max_bytes)
    response = await report(tasks_client, scene, "zhengwu", 1, 1, files=[("台账扫描件.pdf", big)])
    assert response.status_code == 201, response.text
    assert len(stored_files(files_dir)) == 1


async def test_too_many_files_are_refused(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "evidence_max_files", 2)
    response = await report(tasks_client, scene, "zhengwu", 1, 1, files=[("a.pdf", PDF)] * 3)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("报告.pdf", b"MZ\x90\x00\x03\x00\x00\x00 an executable renamed"),
        ("程序.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("方案.docx", office_file("xl/workbook.xml")),  # a workbook renamed .docx
        ("数据.xlsx", b"PK\x03\x04 not really a zip"),
        ("照片.jpg", PNG),
        ("无扩展名", PDF),
        ("网页.html", b"<html><script>alert(1)</script></html>"),
    ],
)
async def test_files_whose_bytes_do_not_match_an_accepted_type_are_refused(
    tasks_client: httpx.AsyncClient, scene: Scene, files_dir: Path, name: str, body: bytes
) -> None:
    response = await report(
        tasks_client, scene, "zhengwu", 1, 1, files=[("ok.pdf", PDF), (name, body)]
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "files", 1]
    assert stored_files(files_dir) == []


async def test_office_documents_images_and_archives_are_accepted(
    tasks_client: httpx.AsyncClient, scene: Scene, files_dir: Path
) -> None:
    files = [
        ("方案.docx", office_file("word/document.xml")),
        ("台账.xlsx", office_file("xl/workbook.xml")),
        ("旧版.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
        ("照片.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 16),
        ("截图.png", PNG),
        ("材料.zip", office_file("readme.txt")),
    ]
    response = await report(tasks_client, scene, "zhengwu", 1, 1, files=files)
    assert response.status_code == 201, response.text
    assert [e["content_type"] for e in response.json()["evidence"]] == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/msword",
        "image/jpeg",
        "image/png",
        "application/zip",
    ]
    assert len(stored_files(files_dir)) == 6


async def test_accepted_types_come_from_settings(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "evidence_allowed_types", ["pdf"])
    refused = await report(tasks_client, scene, "zhengwu", 1, 1, files=[("截图.png", PNG)])
    assert refused.status_code == 422
    assert "PDF" in refused.json()["detail"]


async def test_a_file_name_cannot_reach_outside_the_file_store(
    tasks_client: httpx.AsyncClient, scene: Scene, files_dir: Path, session: AsyncSession
) -> None:
    sneaky = await report(
        tasks_client, scene, "zhengwu", 1, 1, files=[("../../etc/passwd.pdf", PDF)]
    )
    assert sneaky.status_code == 201, sneaky.text
    assert sneaky.json()["evidence"][0]["filename"] == "passwd.pdf"
    stored = stored_files(files_dir)
    assert len(stored) == 1
    assert files_dir.resolve() in stored[0].resolve().parents
    assert "passwd" not in str(stored[0])
    key = await session.scalar(select(EvidenceFile.storage_key))
    assert key is not None
    assert ".." not in key
    assert "passwd" not in key


async def test_infected_file_is_refused_and_every_file_of_the_report_deleted(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    files_dir: Path,
    tmp_path: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Like clamdscan: exit 1 when the file holds a signature, 0 when clean.
    command = scanner_script(tmp_path, 'grep -q EICAR-TEST "$1" && exit 1; exit 0')
    monkeypatch.setattr(settings, "evidence_scanner", "command")
    monkeypatch.setattr(settings, "evidence_scan_command", f"{command}")
    infected = await report(
        tasks_client,
        scene,
        "zhengwu",
        1,
        1,
        files=[("干净.pdf", PDF), ("感染.pdf", PDF + b"EICAR-TEST")],
    )
    assert infected.status_code == 422
    assert "病毒" in infected.json()["detail"]
    assert stored_files(files_dir) == []
    assert await session.scalar(select(ProgressReport.id)) is None

    clean = await report(tasks_client, scene, "zhengwu", 1, 1, files=[("干净.pdf", PDF)])
    assert clean.status_code == 201
    assert clean.json()["evidence"][0]["scan_status"] == "clean"
    assert len(stored_files(files_dir)) == 1


async def test_upload_is_refused_while_the_scanner_is_unavailable(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    files_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "evidence_scanner", "command")
    monkeypatch.setattr(settings, "evidence_scan_timeout_seconds", 0.3)
    for command in (
        str(tmp_path / "no-such-scanner"),  # not installed
        scanner_script(tmp_path, "exit 2"),  # clamdscan: 2 = error (e.g. no daemon)
        scanner_script(tmp_path, "exec sleep 5"),  # no answer in time
    ):
        monkeypatch.setattr(settings, "evidence_scan_command", command)
        response = await report(tasks_client, scene, "zhengwu", 1, 1, files=[("a.pdf", PDF)])
        assert response.status_code == 503, response.text
        assert stored_files(files_dir) == []
    # A report without files needs no scanner.
    assert (await report(tasks_client, scene, "zhengwu", 1, 1)).status_code == 201


# --- a milestone is done when the unit finished it (issue #19, fix 1) -------------------------


async def _events(session: AsyncSession, kind: str) -> list[OutboxEvent]:
    rows = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == kind).order_by(OutboxEvent.id)
    )
    return list(rows.all())


async def _sweep(client: httpx.AsyncClient, scene: Scene, day: str) -> dict[str, Any]:
    response = await client.post(
        f"{API}/sweeps/lagging", params={"as_of": day}, headers=scene.headers("office")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_accepted_completion_is_done_before_the_office_strikes_it_off(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """Done on time and accepted by the lead unit: not lagging the next day, whether or not the
    office has closed it out yet; evaluation hears the completion at acceptance."""
    sent = await report(tasks_client, scene, "zhengwu", 1, 1, done_on="2026-03-30")
    assert (
        await review(tasks_client, scene, "shichang", sent.json()["id"], "accept")
    ).status_code == 200
    task = (await tasks_client.get(f"{API}/tasks/1", headers=scene.headers("office"))).json()
    assert (task["milestones"][0]["state"], task["milestones"][0]["completed_on"]) == (
        "accepted",
        "2026-03-30",
    )
    await _sweep(tasks_client, scene, "2026-04-15")
    lagging = [e for e in await _events(session, "milestone.lagging") if e.data["task_number"] == 1]
    assert [e.data["milestone"] for e in lagging] == []
    (completed,) = await _events(session, "milestone.completed")
    assert (completed.data["on_time"], completed.data["completed_on"]) == (True, "2026-03-30")
    closed = await close_milestone(tasks_client, scene, 1, 1)
    assert closed.status_code == 200
    assert len(await _events(session, "milestone.completed")) == 1  # 销号 confirms, no new fact


async def test_a_lagging_penalty_for_a_milestone_found_done_on_time_is_reversed(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """The sweep ran while the completion waited for review: the lagging it announced was
    wrong and is taken back by an event of its own (shown in explain), never silently kept."""
    sent = await report(tasks_client, scene, "zhengwu", 1, 1, done_on="2026-03-30")
    await _sweep(tasks_client, scene, "2026-04-10")  # not yet reviewed: looks lagging
    (lagging,) = [
        e for e in await _events(session, "milestone.lagging") if e.data["task_number"] == 1
    ]
    assert lagging.data["severity"] == "lagging"
    assert (
        await review(tasks_client, scene, "shichang", sent.json()["id"], "accept")
    ).status_code == 200
    (reversal,) = await _events(session, "milestone.lag_reversed")
    assert reversal.data["task_number"] == 1
    assert (reversal.data["from_severity"], reversal.data["to_severity"]) == ("lagging", "none")
    assert reversal.data["responsible_units"] == lagging.data["responsible_units"]
    timeline = await tasks_client.get(f"{API}/tasks/1/timeline", headers=scene.headers("office"))
    assert "milestone.lag_reversed" in [e["kind"] for e in timeline.json()["items"]]


async def test_the_office_refusing_the_close_out_reopens_the_milestone(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    sent = await report(tasks_client, scene, "shuiwu", 2, 1, done_on="2026-05-08")  # 8 days late
    await review(tasks_client, scene, "shuiwu", sent.json()["id"], "accept")
    refusal = f"{API}/tasks/2/milestones/1/close-out/refusal"
    blank = await tasks_client.post(refusal, json={"reason": "  "}, headers=scene.headers("office"))
    assert blank.status_code == 422
    unit = await tasks_client.post(
        refusal, json={"reason": "佐证不足"}, headers=scene.headers("shuiwu", Role.lead_unit)
    )
    assert unit.status_code == 403
    refused = await tasks_client.post(
        refusal, json={"reason": "佐证材料未体现系统上线"}, headers=scene.headers("office")
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["review_status"] == "returned"
    assert refused.json()["review_comment"] == "改革办不予销号：佐证材料未体现系统上线"
    task = (await tasks_client.get(f"{API}/tasks/2", headers=scene.headers("office"))).json()
    assert (task["milestones"][0]["state"], task["milestones"][0]["completed_on"]) == ("open", None)
    (reopened,) = await _events(session, "milestone.reopened")
    assert (reopened.data["on_time"], reopened.data["days_late"]) == (False, 8)
    assert (await close_milestone(tasks_client, scene, 2, 1)).status_code == 409
    again = await tasks_client.post(
        refusal, json={"reason": "再次"}, headers=scene.headers("office")
    )
    assert again.status_code == 409
    # Not done any more: lateness runs from the planned date again.
    await _sweep(tasks_client, scene, "2026-09-20")
    lagging = [e for e in await _events(session, "milestone.lagging") if e.data["task_number"] == 2]
    assert [e.data["milestone"] for e in lagging][:1] == [1]
    inbox = await session.scalars(select(UnitMessage.title))
    assert "任务2第1个时间节点不予销号" in set(inbox.all())
    actions = (await session.scalars(select(AuditLog.action))).all()
    assert "milestone.close_out_refused" in actions
