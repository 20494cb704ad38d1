"""Every evaluation and hotline_ingest endpoint × every role × own/other unit (the reform_tasks
matrix is tests/reform_tasks/test_access_matrix.py). The data belongs to zhengwu and shuiwu;
zhengwu's 联络员 is the own unit, keji (involved in nothing) the other. Writes the role may not
make are 403/404 and change nothing; reads show a unit only its own rows (totals and rankings
are published, docs/EVALUATION.md). The table must name every operation in the OpenAPI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import AuditLog, OutboxEvent, Role, UnitKind
from tests.conftest import Factory
from tests.hotline.conftest import Platform, at, created

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EV = "/api/evaluation/v1"
HL = "/api/hotline/v1"
OWN, OTHER = "zhengwu", "keji"
ROLES: dict[str, tuple[Role, str | None]] = {
    "office_staff": (Role.office_staff, "gaigeban"),
    "viewer": (Role.viewer, None),
    "own": (Role.lead_unit, OWN),
    "other": (Role.unit, OTHER),
    "hotline": (Role.hotline_platform, None),
    "service": (Role.service, None),
}
OFFICE_READ = {"office_staff", "viewer"}
OFFICE_WRITE = {"office_staff"}
EVERYONE = set(ROLES)
ADMIN_ONLY: set[str] = set()

Units = Callable[[httpx.Response], set[str]]


@dataclass
class Op:
    method: str
    path: str
    may: set[str]  # roles the endpoint serves
    visible: Units | None = None  # unit codes a read shows (checked per role)
    json: Any = None
    data: dict[str, str] | None = None  # form fields (multipart with `files`)
    files: Any = None
    params: dict[str, Any] | None = None
    call: bool = True  # the SSE stream never ends: its rule is stated, not called


def items(key: str) -> Units:
    return lambda r: {i[key] for i in r.json()["items"] if i.get(key)}


def with_components(r: httpx.Response) -> set[str]:
    return {i["unit_code"] for i in r.json()["items"] if i["components"]}


def detail(key: str) -> Units:
    return lambda r: {r.json()[key]} if r.status_code == 200 else set()


def survey_units(r: httpx.Response) -> set[str]:
    return {u["unit_code"] for u in r.json()["units"]} if r.status_code == 200 else set()


def survey_sheet_units(r: httpx.Response) -> set[str]:
    if r.status_code != 200:
        return set()
    sheet = load_workbook(BytesIO(r.content)).active
    assert sheet is not None
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
    return {"zhengwu", "shuiwu"} & cells


def orders_in_sheet(r: httpx.Response) -> set[str]:
    sheet = load_workbook(BytesIO(r.content)).active
    assert sheet is not None
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
    return {unit for unit, order in (("zhengwu", "RZ1"), ("shuiwu", "RS1")) if order in cells}


def ops(parked_id: int, rule_version: int, key_id: int, appeal_file: str) -> list[Op]:
    inspection = {
        "unit_code": "zhengwu",
        "inspected_on": "2026-05-12",
        "mode": "scheduled",
        "finding": "越权录入的督查发现",
        "deduction": 1,
    }
    xlsx = ("s.xlsx", b"PK\x03\x04", "application/octet-stream")
    rv = f"{EV}/rule-sets/2026/{rule_version}"
    return [
        Op("POST", "/internal/events", {"service"}, json={}, call=True),
        Op("POST", "/internal/events/batch", {"service"}, json={"events": []}),
        Op("GET", f"{EV}/rule-sets/schema", EVERYONE),
        Op("GET", f"{EV}/rule-sets/default", EVERYONE),
        Op("GET", f"{EV}/rule-sets", EVERYONE),
        Op("GET", rv, EVERYONE),
        Op("PUT", rv, ADMIN_ONLY, json={"body": {}}),
        Op("POST", f"{EV}/rule-sets/2026", ADMIN_ONLY, json={"body": {}}),
        Op("POST", f"{rv}/publish", ADMIN_ONLY),
        Op("GET", f"{EV}/scores", EVERYONE, with_components, params={"period": "2026"}),
        Op("GET", f"{EV}/units/zhengwu/explain", EVERYONE, detail("unit_code")),
        Op("GET", f"{EV}/rankings", EVERYONE, params={"group": "department"}),
        Op("GET", f"{EV}/rankings/export", EVERYONE, params={"group": "department"}),
        # Published like the rankings: every unit reads the whole board.
        Op("GET", f"{EV}/rankings/hotline", EVERYONE, params={"group": "department"}),
        Op("POST", f"{EV}/recompute", ADMIN_ONLY),
        # The year-end results list is published like the rankings (issue #21).
        Op("GET", f"{EV}/final-results", EVERYONE),
        Op("GET", f"{EV}/final-results/export", EVERYONE),
        Op("GET", f"{EV}/stream", EVERYONE, call=False),
        Op("POST", f"{EV}/inspections", OFFICE_WRITE, json=inspection),
        Op("GET", f"{EV}/inspections", EVERYONE, items("unit_code")),
        Op(
            "POST",
            f"{EV}/surveys",
            OFFICE_WRITE,
            json={"period": "2026-H1", "unit_code": "zhengwu", "score": 1, "respondents": 1},
        ),
        Op("GET", f"{EV}/surveys", EVERYONE, items("unit_code")),  # a unit: its own only
        Op("POST", f"{EV}/surveys/import", OFFICE_WRITE, files=[("file", xlsx)]),
        Op(
            "POST",
            f"{EV}/external-ranks",
            OFFICE_WRITE,
            json={
                "year": 2025,
                "indicator": "越权录入",
                "lead_unit": "zhengwu",
                "national_rank": 1,
            },
        ),
        Op("GET", f"{EV}/external-ranks", EVERYONE),
        # 万企评机关 results (issue #27): a round is the office's until it publishes it (units
        # 404); published, every unit reads the whole ranking, like the rankings.
        Op("GET", f"{EV}/surveys/rounds", EVERYONE),
        Op("GET", f"{EV}/surveys/2026-H1/ranking", EVERYONE, survey_units),
        Op("GET", f"{EV}/surveys/2026-H1/ranking/export", EVERYONE, survey_sheet_units),
        Op("POST", f"{EV}/surveys/2026-H1/publish", OFFICE_WRITE),
        Op("GET", f"{EV}/survey-decisions", OFFICE_READ),
        Op("POST", f"{EV}/survey-decisions/1/decide", OFFICE_WRITE, json={"status": "adopted"}),
        Op("GET", f"{EV}/parked-events", OFFICE_READ),
        Op("POST", f"{EV}/parked-events/{parked_id}/replay", OFFICE_WRITE),
        Op("GET", f"{HL}/work-orders", EVERYONE, items("handling_unit_code")),
        Op("GET", f"{HL}/work-orders/export.xlsx", EVERYONE, orders_in_sheet),
        Op("GET", f"{HL}/work-orders/RZ1", EVERYONE, detail("handling_unit_code")),
        Op("GET", f"{HL}/work-orders/RS1", EVERYONE, detail("handling_unit_code")),
        Op(
            "POST",
            f"{HL}/work-orders/RZ1/reveal-contact",
            ADMIN_ONLY,
            json={"reason": "越权查看联系人"},
        ),
        Op("GET", f"{HL}/rates", EVERYONE, items("unit_code"), params={"period": "2026"}),
        # Its counts are the caller's readable units' only: tests/hotline/test_rates.py.
        Op("GET", f"{HL}/rates/total", EVERYONE, params={"period": "2026"}),
        Op("GET", f"{HL}/rates/zhengwu/trend", EVERYONE, detail("unit_code")),
        Op("GET", f"{HL}/rates/shuiwu/trend", EVERYONE, detail("unit_code")),
        Op(
            "GET", f"{HL}/reviews", EVERYONE, items("handling_unit_code"), params={"period": "2026"}
        ),
        Op("GET", f"{HL}/reviews/summary", EVERYONE, items("unit_code"), params={"period": "2026"}),
        Op("GET", f"{HL}/calendar", EVERYONE, params={"year": 2026}),
        Op(
            "PUT",
            f"{HL}/calendar/2026-06-03",
            ADMIN_ONLY,
            json={"is_workday": False, "note": "越权"},
        ),
        Op("POST", f"{HL}/sweeps/overdue", {"office_staff", "service"}),
        Op("POST", f"{HL}/sweeps/response-expiry", {"office_staff", "service"}),
        Op("GET", f"{HL}/quarantine", OFFICE_READ),
        Op("POST", f"{HL}/quarantine/RQ1/resolve", OFFICE_WRITE, json={"unit_code": "zhengwu"}),
        Op("GET", f"{HL}/unit-mappings", OFFICE_READ),
        Op("GET", f"{HL}/categories", EVERYONE),
        Op("PUT", f"{HL}/categories/qy_kaiban", ADMIN_ONLY, json={"name": "越权改名"}),
        Op("GET", f"{HL}/open311-keys", ADMIN_ONLY),
        Op("POST", f"{HL}/open311-keys", ADMIN_ONLY, json={"name": "越权密钥"}),
        Op("DELETE", f"{HL}/open311-keys/{key_id}", ADMIN_ONLY),
        # 退单 review and 申诉 (issue #26): a unit reads its own (the scoping with returns and
        # appeals in place: tests/hotline/test_returns_appeals.py); the office decides; only a
        # unit appeals, and only its own order's visit (another unit's order is a 404).
        Op("GET", f"{HL}/returns", EVERYONE),
        Op("GET", f"{HL}/returns/summary", EVERYONE, params={"period": "2026"}),
        Op(
            "POST",
            f"{HL}/returns/RZ1/decision",
            OFFICE_WRITE,
            json={"decision": "reject", "reason": "越权审核"},
        ),
        Op("GET", f"{HL}/appeals", EVERYONE),
        Op(
            "POST",
            f"{HL}/appeals",
            {"own", "other"},
            data={"order_no": "RZ1", "reason": "越权申诉", "evidence": "无"},
            files=[("files", ("证据.pdf", PDF, "application/pdf"))],
        ),
        # The scene's appeal of RZ1 has one file: its unit and the office download it.
        Op("GET", appeal_file, {"office_staff", "own"}),
        Op(
            "POST",
            f"{HL}/appeals/1/decision",
            OFFICE_WRITE,
            json={"decision": "upheld", "reason": "越权复核"},
        ),
        Op("GET", f"{HL}/platforms/prov/mapping", OFFICE_READ),
        Op("PUT", f"{HL}/platforms/prov/mapping", ADMIN_ONLY, json={"document": {}}),
        Op("GET", f"{HL}/deliveries", OFFICE_READ),
        # Repeat requests and 催办 (issue #26): read as the order (RZ1 is zhengwu's); only the
        # office links or unlinks; the 催办 list's unit scoping: tests/hotline/test_reminders.py.
        Op(
            "GET",
            f"{HL}/work-orders/RZ1/repeats",
            EVERYONE,
            lambda r: {"zhengwu"} if r.status_code == 200 else set(),
        ),
        Op(
            "POST",
            f"{HL}/work-orders/RZ1/repeats",
            OFFICE_WRITE,
            json={"action": "link", "repeat_of": "RS1", "reason": "越权关联"},
        ),
        Op("GET", f"{HL}/reminders", EVERYONE),
        Op("POST", f"{HL}/sweeps/reminders", {"office_staff", "service"}),
    ]


def allowed_units(role: str) -> set[str] | None:
    """Which units' rows a role may see (None: every unit)."""
    _, unit = ROLES[role]
    if role in ("office_staff", "viewer", "service"):
        return None
    return {unit} if unit else set()


