"""A supervised unit replies to its supervision (督办回复, issue #22) with the facts and evidence
files, from the phone: who may reply and when, the facts' rules, the evidence rules it shares with
progress reports (types, size, count, virus scan, nothing kept when a request fails), who may
download the files, and what the reply shows (the detail, the list's flag, the task's timeline,
the audit log). The office still resolves; a reply resolves nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import (
    AuditLog,
    Role,
    SupervisionReply,
    SupervisionReplyFile,
    TimelineEntry,
    UnitMessage,
)
from shared.settings import Settings
from tests.reform_tasks.conftest import (
    Scene,
    assert_evidence_download,
    scanner_script,
    stored_files,
)

API = "/api/tasks/v1"
PDF = b"%PDF-1.4\n%rectification evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FACTS = "已印发《企业开办全程网办工作方案》，系统于5月10日上线试运行。"


@pytest.fixture(autouse=True)
def frozen(files_dir: Path) -> Iterator[None]:
    clock.freeze(datetime(2026, 5, 4, 2, tzinfo=UTC))  # 2026-05-04 10:00 in Shanghai
    yield
    clock.freeze(None)


async def issue(
    client: httpx.AsyncClient,
    scene: Scene,
    unit: str = "shichang",
    subject: dict[str, int] | None = None,
    due_on: str = "2026-05-15",
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/supervisions",
        json={
            "unit_code": unit,
            "subject": subject or {"task_number": 1, "milestone_ordinal": 1},
            "reason": "工作方案制定滞后，限期整改",
            "due_on": due_on,
        },
        headers=scene.headers("office"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def reply(
    client: httpx.AsyncClient,
    scene: Scene,
    supervision_id: int,
    *,
    who: str = "shichang",
    role: Role = Role.lead_unit,
    facts: str | None = FACTS,
    files: list[tuple[str, bytes]] | None = None,
) -> httpx.Response:
    return await client.post(
        f"{API}/supervisions/{supervision_id}/replies",
        data={} if facts is None else {"facts": facts},
        files=[("files", (name, body)) for name, body in files or []],
        headers=scene.headers(who, role),
    )


async def replies_kept(session: AsyncSession) -> tuple[int, int]:
    replies = await session.scalar(select(func.count()).select_from(SupervisionReply))
    files = await session.scalar(select(func.count()).select_from(SupervisionReplyFile))
    return int(replies or 0), int(files or 0)


# --- the reply --------------------------------------------------------------------------------


async def test_the_supervised_unit_replies_with_the_facts_and_a_file(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, files_dir: Path
) -> None:
    supervision = await issue(tasks_client, scene)
    assert (supervision["replied"], supervision["replies"]) == (False, [])
    sent = await reply(
        tasks_client,
        scene,
        supervision["id"],
        facts=f"  {FACTS}\n附：上线截图。 \n",
        files=[("上线截图.png", PNG)],
    )
    assert sent.status_code == 201, sent.text
    answer = sent.json()
    [file] = answer.pop("evidence")
    assert answer == {
        "id": answer["id"],
        "supervision_id": supervision["id"],
        "facts": f"{FACTS}\n附：上线截图。",
        "replied_by": "shichang",
        "replied_at": "2026-05-04T02:00:00Z",
    }
    assert file == {
        "id": file["id"],
        "filename": "上线截图.png",
        "content_type": "image/png",
        "size": len(PNG),
        "download_url": f"{API}/supervisions/{supervision['id']}/evidence/{file['id']}",
    }
    assert len(stored_files(files_dir)) == 1

    # A second reply (more facts, no file); the detail lists both, oldest first.
    again = await reply(tasks_client, scene, supervision["id"], facts="补充：已组织窗口人员培训。")
    assert again.status_code == 201, again.text
    assert again.json()["evidence"] == []
    for who in ("office", "shichang", "viewer"):
        shown = await tasks_client.get(
            f"{API}/supervisions/{supervision['id']}", headers=scene.headers(who)
        )
        assert shown.status_code == 200, who
        detail = shown.json()
        assert [r["id"] for r in detail["replies"]] == [answer["id"], again.json()["id"]]
        assert detail["replies"][0]["evidence"] == [file]
        # A reply resolves nothing: the office still decides.
        assert (detail["replied"], detail["status"], detail["resolved_on"]) == (True, "open", None)


async def test_the_list_says_which_supervisions_were_replied_to(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    replied = await issue(tasks_client, scene)
    waiting = await issue(tasks_client, scene, "zhengwu")
    assert (await reply(tasks_client, scene, replied["id"])).status_code == 201
    listed = await tasks_client.get(f"{API}/supervisions", headers=scene.headers("office"))
    assert [(s["id"], s["replied"]) for s in listed.json()["items"]] == [
        (replied["id"], True),
        (waiting["id"], False),
    ]
    assert all("replies" not in s for s in listed.json()["items"])
    own = await tasks_client.get(f"{API}/supervisions", headers=scene.headers("zhengwu", Role.unit))
    assert [(s["id"], s["replied"]) for s in own.json()["items"]] == [(waiting["id"], False)]


async def test_the_reply_is_on_the_tasks_timeline_and_audited_not_in_an_inbox(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    supervision = await issue(tasks_client, scene)
    messages_before = await session.scalar(select(func.count()).select_from(UnitMessage))
    sent = await reply(tasks_client, scene, supervision["id"], files=[("方案.pdf", PDF)])
    assert sent.status_code == 201, sent.text
    timeline = await tasks_client.get(f"{API}/tasks/1/timeline", headers=scene.headers("office"))
    last = timeline.json()["items"][-1]
    assert (last["kind"], last["actor_username"], last["actor_unit_code"]) == (
        "supervision.replied",
        "shichang",
        "shichang",
    )
    assert last["summary"] == f"市市场监管局回复督办（附佐证材料1个）：{FACTS}"
    assert last["data"] == {
        "supervision_id": supervision["id"],
        "level": "first",
        "task_number": 1,
        "milestone_ordinal": 1,
        "reply_id": sent.json()["id"],
        "files": 1,
    }
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "supervision.replied"))
    assert audit is not None
    assert (audit.entity_type, audit.entity_id, audit.actor_username) == (
        "supervision_reply",
        str(sent.json()["id"]),
        "shichang",
    )
    assert audit.after == {
        "supervision_id": supervision["id"],
        "unit": "shichang",
        "facts": FACTS,
        "files": [{"name": "方案.pdf", "sha256": hashlib.sha256(PDF).hexdigest()}],
    }
    # The platform's inbox is the units'; the office reads the reply on the supervision.
    assert await session.scalar(select(func.count()).select_from(UnitMessage)) == messages_before


async def test_a_problems_supervision_reply_is_on_the_problems_timeline(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    created = await tasks_client.post(
        f"{API}/problems",
        json={
            "source": "inspection",
            "problem": "窗口办事排队时间过长",
            "responsible_unit": "hexiqu",
            "found_on": "2026-04-20",
            "due_on": "2026-05-10",
        },
        headers=scene.headers("office"),
    )
    number = created.json()["number"]
    supervision = await issue(tasks_client, scene, "hexiqu", {"problem_number": number})
    sent = await reply(tasks_client, scene, supervision["id"], who="hexiqu", role=Role.unit)
    assert sent.status_code == 201, sent.text
    timeline = await tasks_client.get(
        f"{API}/problems/{number}/timeline", headers=scene.headers("office")
    )
    assert [e["kind"] for e in timeline.json()["items"]][-1] == "supervision.replied"


# --- who may reply, and when ------------------------------------------------------------------


async def test_only_the_supervised_unit_may_reply(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    supervision = await issue(tasks_client, scene)
    for who, role in (
        ("zhengwu", Role.unit),  # on the same task, but not the supervised unit
        ("keji", Role.lead_unit),
        ("office", Role.office_admin),
        ("staff", Role.office_staff),
        ("viewer", Role.viewer),
    ):
        refused = await reply(tasks_client, scene, supervision["id"], who=who, role=role)
        assert refused.status_code == 403, (who, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "无权" in refused.json()["title"]
    zhengwu = await reply(tasks_client, scene, supervision["id"], who="zhengwu", role=Role.unit)
    assert zhengwu.json()["detail"] == "只有被督办单位可以回复该督办"
    office = await reply(tasks_client, scene, supervision["id"], who="office")
    assert office.json()["detail"] == "只有被督办单位可以回复督办"
    missing = await reply(tasks_client, scene, 999999)
    assert missing.status_code == 404
    assert await replies_kept(session) == (0, 0)
    # Both unit roles of the supervised unit may.
    assert (await reply(tasks_client, scene, supervision["id"], role=Role.unit)).status_code == 201


async def test_a_supervision_no_longer_open_refuses_replies_naming_its_status(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    resolved = await issue(tasks_client, scene)
    done = await tasks_client.post(
        f"{API}/supervisions/{resolved['id']}/resolve",
        json={"resolution": "已整改到位"},
        headers=scene.headers("office"),
    )
    assert done.status_code == 200
    late = await reply(tasks_client, scene, resolved["id"])
    assert late.status_code == 409
    assert late.json()["code"] == "conflict"
    assert late.json()["detail"] == "该督办已办结，不能再回复"

    first = await issue(tasks_client, scene, due_on="2026-05-06")
    sweep = await tasks_client.post(
        f"{API}/sweeps/supervision", params={"as_of": "2026-05-07"}, headers=scene.headers("office")
    )
    assert sweep.json()["escalated_to_second"] == 1
    escalated = await reply(tasks_client, scene, first["id"])
    assert escalated.status_code == 409
    assert escalated.json()["detail"] == "该督办已升级为下一级督办，不能再回复"
    assert await replies_kept(session) == (0, 0)
    second = await tasks_client.get(
        f"{API}/supervisions", params={"level": "second"}, headers=scene.headers("office")
    )
    [open_second] = second.json()["items"]
    assert (await reply(tasks_client, scene, open_second["id"])).status_code == 201


async def test_a_replied_supervision_still_escalates_unless_the_office_resolves_it(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    supervision = await issue(tasks_client, scene)
    assert (await reply(tasks_client, scene, supervision["id"])).status_code == 201
    sweep = await tasks_client.post(
        f"{API}/sweeps/supervision", params={"as_of": "2026-05-16"}, headers=scene.headers("office")
    )
    assert sweep.json()["escalated_to_second"] == 1
    listed = await tasks_client.get(f"{API}/supervisions", headers=scene.headers("office"))
    assert [(s["level"], s["status"], s["replied"]) for s in listed.json()["items"]] == [
        ("first", "escalated", True),
        ("second", "open", False),
    ]


# --- the facts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "kind"),
    [
        (None, "missing"),
        ("", "missing"),
        (" \n\t ", "value_error"),
        ("整" * 2001, "value_error"),
        ("已整改\x00完毕", "value_error"),
        ("已整改\x1b[31m完毕", "value_error"),
        ("已整改\u202e完毕\ue000", "value_error"),
    ],
)
async def test_facts_are_1_to_2000_characters_without_control_characters(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    session: AsyncSession,
    files_dir: Path,
    facts: str | None,
    kind: str,
) -> None:
    supervision = await issue(tasks_client, scene)
    refused = await reply(
        tasks_client, scene, supervision["id"], facts=facts, files=[("方案.pdf", PDF)]
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "validation_failed"
    [error] = problem["errors"]
    assert (error["loc"], error["type"]) == (["body", "facts"], kind)
    assert any("\u4e00" <= c <= "\u9fff" for c in error["msg"])
    assert await replies_kept(session) == (0, 0)
    assert stored_files(files_dir) == []


async def test_facts_are_counted_after_stripping(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    supervision = await issue(tasks_client, scene)
    longest = "整" * 2000
    sent = await reply(tasks_client, scene, supervision["id"], facts=f"\n  {longest}  \n")
    assert sent.status_code == 201, sent.text
    assert sent.json()["facts"] == longest
    shortest = await reply(tasks_client, scene, supervision["id"], facts=" 已 ")
    assert shortest.json()["facts"] == "已"


async def test_the_too_long_facts_say_so(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    supervision = await issue(tasks_client, scene)
    refused = await reply(tasks_client, scene, supervision["id"], facts="整" * 2001)
    assert refused.json()["errors"][0]["msg"] == "整改落实情况不能超过 2000 字（当前 2001 字）"
    blank = await reply(tasks_client, scene, supervision["id"], facts="   ")
    assert blank.json()["errors"][0]["msg"] == "请填写整改落实情况"


# --- the evidence: the progress report's rules ------------------------------------------------


async def test_at_most_five_files(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, files_dir: Path
) -> None:
    supervision = await issue(tasks_client, scene)
    six = [(f"材料{i}.pdf", PDF) for i in range(6)]
    refused = await reply(tasks_client, scene, supervision["id"], files=six)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "佐证材料最多 5 个文件"
    assert refused.json()["errors"][0]["loc"] == ["body", "files"]
    assert await replies_kept(session) == (0, 0)
    assert stored_files(files_dir) == []
    five = await reply(tasks_client, scene, supervision["id"], files=six[:5])
    assert five.status_code == 201, five.text
    assert await replies_kept(session) == (1, 5)


async def test_the_spa_reads_the_upload_rules_the_services_apply(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    files_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The phone checks a file before sending it against these, so they are the settings the
    uploads are checked with, whatever the office set them to."""
    monkeypatch.setattr(settings, "supervision_reply_max_files", 3)
    monkeypatch.setattr(settings, "evidence_max_bytes", 50 * 1024 * 1024)
    answer = await tasks_client.get(
        f"{API}/evidence-rules", headers=scene.headers("shichang", Role.unit)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "allowed_types": settings.evidence_allowed_types,
        "max_bytes": 50 * 1024 * 1024,
        "report_max_files": settings.evidence_max_files,
        "reply_max_files": 3,
        "appeal_max_files": settings.hotline_appeal_max_files,
    }
    supervision = await issue(tasks_client, scene)
    four = [(f"材料{i}.pdf", PDF) for i in range(4)]
    refused = await reply(tasks_client, scene, supervision["id"], files=four)
    assert refused.json()["detail"] == "佐证材料最多 3 个文件"
    assert (await tasks_client.get(f"{API}/evidence-rules")).status_code == 401


