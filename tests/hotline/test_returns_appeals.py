"""退单/改派 review and 不满意复核/申诉 (issue #26), through the signed webhook and the API.

A unit's return waits in the office's queue; the office rejects it (back to the unit, on the
clock it had) or approves it by re-dispatching to another unit (the clock restarts for the new
unit only). A unit appeals its own order's dissatisfied visit with evidence (its account and
the files), within the window;
the office upholds or overturns; an overturned rating leaves the satisfaction rate, in the live
table and in what evaluation is told, and explain gives the reason. A unit sees and decides
nothing of another unit's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.score.service import _hotline_reason
from shared import clock, hotline_rates
from shared.events import WorkOrderFacts, parse_data
from shared.models import Appeal, AuditLog, OutboxEvent, Role
from shared.settings import Settings
from tests.conftest import Factory
from tests.hotline.conftest import Platform, caller_phone, created, stored_order

HL = "/api/hotline/v1"
T0 = datetime(2026, 6, 1, 1, tzinfo=UTC)  # Monday 1 June 2026, 09:00 in Shanghai


def _at(order_no: str, hours: float, **extra: Any) -> dict[str, Any]:
    return {"order_no": order_no, "occurred_at": (T0 + timedelta(hours=hours)).isoformat(), **extra}


def _created(order_no: str, unit: str = "zhengwu", **extra: Any) -> dict[str, Any]:
    return created(
        order_no,
        occurred_at=T0.isoformat(),
        received_at=T0.isoformat(),
        handling_unit_code=unit,
        due_at=(T0 + timedelta(days=5)).isoformat(),
        **extra,
    )


async def _send(platform: Platform, *events: tuple[str, dict[str, Any]]) -> None:
    for event_type, data in events:
        response = await platform.send(event_type, data)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "applied", response.text


def _unit(factory: Factory, code: str) -> dict[str, str]:
    headers: dict[str, str] = factory.headers(f"u-{code}", Role.lead_unit, code)
    return headers


async def _decide_at(
    client: httpx.AsyncClient, moment: datetime, path: str, body: dict[str, Any], headers: Any
) -> httpx.Response:
    clock.freeze(moment)
    try:
        return await client.post(path, json=body, headers=headers)
    finally:
        clock.freeze(None)


async def test_a_rejected_return_goes_back_to_the_unit_on_the_clock_it_had(
    platform: Platform,
    units: None,
    office: dict[str, str],
    factory: Factory,
    hotline_client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    await _send(
        platform,
        ("work_order.created", _created("RT1")),
        ("work_order.accepted", _at("RT1", 1)),
        ("work_order.returned", _at("RT1", 2, reason="非本单位职责，应由税务部门办理")),
    )
    before = await stored_order(session, "RT1")
    assert (before.status, before.returned_at) == ("returned", T0 + timedelta(hours=2))

    queue = (await hotline_client.get(f"{HL}/returns", headers=office)).json()
    assert [(i["order"]["order_no"], i["reason"]) for i in queue["items"]] == [
        ("RT1", "非本单位职责，应由税务部门办理")
    ]
    own = (await hotline_client.get(f"{HL}/returns", headers=_unit(factory, "zhengwu"))).json()
    other = (await hotline_client.get(f"{HL}/returns", headers=_unit(factory, "shuiwu"))).json()
    assert (own["total"], other["total"]) == (1, 0)  # a unit sees its own returns only

    reject = {"decision": "reject", "reason": "属于本单位职责范围，请继续办理"}
    by_unit = await hotline_client.post(
        f"{HL}/returns/RT1/decision", json=reject, headers=_unit(factory, "zhengwu")
    )
    assert by_unit.status_code == 403  # the office decides, not the unit
    decided = await _decide_at(
        hotline_client, T0 + timedelta(hours=3), f"{HL}/returns/RT1/decision", reject, office
    )
    assert decided.status_code == 200, decided.text
    after = await stored_order(session, "RT1")
    # Back to where it was (signed), on the same clock: nothing restarted.
    assert (after.status, after.handling_unit_code, after.returned_at) == (
        "accepted",
        "zhengwu",
        None,
    )
    assert (after.assigned_at, after.accepted_at, after.due_at) == (
        before.assigned_at,
        before.accepted_at,
        before.due_at,
    )
    assert (await hotline_client.get(f"{HL}/returns", headers=office)).json()["total"] == 0
    again = await hotline_client.post(f"{HL}/returns/RT1/decision", json=reject, headers=office)
    assert again.status_code == 409
    audit = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "work_order.return_rejected", AuditLog.entity_id == "RT1"
        )
    )
    assert audit is not None
    assert audit.after["reason"] == "属于本单位职责范围，请继续办理"
    detail = (await hotline_client.get(f"{HL}/work-orders/RT1", headers=office)).json()
    assert [e["source"] for e in detail["events"] if e["type"] == "work_order.return_rejected"] == [
        "office"
    ]


async def test_an_approved_return_is_redispatched_and_the_clock_restarts_for_the_new_unit(
    platform: Platform,
    units: None,
    office: dict[str, str],
    factory: Factory,
    hotline_client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    await _send(
        platform,
        ("work_order.created", _created("RT2")),
        ("work_order.returned", _at("RT2", 2, reason="涉税事项")),
    )
    path = f"{HL}/returns/RT2/decision"
    for body, status in (
        ({"decision": "approve", "reason": "同意"}, 422),  # approve names the new unit
        ({"decision": "approve", "unit_code": "zhengwu", "reason": "同意"}, 422),  # another unit
        ({"decision": "approve", "unit_code": "nope", "reason": "同意"}, 422),
    ):
        response = await hotline_client.post(path, json=body, headers=office)
        assert response.status_code == status, response.text
    decided_at = T0 + timedelta(days=1)
    approve = {"decision": "approve", "unit_code": "shuiwu", "reason": "确属税务部门职责，改派"}
    response = await _decide_at(hotline_client, decided_at, path, approve, office)
    assert response.status_code == 200, response.text
    order = await stored_order(session, "RT2")
    assert (order.status, order.handling_unit_code, order.accepted_at) == (
        "assigned",
        "shuiwu",
        None,
    )
    # The new unit's clock starts at the re-dispatch: its due time is the closing limit (a
    # complaint: 15 working days) from then, not the platform's original due time.
    assert order.assigned_at == decided_at
    assert order.due_at is not None
    assert order.due_at > T0 + timedelta(days=15)
    shuiwu = await hotline_client.get(f"{HL}/work-orders/RT2", headers=_unit(factory, "shuiwu"))
    assert shuiwu.status_code == 200
    gone = await hotline_client.get(f"{HL}/work-orders/RT2", headers=_unit(factory, "zhengwu"))
    assert gone.status_code == 404


async def test_returns_per_unit_are_reported(
    platform: Platform,
    units: None,
    office: dict[str, str],
    factory: Factory,
    hotline_client: httpx.AsyncClient,
) -> None:
    for order_no in ("RS1", "RS2", "RS3"):
        await _send(
            platform,
            ("work_order.created", _created(order_no)),
            ("work_order.returned", _at(order_no, 2, reason="非本单位职责")),
        )
    await _send(
        platform,
        ("work_order.created", _created("RS4", unit="shuiwu")),
        ("work_order.returned", _at("RS4", 1, reason="非本单位职责")),
    )
    approve = {"decision": "approve", "unit_code": "shuiwu", "reason": "改派"}
    reject = {"decision": "reject", "reason": "驳回"}
    for order_no, body in (("RS1", approve), ("RS2", reject)):
        response = await _decide_at(
            hotline_client,
            T0 + timedelta(hours=5),
            f"{HL}/returns/{order_no}/decision",
            body,
            office,
        )
        assert response.status_code == 200, response.text

    summary = await hotline_client.get(
        f"{HL}/returns/summary", params={"period": "2026-06"}, headers=office
    )
    rows = {r["unit_code"]: r for r in summary.json()["items"]}
    assert {k: rows["zhengwu"][k] for k in ("returned", "approved", "rejected", "pending")} == {
        "returned": 3,
        "approved": 1,
        "rejected": 1,
        "pending": 1,
    }
    assert rows["shuiwu"]["returned"] == rows["shuiwu"]["pending"] == 1
    mine = await hotline_client.get(
        f"{HL}/returns/summary", params={"period": "2026-06"}, headers=_unit(factory, "shuiwu")
    )
    assert [r["unit_code"] for r in mine.json()["items"]] == ["shuiwu"]
    elsewhere = await hotline_client.get(
        f"{HL}/returns/summary", params={"period": "2026-05"}, headers=office
    )
    assert elsewhere.json()["items"] == []


async def _appeal_at(
    client: httpx.AsyncClient,
    moment: datetime,
    body: dict[str, str],
    headers: Any,
    files: Sequence[tuple[str, bytes, str]] = (),
) -> httpx.Response:
    """The unit's appeal as the SPA sends it: form fields and evidence files (multipart)."""
    clock.freeze(moment)
    try:
        return await client.post(
            f"{HL}/appeals",
            data=body,
            files=[("files", file) for file in files] or None,
            headers=headers,
        )
    finally:
        clock.freeze(None)