async def _scene(
    factory: Factory, evaluation: httpx.AsyncClient, hotline: httpx.AsyncClient
) -> tuple[int, int, int, str]:
    for code in ("zhengwu", "shuiwu", "keji"):
        await factory.unit(code)
    await factory.unit("yunzhongqu", UnitKind.district)
    await factory.unit("gaigeban", UnitKind.office)
    office = factory.headers("office", Role.office_admin, "gaigeban")
    platform = Platform(hotline)
    for order, unit in (("RZ1", "zhengwu"), ("RS1", "shuiwu"), ("RQ1", "nope")):
        sent = [
            await platform.send("work_order.created", created(order, handling_unit_code=unit)),
            await platform.send("work_order.accepted", at(order, 0.5)),
            await platform.send("work_order.replied", {**at(order, 1), "reply": "已办理"}),
            await platform.send("work_order.closed", at(order, 1.5)),
            await platform.send(
                "work_order.visited",
                {**at(order, 2), "satisfaction": "dissatisfied", "resolved": False},
            ),
        ]
        assert all(r.status_code == 200 for r in sent), [r.text for r in sent]
    clock.freeze(datetime(2026, 6, 4, 9, tzinfo=UTC))  # within RZ1's appeal window
    try:
        appealed = await hotline.post(
            f"{HL}/appeals",
            data={"order_no": "RZ1", "reason": "已依法答复", "evidence": "通话录音一份"},
            files=[("files", ("录音说明.pdf", PDF, "application/pdf"))],
            headers=factory.headers("u-own", Role.lead_unit, OWN),
        )
    finally:
        clock.freeze(None)
    assert appealed.status_code == 201, appealed.text
    [file] = appealed.json()["files"]
    appeal_file = f"{HL}/appeals/{appealed.json()['id']}/files/{file['id']}"
    for unit in ("zhengwu", "shuiwu"):
        surveyed = await evaluation.post(
            f"{EV}/surveys",
            json={"period": "2026-H1", "unit_code": unit, "score": 80, "respondents": 50},
            headers=office,
        )
        assert surveyed.status_code == 201, surveyed.text
        recorded = await evaluation.post(
            f"{EV}/inspections",
            json={
                "unit_code": unit,
                "inspected_on": "2026-05-12",
                "mode": "unannounced",
                "finding": "窗口人员脱岗",
                "deduction": 1.5,
            },
            headers=office,
        )
        assert recorded.status_code == 201, recorded.text
    service = factory.headers("service:reform_tasks", Role.service, None)
    unknown = {
        "id": "5a3c3f64-0000-4000-8000-000000000001",
        "type": "task.closed_out",
        "occurred_at": datetime(2026, 6, 1, tzinfo=UTC).isoformat(),
        "programme": "2026",
        "unit_code": "no-such-unit",
        "data": {"task_number": 1, "on_time": True},
    }
    assert (await evaluation.post("/internal/events", json=unknown, headers=service)).is_success
    parked = (await evaluation.get(f"{EV}/parked-events", headers=office)).json()["items"]
    versions = (await evaluation.get(f"{EV}/rule-sets", headers=office)).json()["items"]
    key = await hotline.post(
        f"{HL}/open311-keys", json={"name": "城市运行管理平台"}, headers=office
    )
    assert key.status_code == 201, key.text
    return parked[0]["id"], versions[0]["version"], key.json()["id"], appeal_file


