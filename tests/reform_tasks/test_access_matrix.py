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
    }


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
    cases = _cases(objects)
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