async def _visited(platform: Platform, order_no: str, satisfaction: str, hours: float) -> None:
    await _send(
        platform,
        ("work_order.created", _created(order_no)),
        ("work_order.accepted", _at(order_no, 1)),
        ("work_order.closed", _at(order_no, 24)),
        (
            "work_order.visited",
            _at(
                order_no, hours, satisfaction=satisfaction, resolved=satisfaction != "dissatisfied"
            ),
        ),
    )


async def test_the_unit_appeals_a_dissatisfied_visit_and_an_overturned_rating_leaves_the_rate(
    platform: Platform,
    units: None,
    office: dict[str, str],
    factory: Factory,
    hotline_client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    await _visited(platform, "AP1", "dissatisfied", 48)
    await _visited(platform, "AP2", "satisfied", 48)
    zhengwu, shuiwu = _unit(factory, "zhengwu"), _unit(factory, "shuiwu")
    body = {
        "order_no": "AP1",
        "reason": "已按政策答复，诉求人对政策本身不满意",
        "evidence": "6月2日通话录音编号 20260602-118，现场核查记录一份",
    }
    within = T0 + timedelta(days=3)

    async def appeal(payload: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await _appeal_at(hotline_client, within, payload, headers)

    assert (await appeal(body, office)).status_code == 403  # the office does not appeal
    assert (await appeal(body, shuiwu)).status_code == 404  # nor another unit
    assert (await appeal({**body, "order_no": "AP2"}, zhengwu)).status_code == 409  # satisfied
    late = await _appeal_at(hotline_client, T0 + timedelta(days=20), body, zhengwu)
    assert late.status_code == 409, late.text  # past 5 working days after the visit
    made = await appeal(body, zhengwu)
    assert made.status_code == 201, made.text
    appeal_id = made.json()["id"]
    assert made.json()["status"] == "pending"
    assert made.json()["appeal_deadline"] is not None
    assert (await appeal(body, zhengwu)).status_code == 409  # one appeal per visit

    listed = {
        name: (await hotline_client.get(f"{HL}/appeals", headers=h)).json()["total"]
        for name, h in (("office", office), ("zhengwu", zhengwu), ("shuiwu", shuiwu))
    }
    assert listed == {"office": 1, "zhengwu": 1, "shuiwu": 0}

    async def rates() -> dict[str, Any]:
        table = await hotline_client.get(
            f"{HL}/rates", params={"period": "2026-06"}, headers=office
        )
        [row] = [r for r in table.json()["items"] if r["unit_code"] == "zhengwu"]
        return dict(row)

    assert (await rates())["satisfaction_rate"] == 0.5
    decision = {"decision": "overturned", "reason": "诉求超出政策范围，单位已依法依规答复"}
    path = f"{HL}/appeals/{appeal_id}/decision"
    assert (await hotline_client.post(path, json=decision, headers=zhengwu)).status_code == 403
    assert (await hotline_client.post(path, json=decision, headers=shuiwu)).status_code == 403
    decided = await hotline_client.post(path, json=decision, headers=office)
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["decided_by"]) == ("overturned", "office")
    again = await hotline_client.post(path, json=decision, headers=office)
    assert again.status_code == 409

    row = await rates()
    assert (row["visited"], row["satisfied"], row["overturned"]) == (2, 1, 1)
    assert row["satisfaction_rate"] == 1.0  # the overturned visit left the rate
    assert row["resolution_rate"] == 0.5  # and only that rate
    order = await stored_order(session, "AP1")
    assert order.satisfaction_overturned
    assert order.satisfaction == "dissatisfied"  # the rating itself is kept

    told = await session.scalar(
        select(OutboxEvent).where(OutboxEvent.type == "work_order.visit_overturned")
    )
    assert told is not None
    assert told.unit_code == "zhengwu"
    assert (told.data["order_no"], told.data["appeal_id"]) == ("AP1", appeal_id)
    reason = _hotline_reason(told.type, told.data)
    assert "不计入满意率" in reason
    assert decision["reason"] in reason
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "appeal.decided"))
    assert audit is not None
    assert audit.after["status"] == "overturned"


