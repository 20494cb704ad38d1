"""Role × unit access over every reform_tasks endpoint: a unit that is not involved (keji) and a
read-only viewer try each operation on another unit's objects. No cross-unit read or write: the
answer is 403/404 or a list without those objects. The table must name every operation in the
OpenAPI, so a new endpoint cannot be added without deciding who may call it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from shared import clock
from shared.models import Role
from tests.reform_tasks.conftest import Scene
from tests.report_apps import draft_notice

API = "/api/tasks/v1"
PDF = b"%PDF-1.4 evidence"

LIST_EMPTY = "list-empty"  # 200 and no items visible
OK = "ok"


@dataclass
class Case:
    method: str
    path: str
    intruder: set[int] | str  # keji: a unit involved in nothing
    viewer: set[int] | str
    json: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    files: list[Any] | None = field(default=None)


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _objects(client: httpx.AsyncClient, scene: Scene) -> dict[str, Any]:
    """hexiqu/shuiwu-side objects on task 2 the intruder must not reach."""
    office, hexiqu = scene.headers("office"), scene.headers("hexiqu", Role.unit)
    report = await client.post(
        f"{API}/tasks/2/milestones/1/reports",
        data={"content": "阶段进展"},
        files=[("files", ("a.pdf", PDF))],
        headers=hexiqu,
    )
    assert report.status_code == 201, report.text
    extension = await client.post(
        f"{API}/tasks/2/milestones/2/extensions",
        json={"requested_date": "2026-10-31", "reason": "系统采购延迟"},
        headers=hexiqu,
    )
    assert extension.status_code == 201, extension.text
    problem = await client.post(
        f"{API}/problems",
        json={
            "source": "inspection",
            "problem": "窗口等候时间过长",
            "responsible_unit": "hexiqu",
            "found_on": "2026-09-01",
            "due_on": "2026-10-01",
        },
        headers=office,
    )
    supervision = await client.post(
        f"{API}/supervisions",
        json={
            "unit_code": "hexiqu",
            "subject": {"problem_number": 1},
            "reason": "限期整改等候问题",
            "due_on": "2026-10-10",
        },
        headers=office,
    )
    assert supervision.status_code == 201, supervision.text
    answer = await client.post(
        f"{API}/supervisions/{supervision.json()['id']}/replies",
        data={"facts": "已增设综合窗口"},
        files=[("files", ("a.pdf", PDF))],
        headers=hexiqu,
    )
    assert answer.status_code == 201, answer.text
    window = await client.post(
        f"{API}/rating-windows",
        json={
            "code": "2026-Q3",
            "name": "2026年第三季度",
            "opens_on": "2026-09-15",
            "closes_on": "2026-09-30",
        },
        headers=office,
    )
    assert window.status_code == 201
    instruction = await client.post(
        f"{API}/instructions",
        json={
            "subject_type": "task",
            "subject_id": 2,
            "text": "请河西区抓紧落实",
            "leader_name": "张明",
            "leader_title": "市长",
            "instructed_on": "2026-09-01",
            "due_on": "2026-09-30",
            "unit_codes": ["hexiqu"],
        },
        headers=office,
    )
    assert instruction.status_code == 201, instruction.text
    instruction_answer = await client.post(
        f"{API}/instructions/{instruction.json()['id']}/answers",
        data={"text": "已落实"},
        files=[("files", ("a.pdf", PDF))],
        headers=hexiqu,
    )
    assert instruction_answer.status_code == 201, instruction_answer.text
    filed = await client.post(
        f"{API}/problem-lists",
        json={
            "title": "河西区营商环境问题清单",
            "items": [
                {
                    "problem": "窗口等候时间过长",
                    "cause": "窗口设置不足",
                    "measure": "增设综合窗口",
                    "responsible_person": "王强",
                    "due_on": "2026-10-31",
                }
            ],
        },
        headers=hexiqu,
    )
    assert filed.status_code == 201, filed.text
    quarterly = await client.post(
        f"{API}/submissions",
        data={"quarter": "2026-Q3", "summary": "本季度完成窗口改造和系统上线工作。"},
        files=[("files", ("q3.pdf", PDF))],
        headers=hexiqu,
    )
    assert quarterly.status_code == 201, quarterly.text
    case = await client.post(
        f"{API}/cases",
        json={
            "kind": "negative",
            "title": "河西区某窗口推诿企业办事",
            "facts": "企业反映窗口人员多次以材料不全为由推诿办理。",
            "unit": "hexiqu",
            "quarter": "2026-Q3",
        },
        headers=office,
    )
    assert case.status_code == 201, case.text
    project = await _project(client, scene)
    tour = await client.post(
        f"{API}/tours", json={"kind": "mid_year", "held_on": "2026-07-03"}, headers=office
    )
    assert tour.status_code == 201, tour.text
    scored = await client.put(
        f"{API}/tours/{tour.json()['id']}/districts/hexiqu/scores",
        json={"scores": [{"item_id": tour.json()["items"][0]["id"], "points": 20}]},
        headers=office,
    )
    assert scored.status_code == 200, scored.text
    shown = await client.put(
        f"{API}/tours/{tour.json()['id']}/districts/hexiqu/projects",
        json={"projects": [{"project_id": project["project"], "role": "new_start"}]},
        headers=office,
    )
    assert shown.status_code == 200, shown.text
    messages = await client.get(f"{API}/messages", headers=hexiqu)
    notice = await draft_notice(scene.factory.session, scene.programme.id)
    return {
        "notice": notice,
        "report": report.json()["id"],
        "evidence": report.json()["evidence"][0]["id"],
        "extension": extension.json()["id"],
        "problem": problem.json()["number"],
        "supervision": supervision.json()["id"],
        "reply_evidence": answer.json()["evidence"][0]["id"],
        "message": messages.json()["items"][0]["id"],
        **project,
        "instruction": instruction.json()["id"],
        "instruction_file": instruction_answer.json()["files"][0]["id"],
        "problem_list": filed.json()["id"],
        "submission": quarterly.json()["id"],
        "submission_file": quarterly.json()["files"][0]["id"],
        "case": case.json()["id"],
        "tour": tour.json()["id"],
    }


async def _project(client: httpx.AsyncClient, scene: Scene) -> dict[str, Any]:
    """A major project of hexiqu led by shuiwu, with a plan, a problem and a weekly report."""
    office, shuiwu = scene.headers("office"), scene.headers("shuiwu")
    created = await client.post(
        f"{API}/projects",
        json={
            "code": "XM-001",
            "name": "河西新能源产业园",
            "level": "major_industrial",
            "district": "hexiqu",
            "lead_unit": "shuiwu",
            "status": "admitted",
            "nodes": [{"name": "主体开工", "planned_on": "2026-10-31"}],
        },
        headers=office,
    )
    assert created.status_code == 201, created.text
    project = created.json()
    base = f"{API}/projects/{project['id']}"
    plan = await client.post(f"{base}/plan", files=[("file", ("plan.pdf", PDF))], headers=office)
    assert plan.status_code == 201, plan.text
    item = await client.post(f"{base}/problem-list", json={"problem": "用电未接入"}, headers=office)
    assert item.status_code == 201, item.text
    aspects = (
        "investment_scale",
        "industry_category",
        "owner_strength",
        "preliminary_procedures",
        "overall_benefit",
        "technology_level",
        "resource_use",
    )
    scored = await client.put(
        f"{base}/evaluation", json={"scores": dict.fromkeys(aspects, 80)}, headers=office
    )
    assert scored.status_code == 200, scored.text
    weekly = await client.post(
        f"{base}/weekly-reports",
        data={"summary": "基础施工"},
        files=[("photos", ("a.png", b"\x89PNG\r\n\x1a\n" + bytes(32)))],
        headers=shuiwu,
    )
    assert weekly.status_code == 201, weekly.text
    return {
        "project": project["id"],
        "project_node": project["nodes"][0]["id"],
        "project_item": item.json()["id"],
        "weekly_report": weekly.json()["id"],
        "photo": weekly.json()["photos"][0]["id"],
    }


def _project_cases(o: dict[str, Any]) -> list[Case]:
    """Key projects: a unit reads those of its district or that it leads; keji neither."""
    F, NF = {403}, {404}  # noqa: N806
    p = f"{API}/projects/{o['project']}"
    photo = f"{p}/weekly-reports/{o['weekly_report']}/photos/{o['photo']}"
    return [
        Case("POST", f"{API}/projects", F, F, json={}),
        Case("GET", f"{API}/projects", LIST_EMPTY, OK),
        Case("GET", f"{API}/projects/export", OK, OK),
        Case("POST", f"{API}/projects/import", F, F, files=[("file", ("a.xlsx", b"PK"))]),
        Case("GET", f"{API}/projects/weekly-digest", F, OK),
        Case("GET", f"{API}/projects/rules", OK, OK),
        Case("PUT", f"{API}/projects/rules", F, F, json={}),
        Case("GET", f"{API}/projects/weekly-digest/xlsx", F, OK),
        Case("GET", p, NF, OK),
        Case("PATCH", p, F, F, json={"name": "越权改名"}),
        Case("DELETE", p, F, F),
        Case("POST", f"{p}/stage", F, F, json={"stage": "building"}),
        Case("POST", f"{p}/nodes", F, F, json={"name": "越权节点", "planned_on": "2026-12-31"}),
        Case("POST", f"{p}/nodes/{o['project_node']}/done", NF, F, json={}),
        Case("GET", f"{p}/evaluation", NF, OK),
        Case("PUT", f"{p}/evaluation", F, F, json={}),
        Case("POST", f"{p}/plan", NF, F, files=[("file", ("a.pdf", PDF))]),
        Case("GET", f"{p}/plan", NF, OK),
        Case("GET", f"{p}/problem-list", NF, OK),
        Case("POST", f"{p}/problem-list", NF, F, json={"problem": "越权登记"}),
        Case(
            "POST", f"{p}/problem-list/{o['project_item']}/close", NF, F, json={"note": "越权销号"}
        ),
        Case("GET", f"{p}/weekly-reports", NF, OK),
        Case("POST", f"{p}/weekly-reports", NF, F, data={"summary": "越权周报"}),
        Case("GET", photo, NF, OK),
    ]


def _tour_cases(o: dict[str, Any]) -> list[Case]:
    """观摩: every account reads the rounds (points as the service shows them); only the office
    writes."""
    F = {403}  # noqa: N806
    t = f"{API}/tours/{o['tour']}"
    return [
        Case("POST", f"{API}/tours", F, F, json={"kind": "year_end", "held_on": "2026-12-28"}),
        Case("GET", f"{API}/tours", OK, OK),
        Case("GET", t, OK, OK),
        Case("GET", f"{t}/xlsx", OK, OK),
        Case("PUT", f"{t}/sheet", F, F, json={"items": [{"name": "越权", "max_points": 10}]}),
        Case("PUT", f"{t}/districts/hexiqu/projects", F, F, json={"projects": []}),
        Case(
            "PUT",
            f"{t}/districts/hexiqu/scores",
            F,
            F,
            json={"scores": [{"item_id": 1, "points": 1}]},
        ),
        Case("POST", f"{t}/publish", F, F),
    ]


def _cases(o: dict[str, Any]) -> list[Case]:
    F, NF = {403}, {404}  # noqa: N806
    return [
        Case("GET", "/api/auth/me", OK, OK),
        Case("GET", f"{API}/units", OK, OK),
        Case(
            "POST",
            f"{API}/units",
            F,
            F,
            json={"code": "x1", "name": "某单位", "short_name": "某", "kind": "other"},
        ),
        Case("GET", f"{API}/units/hexiqu", OK, OK),
        Case("PATCH", f"{API}/units/hexiqu", F, F, json={"short_name": "改"}),
        Case("POST", f"{API}/units/hexiqu/merge", F, F, json={"into": "yunzhongqu"}),
        Case("POST", f"{API}/units/hexiqu/split", F, F, json={"into": ["yunzhongqu"]}),
        Case("POST", f"{API}/units/hexiqu/deactivate", F, F, json={}),
        Case("GET", f"{API}/users", F, OK),
        Case(
            "POST",
            f"{API}/users",
            F,
            F,
            json={"username": "x1", "display_name": "x", "role": "viewer", "password": "12345678"},
        ),
        Case("PATCH", f"{API}/users/hexiqu", F, F, json={"is_active": False}),
        Case("GET", f"{API}/programmes", OK, OK),
        Case("GET", f"{API}/programmes/2026", OK, OK),
        Case("POST", f"{API}/programmes", F, F, json={}),
        Case("POST", f"{API}/programmes/2026/domains", F, F, json={}),
        Case("PUT", f"{API}/programmes/2026/domains/order", F, F, json={"codes": []}),
        Case("PATCH", f"{API}/programmes/2026/domains/shangshi", F, F, json={"name": "改"}),
        Case("DELETE", f"{API}/programmes/2026/domains/shangshi", F, F),
        Case("POST", f"{API}/programmes/2026/close", F, F, json={"dry_run": True}),
        Case(
            "PUT",
            f"{API}/programmes/2026/settings",
            F,
            F,
            json={"lagging_after_days": 0, "seriously_lagging_after_days": 30},
        ),
        Case("GET", f"{API}/domains", OK, OK),
        Case("GET", f"{API}/tasks/export", "export-empty", OK),
        Case("GET", f"{API}/tasks/import-template", OK, OK),
        Case("POST", f"{API}/tasks/import", F, F, files=[("file", ("a.xlsx", b"PK"))]),
        Case("GET", f"{API}/tasks", LIST_EMPTY, OK),
        Case("POST", f"{API}/tasks", F, F, json={"number": 99}),
        Case("GET", f"{API}/tasks/2", NF, OK),
        Case("PATCH", f"{API}/tasks/2", F, F, json={"title": "改"}),
        Case("GET", f"{API}/battle-map", "map-empty", OK),
        Case("POST", f"{API}/tasks/2/milestones/1/reports", NF, F, data={"content": "越权报送"}),
        Case("GET", f"{API}/tasks/2/milestones/1/reports", NF, OK),
        Case("POST", f"{API}/reports/{o['report']}/review", NF, F, json={"decision": "accept"}),
        Case("POST", f"{API}/tasks/2/milestones/1/close-out", F, F),
        Case(
            "POST",
            f"{API}/tasks/2/milestones/1/close-out/refusal",
            F,
            F,
            json={"reason": "越权不予销号"},
        ),
        Case("POST", f"{API}/tasks/2/close-out", F, F),
        Case("GET", f"{API}/evidence/{o['evidence']}", NF, OK),
        Case(
            "POST",
            f"{API}/tasks/2/milestones/1/extensions",
            NF,
            F,
            json={"requested_date": "2026-11-30", "reason": "越权申请"},
        ),
        Case("GET", f"{API}/extensions", LIST_EMPTY, OK),
        Case("POST", f"{API}/extensions/{o['extension']}/approve", F, F, json={}),
        Case("POST", f"{API}/extensions/{o['extension']}/reject", F, F, json={}),
        Case(
            "POST",
            f"{API}/rating-windows",
            F,
            F,
            json={
                "code": "2026-Q4",
                "name": "四季度",
                "opens_on": "2026-12-01",
                "closes_on": "2026-12-31",
            },
        ),
        Case("GET", f"{API}/rating-windows", OK, OK),
        Case("POST", f"{API}/rating-windows/2026-Q3/close", F, F),
        Case("GET", f"{API}/rating-windows/2026-Q3/sheet", LIST_EMPTY, OK),
        Case("PUT", f"{API}/rating-windows/2026-Q3/ratings/2/hexiqu", NF, F, json={"score": 90}),
        Case("GET", f"{API}/ratings", LIST_EMPTY, OK),
        Case("POST", f"{API}/supervisions", F, F, json={}),
        Case("GET", f"{API}/supervisions", LIST_EMPTY, OK),
        Case("GET", f"{API}/supervisions/{o['supervision']}", NF, OK),
        Case("GET", f"{API}/supervisions/{o['supervision']}/docx", NF, OK),
        Case("GET", f"{API}/supervisions/{o['supervision']}/pdf", NF, OK),
        Case(
            "POST",
            f"{API}/supervisions/{o['supervision']}/resolve",
            F,
            F,
            json={"resolution": "越权办结"},
        ),
        Case(
            "POST",
            f"{API}/supervisions/{o['supervision']}/decision",
            F,
            F,
            json={"decision": "hold", "reason": "越权问责"},
        ),
        # Only the supervised unit replies; its reply's files are its and the office's.
        Case(
            "POST",
            f"{API}/supervisions/{o['supervision']}/replies",
            F,
            F,
            data={"facts": "越权回复"},
        ),
        Case("GET", f"{API}/supervisions/{o['supervision']}/evidence/{o['reply_evidence']}", NF, F),
        Case("POST", f"{API}/sweeps/lagging", F, F),
        Case("POST", f"{API}/sweeps/problems", F, F),
        Case("POST", f"{API}/sweeps/supervision", F, F),
        Case("POST", f"{API}/problems", F, F, json={}),
        Case("GET", f"{API}/problems", LIST_EMPTY, OK),
        Case("GET", f"{API}/problems/{o['problem']}", NF, OK),
        Case("PATCH", f"{API}/problems/{o['problem']}", F, F, json={"cause": "改"}),
        Case("POST", f"{API}/problems/{o['problem']}/progress", NF, F, json={"note": "越权进展"}),
        Case("POST", f"{API}/problems/{o['problem']}/close-out", F, F, json={"note": "越权销号"}),
        Case("GET", f"{API}/problems/{o['problem']}/timeline", NF, OK),
        Case("GET", f"{API}/tasks/2/timeline", NF, OK),
        Case("GET", f"{API}/messages", LIST_EMPTY, "list"),
        Case("GET", f"{API}/messages/unread-count", "zero", "zero"),
        Case("POST", f"{API}/messages/{o['message']}/read", NF, F),
        Case("GET", f"{API}/reports", LIST_EMPTY, OK),
        Case("POST", f"{API}/reports", F, F, json={}),
        Case("GET", f"{API}/reports/{o['notice']}", NF, OK),
        Case("GET", f"{API}/reports/{o['notice']}/html", NF, OK),
        Case("GET", f"{API}/reports/{o['notice']}/docx", NF, OK),
        Case("GET", f"{API}/reports/{o['notice']}/xlsx", NF, OK),
        Case("PATCH", f"{API}/reports/{o['notice']}", F, F, json={"editable": {}}),
        Case("GET", f"{API}/reports/{o['notice']}/pdf", NF, OK),
        Case("POST", f"{API}/reports/{o['notice']}/proofread", F, F),
        Case("POST", f"{API}/reports/{o['notice']}/sign-off", F, F, json={"publicity": "public"}),
        Case("GET", f"{API}/reports/{o['notice']}/receipts", F, F),
        Case("POST", f"{API}/reminders/run", F, F),
        Case("GET", f"{API}/scheduler/runs", F, F),
        # A unit's own to-do list (keji's is empty); another unit's is 403; viewers have none.
        Case("GET", f"{API}/todo", LIST_EMPTY, F),
        Case("GET", f"{API}/todo?unit=hexiqu", F, F),
        # The upload rules are the settings, the same for every account.
        Case("GET", f"{API}/evidence-rules", OK, OK),
        # Leader instructions: a unit sees and answers only those assigned to it.
        Case("POST", f"{API}/instructions", F, F, json={}),
        Case("GET", f"{API}/instructions", LIST_EMPTY, OK),
        Case("GET", f"{API}/instructions/{o['instruction']}", NF, OK),
        Case(
            "POST", f"{API}/instructions/{o['instruction']}/answers", NF, F, data={"text": "越权"}
        ),
        Case(
            "POST",
            f"{API}/instructions/{o['instruction']}/acknowledge",
            F,
            F,
            json={"acknowledged_on": "2026-09-20"},
        ),
        Case("GET", f"{API}/instructions/{o['instruction']}/files/{o['instruction_file']}", NF, F),
        # A unit files its own list and reports for itself: an empty body is refused (422), and
        # another unit's list, report and case do not exist for it.
        Case("GET", f"{API}/problem-lists", LIST_EMPTY, OK),
        Case("POST", f"{API}/problem-lists", {422}, F, json={}),
        Case("GET", f"{API}/problem-lists/{o['problem_list']}", NF, OK),
        Case(
            "PUT",
            f"{API}/problem-lists/{o['problem_list']}",
            NF,
            F,
            json={"title": "越权修改", "items": []},
        ),
        Case("POST", f"{API}/problem-lists/{o['problem_list']}/submit", NF, F),
        Case("POST", f"{API}/problem-lists/{o['problem_list']}/accept", F, F),
        Case(
            "POST", f"{API}/problem-lists/{o['problem_list']}/return", F, F, json={"reason": "退"}
        ),
        Case("GET", f"{API}/problem-lists/{o['problem_list']}/xlsx", NF, OK),
        Case(
            "POST",
            f"{API}/problem-lists/{o['problem_list']}/import",
            NF,
            F,
            files=[("file", ("l.xlsx", b"PK\x03\x04"))],
        ),
        Case("GET", f"{API}/submissions", LIST_EMPTY, OK),
        Case("POST", f"{API}/submissions", {422}, F, data={}),
        Case("GET", f"{API}/submissions/matrix", F, OK),
        Case("GET", f"{API}/submissions/{o['submission']}", NF, OK),
        Case("GET", f"{API}/submissions/{o['submission']}/files/{o['submission_file']}", NF, F),
        # A non-public case: a viewer sees only public ones.
        Case("GET", f"{API}/cases", LIST_EMPTY, LIST_EMPTY),
        Case("POST", f"{API}/cases", F, F, json={}),
        Case("GET", f"{API}/cases/{o['case']}", NF, NF),
        Case("PUT", f"{API}/cases/{o['case']}", F, F, json={}),
    ]


async def _send(client: httpx.AsyncClient, case: Case, headers: dict[str, str]) -> httpx.Response:
    return await client.request(
        case.method, case.path, json=case.json, data=case.data, files=case.files, headers=headers
    )


def _check(case: Case, who: str, expected: set[int] | str, response: httpx.Response) -> None:
    where = f"{who} {case.method} {case.path}: {response.status_code} {response.text[:200]}"
    if isinstance(expected, set):
        assert response.status_code in expected, where
        return
    assert response.status_code == 200, where
    if expected == LIST_EMPTY:
        assert response.json()["items"] == [], where
    elif expected == "map-empty":
        assert response.json()["tasks"] == [], where
    elif expected == "zero":
        assert response.json()["unread"] == 0, where
    elif expected == "export-empty":
        sheet = load_workbook(BytesIO(response.content)).active
        assert sheet is not None
        assert [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]] == [], where


async def test_no_cross_unit_read_or_write_on_any_endpoint(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    await scene.factory.user("keji", Role.unit, scene.units["keji"])
    await scene.factory.user("viewer", Role.viewer, None)
    objects = await _objects(tasks_client, scene)
    cases = _cases(objects) + _project_cases(objects) + _tour_cases(objects)
    covered = {(c.method, c.path) for c in cases}
    openapi = tasks_client._transport.app.openapi()  # type: ignore[attr-defined]
    for path, operations in openapi["paths"].items():
        if not path.startswith(f"{API}/") and path != "/api/auth/me":
            continue
        for method in operations:
            concrete = path.replace("{number}", "2").replace("{ordinal}", "1")
            for key, value in (
                ("{code}", None),
                ("{username}", "hexiqu"),
                ("{report_id}", objects["report"]),
                ("{evidence_id}", objects["evidence"]),
                ("{ext_id}", objects["extension"]),
                ("{supervision_id}", objects["supervision"]),
                ("{message_id}", objects["message"]),
                ("{document_id}", objects["notice"]),
                ("{unit_code}", "hexiqu"),
                ("{instruction_id}", objects["instruction"]),
                ("{round_id}", objects["tour"]),
                ("{list_id}", objects["problem_list"]),
                ("{submission_id}", objects["submission"]),
                ("{case_id}", objects["case"]),
                ("{project_id}", objects["project"]),
                ("{node_id}", objects["project_node"]),
                ("{item_id}", objects["project_item"]),
                ("{weekly_report_id}", objects["weekly_report"]),
                ("{photo_id}", objects["photo"]),
                (
                    "{file_id}",
                    objects["submission_file"]
                    if path.startswith(f"{API}/submissions/")
                    else objects.get("instruction_file"),
                ),
            ):
                if value is not None:
                    concrete = concrete.replace(key, str(value))
            if "{code}" in concrete:
                concrete = concrete.replace(
                    "{code}",
                    "hexiqu"
                    if "/units/" in concrete
                    else "2026"
                    if "programmes" in concrete
                    else "2026-Q3",
                )
            concrete = concrete.replace("{domain}", "shangshi")
            if path.startswith(f"{API}/supervisions/") and "{evidence_id}" in path:
                concrete = concrete.replace(
                    f"/evidence/{objects['evidence']}", f"/evidence/{objects['reply_evidence']}"
                )
            if "/problems/" in path:
                concrete = concrete.replace("/problems/2", f"/problems/{objects['problem']}")
            assert (method.upper(), concrete) in covered, f"no access rule for {method} {path}"

    for case in cases:
        for who, headers, expected in (
            ("keji", scene.headers("keji", Role.unit), case.intruder),
            ("viewer", scene.headers("viewer"), case.viewer),
        ):
            response = await _send(tasks_client, case, headers)
            _check(case, who, expected, response)