async def test_too_large_file_is_refused_and_nothing_is_kept(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    files_dir: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    supervision = await issue(tasks_client, scene)
    monkeypatch.setattr(settings, "evidence_max_bytes", 64)
    too_big = await reply(
        tasks_client,
        scene,
        supervision["id"],
        files=[("小.pdf", PDF), ("大.pdf", PDF + b"0" * 64)],
    )
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "payload_too_large"
    assert "大.pdf" in too_big.json()["detail"]
    assert stored_files(files_dir) == []
    assert await replies_kept(session) == (0, 0)


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("报告.pdf", b"MZ\x90\x00\x03\x00\x00\x00 an executable renamed"),
        ("程序.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("照片.jpg", PNG),
        ("网页.html", b"<html><script>alert(1)</script></html>"),
    ],
)
async def test_files_whose_bytes_do_not_match_an_accepted_type_are_refused(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    session: AsyncSession,
    files_dir: Path,
    name: str,
    body: bytes,
) -> None:
    supervision = await issue(tasks_client, scene)
    refused = await reply(
        tasks_client, scene, supervision["id"], files=[("ok.pdf", PDF), (name, body)]
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "files", 1]
    assert stored_files(files_dir) == []
    assert await replies_kept(session) == (0, 0)


async def test_evidence_over_the_json_body_cap_is_accepted(
    tasks_client: httpx.AsyncClient, scene: Scene, settings: Settings, files_dir: Path
) -> None:
    """The reply is an upload route: its body cap is its files' (5 × EVIDENCE_MAX_BYTES), not
    REQUEST_BODY_MAX_BYTES."""
    supervision = await issue(tasks_client, scene)
    big = PDF + b"0" * (2 * settings.request_body_max_bytes)
    sent = await reply(tasks_client, scene, supervision["id"], files=[("现场照片.pdf", big)])
    assert sent.status_code == 201, sent.text
    assert sent.json()["evidence"][0]["size"] == len(big)