async def test_an_upheld_rating_stays_in_the_rate(
    platform: Platform,
    units: None,
    office: dict[str, str],
    factory: Factory,
    hotline_client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    await _visited(platform, "AP3", "dissatisfied", 30)
    made = await _appeal_at(
        hotline_client,
        T0 + timedelta(days=2),
        {"order_no": "AP3", "reason": "已解决", "evidence": "回访记录"},
        _unit(factory, "zhengwu"),
    )
    assert made.status_code == 201, made.text
    upheld = await hotline_client.post(
        f"{HL}/appeals/{made.json()['id']}/decision",
        json={"decision": "upheld", "reason": "诉求人反映的问题仍未解决"},
        headers=office,
    )
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "upheld"
    assert not (await stored_order(session, "AP3")).satisfaction_overturned
    overturned = await session.scalar(
        select(OutboxEvent).where(OutboxEvent.type == "work_order.visit_overturned")
    )
    assert overturned is None
    stored = await session.scalar(select(Appeal).where(Appeal.order_no == "AP3"))
    assert stored is not None
    assert stored.status == "upheld"
    pending = await hotline_client.get(
        f"{HL}/appeals", params={"status": "pending"}, headers=office
    )
    assert pending.json()["total"] == 0


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_an_appeal_keeps_its_evidence_files_for_the_unit_and_the_office(
    platform: Platform,
    units: None,
    office: dict[str, str],
    factory: Factory,
    hotline_client: httpx.AsyncClient,
    session: AsyncSession,
    files_dir: Path,
    settings: Settings,
) -> None:
    """The files go through the evidence rules (type by extension and bytes, how many) before
    anything is kept; a refused request keeps neither the appeal nor a file. The appealing unit
    and the office download them; another unit's appeal does not exist for it, and viewers
    read the list but not the evidence."""
    await _visited(platform, "AF1", "dissatisfied", 30)
    zhengwu, shuiwu = _unit(factory, "zhengwu"), _unit(factory, "shuiwu")
    viewer = factory.headers("viewer", Role.viewer, None)
    body = {"order_no": "AF1", "reason": "已依法答复", "evidence": "通话录音与现场照片"}
    moment = T0 + timedelta(days=2)

    renamed = await _appeal_at(
        hotline_client, moment, body, zhengwu, [("录音.pdf", b"MZ\x90\x00", "application/pdf")]
    )
    assert renamed.status_code == 422, renamed.text
    assert "录音.pdf" in renamed.json()["detail"]
    too_many = [(f"材料{i}.pdf", PDF, "application/pdf") for i in range(6)]
    refused = await _appeal_at(hotline_client, moment, body, zhengwu, too_many)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == f"佐证材料最多 {settings.hotline_appeal_max_files} 个文件"
    assert await session.scalar(select(Appeal).where(Appeal.order_no == "AF1")) is None
    assert not [p for p in files_dir.rglob("*") if p.is_file()]

    files = [("通话记录.pdf", PDF, "application/pdf"), ("现场.png", PNG, "image/png")]
    made = await _appeal_at(hotline_client, moment, body, zhengwu, files)
    assert made.status_code == 201, made.text
    kept = made.json()["files"]
    assert [(f["filename"], f["size_bytes"]) for f in kept] == [
        ("通话记录.pdf", len(PDF)),
        ("现场.png", len(PNG)),
    ]
    listed = (await hotline_client.get(f"{HL}/appeals", headers=office)).json()["items"]
    assert [f["filename"] for f in listed[0]["files"]] == ["通话记录.pdf", "现场.png"]

    path = f"{HL}/appeals/{made.json()['id']}/files/{kept[1]['id']}"
    for reader in (zhengwu, office):
        got = await hotline_client.get(path, headers=reader)
        assert got.status_code == 200, got.text
        assert (got.content, got.headers["content-type"]) == (PNG, "image/png")
        assert got.headers["x-content-type-options"] == "nosniff"
    assert (await hotline_client.get(path, headers=shuiwu)).status_code == 404
    assert (await hotline_client.get(path, headers=viewer)).status_code == 403
    wrong_pair = f"{HL}/appeals/{made.json()['id'] + 1}/files/{kept[1]['id']}"
    assert (await hotline_client.get(wrong_pair, headers=office)).status_code == 404
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "appeal.created"))
    assert audit is not None
    assert [f["filename"] for f in audit.after["files"]] == ["通话记录.pdf", "现场.png"]