async def _written(session: AsyncSession) -> tuple[int, int]:
    audit = await session.scalar(select(func.count()).select_from(AuditLog))
    outbox = await session.scalar(select(func.count()).select_from(OutboxEvent))
    return int(audit or 0), int(outbox or 0)


async def test_no_role_reads_or_writes_beyond_its_unit_in_evaluation_and_hotline(
    evaluation_client: httpx.AsyncClient,
    hotline_client: httpx.AsyncClient,
    factory: Factory,
    session: AsyncSession,
    files_dir: Path,
) -> None:
    parked_id, rule_version, key_id, appeal_file = await _scene(
        factory, evaluation_client, hotline_client
    )
    table = ops(parked_id, rule_version, key_id, appeal_file)

    named = {(op.method, op.path) for op in table}
    for client in (evaluation_client, hotline_client):
        openapi = client._transport.app.openapi()  # type: ignore[attr-defined]
        for path, operations in openapi["paths"].items():
            if path in ("/healthz", "/readyz") or "/webhooks/" in path or "/open311/" in path:
                continue
            if path.startswith(f"{HL}/schemas/"):
                continue
            for method in operations:
                assert any(m == method.upper() and _matches(path, p) for m, p in named), (
                    f"no access rule for {method.upper()} {path}"
                )

    for op in table:
        if not op.call:
            continue
        client = evaluation_client if op.path.startswith((EV, "/internal")) else hotline_client
        for role, (role_enum, unit) in ROLES.items():
            before = await _written(session)
            response = await client.request(
                op.method,
                op.path,
                json=op.json,
                data=op.data,
                files=op.files,
                params=op.params,
                headers=factory.headers(f"u-{role}", role_enum, unit),
            )
            where = f"{role} {op.method} {op.path}: {response.status_code} {response.text[:200]}"
            assert response.status_code < 500, where
            if role not in op.may:
                assert response.status_code in (403, 404), where
                assert await _written(session) == before, where  # nothing stored, no audit
                continue
            if op.method != "GET":
                assert response.status_code not in (401, 403), where
                continue  # what an allowed write does is each module's own tests
            if op.visible is not None and response.status_code == 404:
                assert allowed_units(role) is not None, where
                continue
            assert response.status_code == 200, where
            if op.visible is None:
                continue
            seen = op.visible(response)
            limit = allowed_units(role)
            if limit is None:
                assert seen, where  # the office does see the data: the check is not vacuous
            else:
                assert seen <= limit, where
                if role == "own":
                    assert seen == {OWN}, where  # and its own rows are there


def _matches(template: str, concrete: str) -> bool:
    t, c = template.split("/"), concrete.split("/")
    return len(t) == len(c) and all(a == b or a.startswith("{") for a, b in zip(t, c, strict=True))