async def test_a_failed_upload_leaves_no_reply_and_no_file(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    files_dir: Path,
    tmp_path: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reply row is written before its files are stored and scanned: a file that fails the
    scan, or a scanner that does not answer, takes the row, the other files and the timeline
    entry with it."""
    supervision = await issue(tasks_client, scene)
    entries = await session.scalar(select(func.count()).select_from(TimelineEntry))
    monkeypatch.setattr(settings, "evidence_scanner", "command")
    infected_scan = scanner_script(tmp_path, 'grep -q EICAR-TEST "$1" && exit 1; exit 0')
    monkeypatch.setattr(settings, "evidence_scan_command", infected_scan)
    infected = await reply(
        tasks_client,
        scene,
        supervision["id"],
        files=[("干净.pdf", PDF), ("感染.pdf", PDF + b"EICAR-TEST")],
    )
    assert infected.status_code == 422
    assert "病毒" in infected.json()["detail"]
    monkeypatch.setattr(settings, "evidence_scan_command", scanner_script(tmp_path, "exit 2"))
    unavailable = await reply(tasks_client, scene, supervision["id"], files=[("a.pdf", PDF)])
    assert unavailable.status_code == 503, unavailable.text

    assert await replies_kept(session) == (0, 0)
    assert stored_files(files_dir) == []
    assert await session.scalar(select(func.count()).select_from(TimelineEntry)) == entries
    audited = await session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "supervision.replied")
    )
    assert audited == 0
    shown = await tasks_client.get(
        f"{API}/supervisions/{supervision['id']}", headers=scene.headers("office")
    )
    assert (shown.json()["replied"], shown.json()["replies"]) == (False, [])

    monkeypatch.setattr(settings, "evidence_scan_command", infected_scan)
    clean = await reply(tasks_client, scene, supervision["id"], files=[("干净.pdf", PDF)])
    assert clean.status_code == 201, clean.text
    assert await replies_kept(session) == (1, 1)


# --- downloading the evidence -----------------------------------------------------------------


async def test_reply_evidence_is_downloaded_by_the_unit_and_the_office_only(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    supervision = await issue(tasks_client, scene)
    other = await issue(tasks_client, scene, "zhengwu")
    sent = await reply(tasks_client, scene, supervision["id"], files=[("整改方案 v2.pdf", PDF)])
    [file] = sent.json()["evidence"]
    for who, role in (
        ("shichang", Role.lead_unit),
        ("shichang", Role.unit),
        ("office", Role.office_admin),
        ("staff", Role.office_staff),
    ):
        got = await tasks_client.get(file["download_url"], headers=scene.headers(who, role))
        assert got.status_code == 200, who
        assert got.content == PDF
    assert_evidence_download(got, "%E6%95%B4%E6%94%B9%E6%96%B9%E6%A1%88%20v2.pdf")
    # Another unit (even one on the same task): the supervision does not exist for it.
    for outsider in ("zhengwu", "keji", "hexiqu"):
        denied = await tasks_client.get(
            file["download_url"], headers=scene.headers(outsider, Role.unit)
        )
        assert denied.status_code == 404, outsider
    # Viewers read the supervision and its replies, not the files.
    viewer = await tasks_client.get(file["download_url"], headers=scene.headers("viewer"))
    assert viewer.status_code == 403
    assert viewer.json()["detail"] == "只有被督办单位和改革办可以下载督办回复的佐证材料"
    # The file is reached through its own supervision only, and is no progress evidence.
    wrong = f"{API}/supervisions/{other['id']}/evidence/{file['id']}"
    assert (await tasks_client.get(wrong, headers=scene.headers("office"))).status_code == 404
    missing = f"{API}/supervisions/{supervision['id']}/evidence/999999"
    assert (await tasks_client.get(missing, headers=scene.headers("office"))).status_code == 404
    progress = await tasks_client.get(
        f"{API}/evidence/{file['id']}", headers=scene.headers("office")
    )
    assert progress.status_code == 404


async def test_a_reply_file_whose_bytes_are_gone_is_404_not_500(
    tasks_client: httpx.AsyncClient, scene: Scene, files_dir: Path
) -> None:
    supervision = await issue(tasks_client, scene)
    sent = await reply(tasks_client, scene, supervision["id"], files=[("方案.pdf", PDF)])
    [stored] = stored_files(files_dir)
    stored.unlink()
    gone = await tasks_client.get(
        sent.json()["evidence"][0]["download_url"], headers=scene.headers("office")
    )
    assert gone.status_code == 404
    assert gone.json()["detail"] == "佐证材料文件已丢失，请联系改革办"