# --- the rates against a hand-computed fixture ------------------------------------------------


async def test_rates_with_returns_an_overturned_rating_a_reassignment_and_a_repeat_by_hand(
    platform: Platform,
    units: None,
    office: dict[str, str],
    factory: Factory,
    hotline_client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    """Five complaints received Monday 1 June 2026, 09:00 (signing limit: the end of Tuesday 2
    June; first contact: the same limit, from receipt):

    - A (zhengwu): contacted after 30 min, signed after 1 h, closed, visited satisfied;
    - B (zhengwu): signed after 1 h, returned, the return rejected; closed; visited dissatisfied,
      appealed and overturned;
    - C (zhengwu): returned, approved and re-dispatched to shuiwu (its clock starts then), signed
      by shuiwu 2 h later, contacted in time;
    - D (zhengwu): reassigned by the platform to shuiwu after 1 h, signed by shuiwu on Thursday
      (late), never closed, past its due time (9 June);
    - E (zhengwu): signed after 1 h, contacted on Thursday (late), closed, visited basically
      satisfied;
    - F (zhengwu): A's caller again about the same matter (same category, same day): linked as a
      repeat of A, so it counts nowhere — signed late on Thursday, never closed."""
    await _send(
        platform,
        ("work_order.created", _created("FA")),
        (
            "work_order.first_contacted",
            _at("FA", 0.5, contacted_at=(T0 + timedelta(hours=0.5)).isoformat()),
        ),
        ("work_order.accepted", _at("FA", 1)),
        ("work_order.closed", _at("FA", 48)),
        ("work_order.visited", _at("FA", 60, satisfaction="satisfied", resolved=True)),
        ("work_order.created", _created("FB")),
        ("work_order.accepted", _at("FB", 1)),
        ("work_order.returned", _at("FB", 2, reason="非本单位职责")),
        ("work_order.created", _created("FC")),
        ("work_order.returned", _at("FC", 2, reason="涉税事项")),
        ("work_order.created", _created("FD")),
        (
            "work_order.assigned",
            _at("FD", 1, handling_unit_code="shuiwu", due_at=(T0 + timedelta(days=8)).isoformat()),
        ),
        ("work_order.accepted", _at("FD", 72)),
        ("work_order.created", _created("FE")),
        ("work_order.accepted", _at("FE", 1)),
        (
            "work_order.first_contacted",
            _at("FE", 72, contacted_at=(T0 + timedelta(hours=72)).isoformat()),
        ),
        ("work_order.closed", _at("FE", 48)),
        ("work_order.visited", _at("FE", 60, satisfaction="basically_satisfied", resolved=True)),
        ("work_order.created", _created("FF", contact_phone=caller_phone("FA"))),
        ("work_order.accepted", _at("FF", 72)),
    )
    three = T0 + timedelta(hours=3)
    reject = {"decision": "reject", "reason": "属本单位职责"}
    approve = {"decision": "approve", "unit_code": "shuiwu", "reason": "改派税务"}
    for order_no, body in (("FB", reject), ("FC", approve)):
        decided = await _decide_at(
            hotline_client, three, f"{HL}/returns/{order_no}/decision", body, office
        )
        assert decided.status_code == 200, decided.text
    await _send(
        platform,
        ("work_order.accepted", _at("FC", 5)),
        (
            "work_order.first_contacted",
            _at("FC", 4, contacted_at=(T0 + timedelta(hours=4)).isoformat()),
        ),
        ("work_order.closed", _at("FB", 24)),
        ("work_order.visited", _at("FB", 30, satisfaction="dissatisfied", resolved=False)),
    )
    appeal = await _appeal_at(
        hotline_client,
        T0 + timedelta(days=2),
        {"order_no": "FB", "reason": "已依法答复", "evidence": "录音"},
        _unit(factory, "zhengwu"),
    )
    assert appeal.status_code == 201, appeal.text
    overturned = await hotline_client.post(
        f"{HL}/appeals/{appeal.json()['id']}/decision",
        json={"decision": "overturned", "reason": "超出政策范围"},
        headers=office,
    )
    assert overturned.status_code == 200, overturned.text

    clock.freeze(datetime(2026, 6, 20, tzinfo=UTC))
    try:
        table = await hotline_client.get(
            f"{HL}/rates", params={"period": "2026-06"}, headers=office
        )
    finally:
        clock.freeze(None)
    live = {r["unit_code"]: r for r in table.json()["items"]}
    shown = (
        "orders",
        "responded_in_time",
        "response_due",
        "visited",
        "resolved",
        "satisfied",
        "overturned",
        "closed",
        "closed_on_time",
        "closing_due",
        "overdue",
        "first_contacted_in_time",
    )
    # The live table follows each order to its current unit: A, B, E stay with zhengwu; C and D
    # are shuiwu's now.
    assert {k: live["zhengwu"][k] for k in shown} == {
        "orders": 3,
        "responded_in_time": 3,  # B's clock never stopped: signed after 1 h
        "response_due": 3,
        "visited": 3,
        "resolved": 2,
        "satisfied": 2,
        "overturned": 1,
        "closed": 3,
        "closed_on_time": 3,
        "closing_due": 3,
        "overdue": 0,
        "first_contacted_in_time": 1,  # A; E was late, B never
    }
    assert live["zhengwu"]["satisfaction_rate"] == 1.0  # 2 ÷ (3 − 1)
    assert live["zhengwu"]["resolution_rate"] == round(2 / 3, 4)
    assert live["zhengwu"]["first_contact_rate"] == round(1 / 3, 4)
    assert {k: live["shuiwu"][k] for k in shown} == {
        "orders": 2,
        "responded_in_time": 1,  # C, on the clock restarted at the re-dispatch; D late
        "response_due": 2,
        "visited": 0,
        "resolved": 0,
        "satisfied": 0,
        "overturned": 0,
        "closed": 0,
        "closed_on_time": 0,
        "closing_due": 1,  # D, past 9 June; C is due 15 working days after the re-dispatch
        "overdue": 1,
        "first_contacted_in_time": 1,  # C
    }

    # What evaluation was told: each fact for the unit that had the order when it happened.
    told = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type.like("work_order.%")))
    ).all()
    repeats = {e.data["order_no"] for e in told if e.type == "work_order.linked_as_repeat"}
    assert repeats == {"FF"}
    facts: dict[str, list[dict[str, int]]] = {}
    for event in told:
        fact = parse_data(event.type, event.data)
        assert isinstance(fact, WorkOrderFacts)
        if fact.order_no in repeats:
            continue  # evaluation counts a matter once (tests/hotline/test_repeats.py)
        names = hotline_rates.fact_counters(fact)
        facts.setdefault(event.unit_code or "", []).append(dict.fromkeys(names, 1))
    counted = {
        unit: {k: v for k, v in hotline_rates.add_up(c).items() if k in shown}
        for unit, c in facts.items()
    }
    assert counted["zhengwu"] == {
        **dict.fromkeys(shown, 0),
        "orders": 5,
        "responded_in_time": 3,
        "response_due": 3,
        "visited": 3,
        "resolved": 2,
        "satisfied": 2,
        "overturned": 1,
        "closed": 3,
        "closed_on_time": 3,
        "closing_due": 3,
        "first_contacted_in_time": 1,
    }
    assert counted["shuiwu"] == {
        **dict.fromkeys(shown, 0),
        "responded_in_time": 1,
        "response_due": 2,
        "first_contacted_in_time": 1,
    }
    assert hotline_rates.rates(counted["zhengwu"]).satisfaction == 1.0
