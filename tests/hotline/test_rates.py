"""The three rates against a hand-computed fixture with the 2026 Spring Festival holidays and its
调休 make-up Saturday; the working-day calendar and its audited edits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar.service import load
from shared.models import OutboxEvent, Role, UnitKind
from tests.conftest import Factory
from tests.hotline.conftest import Platform, created

SH = ZoneInfo("Asia/Shanghai")


def _t(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=SH).isoformat()


async def test_working_days_skip_holidays_and_count_make_up_days(session: AsyncSession) -> None:
    calendar = await load(session)
    # Received Friday 13 Feb 2026; Sat 14 is a 调休 working day, 15–23 the Spring Festival.
    received = datetime(2026, 2, 13, 10, tzinfo=SH)
    assert calendar.deadline(received, 5) == datetime(2026, 2, 28, tzinfo=SH)
    assert calendar.deadline(received, 1) == datetime(2026, 2, 15, tzinfo=SH)
    # Consult received Wed 30 Sep: National Day and Mid-autumn → Thursday 8 Oct.
    assert calendar.deadline(datetime(2026, 9, 30, 9, tzinfo=SH), 1) == datetime(
        2026, 10, 9, tzinfo=SH
    )


async def test_sql_deadline_agrees_with_the_python_calendar(session: AsyncSession) -> None:
    """`hotline.working_deadline` (the response limit the webhook tells evaluation) and
    `WorkingCalendar.deadline` (what the office's views show) agree on every day of 2026 —
    Spring Festival, National Day, their 调休 days — for limits of 0–7 working days, and for 30
    (past the month of calendar the SQL function reads at once)."""
    calendar = await load(session)
    starts = [datetime(2026, 1, 1, 9, tzinfo=SH) + timedelta(days=i) for i in range(365)]
    rows = (
        await session.execute(
            text(
                "SELECT s.at, n.days, hotline.working_deadline(s.at, n.days)"
                " FROM unnest(CAST(:starts AS timestamptz[])) AS s(at),"
                " unnest(CAST(:limits AS int[])) AS n(days)"
            ),
            {"starts": starts, "limits": [0, 1, 2, 3, 4, 5, 6, 7, 30]},
        )
    ).all()
    assert len(rows) == 365 * 9
    wrong = [(at, days) for at, days, due in rows if due != calendar.deadline(at, days)]
    assert wrong == []
    await session.execute(text("SET LOCAL statement_timeout = '5s'"))
    unknown = await session.scalar(text("SELECT hotline.working_deadline(NULL, 5)"))
    assert unknown is None


async def test_three_rates_match_the_hand_computed_fixture(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    factory: Factory,
    session: AsyncSession,
) -> None:
    await factory.unit("zhengwu", name="云岭市政务服务管理局")
    await factory.unit("yunzhongqu", UnitKind.district, name="云中区人民政府")
    orders = {
        # order: (kind, received, accepted, visit)
        # Signing limit 1 working day (office default): Sat 14 Feb is a 调休 working day.
        "A": ("complaint", "2026-02-13 10:00", "2026-02-14 15:00", (True, "satisfied")),
        "B": ("complaint", "2026-02-13 10:00", "2026-03-02 09:00", (False, "dissatisfied")),
        "C": ("consult", "2026-01-05 09:00", "2026-01-06 10:00", (True, "basically_satisfied")),
        "D": ("consult", "2026-01-05 09:00", None, None),
    }
    for order_no, (kind, received, accepted, visit) in orders.items():
        data = created(order_no, kind=kind, occurred_at=_t(received), received_at=_t(received))
        assert (await platform.send("work_order.created", data)).status_code == 200
        if accepted:
            await platform.send(
                "work_order.accepted", {"order_no": order_no, "occurred_at": _t(accepted)}
            )
        if visit:
            await platform.send(
                "work_order.visited",
                {
                    "order_no": order_no,
                    "occurred_at": _t("2026-03-10 10:00"),
                    "resolved": visit[0],
                    "satisfaction": visit[1],
                },
            )
    response = await hotline_client.get(
        "/api/hotline/v1/rates",
        params={"period": "2026-Q1"},
        headers=factory.headers("office", Role.office_admin, "gaigeban"),
    )
    assert response.status_code == 200, response.text
    [row] = response.json()["items"]
    assert row["unit_code"] == "zhengwu"
    assert (row["orders"], row["responded_in_time"], row["response_due"]) == (4, 2, 4)
    assert row["response_rate"] == 0.5
    assert row["resolution_rate"] == round(2 / 3, 4)
    assert row["satisfaction_rate"] == round(2 / 3, 4)
    by_district = await hotline_client.get(
        "/api/hotline/v1/rates",
        params={"period": "2026-Q1", "by": "district"},
        headers=factory.headers("office", Role.office_admin, "gaigeban"),
    )
    assert [r["unit_code"] for r in by_district.json()["items"]] == ["yunzhongqu"]
    # Evaluation was told the same thing order by order.
    responded = (
        await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "work_order.responded")
            .order_by(OutboxEvent.data["order_no"].astext)
        )
    ).all()
    assert [(e.data["order_no"], e.data["within_limit"]) for e in responded] == [
        ("A", True),
        ("B", False),
        ("C", True),
    ]
    other = await hotline_client.get(
        "/api/hotline/v1/rates",
        params={"period": "2026-Q1"},
        headers=factory.headers("shuiwu", Role.unit, "shuiwu"),
    )
    assert other.json()["items"] == []
    # The total over what the caller may read: the office's is the city's, another unit's none.
    office_total = await hotline_client.get(
        "/api/hotline/v1/rates/total",
        params={"period": "2026-Q1"},
        headers=factory.headers("office", Role.office_admin, "gaigeban"),
    )
    assert {k: office_total.json()[k] for k in ("orders", "response_rate")} == {
        "orders": 4,
        "response_rate": 0.5,
    }
    other_total = await hotline_client.get(
        "/api/hotline/v1/rates/total",
        params={"period": "2026-Q1"},
        headers=factory.headers("shuiwu", Role.unit, "shuiwu"),
    )
    assert (other_total.json()["orders"], other_total.json()["response_rate"]) == (0, None)


async def test_office_admin_edits_the_calendar_and_it_is_audited(
    hotline_client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = factory.headers("office", Role.office_admin, "gaigeban")
    year = await hotline_client.get(
        "/api/hotline/v1/calendar", params={"year": 2027}, headers=admin
    )
    assert any(d["note"].startswith("春节") for d in year.json()["items"])
    changed = await hotline_client.put(
        "/api/hotline/v1/calendar/2027-02-20",
        json={"is_workday": True, "note": "春节调休上班"},
        headers=admin,
    )
    assert changed.status_code == 200
    assert changed.json()["is_workday"] is True
    denied = await hotline_client.put(
        "/api/hotline/v1/calendar/2027-02-21",
        json={"is_workday": True, "note": "x调休"},
        headers=factory.headers("zhengwu", Role.unit, "zhengwu"),
    )
    assert denied.status_code == 403


async def test_overdue_orders_are_told_to_evaluation_once(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    factory: Factory,
    session: AsyncSession,
) -> None:
    await factory.unit("zhengwu")
    await factory.unit("yunzhongqu", UnitKind.district)
    # Due Friday 13 Feb 2026 10:00; the sweep runs on Wednesday 25 Feb.
    await platform.send("work_order.created", created("OV1", due_at=_t("2026-02-13 10:00")))
    await platform.send("work_order.created", created("OV2", due_at=_t("2026-02-13 10:00")))
    await platform.send(
        "work_order.closed", {"order_no": "OV2", "occurred_at": _t("2026-02-12 10:00")}
    )
    from shared import clock

    clock.freeze(datetime(2026, 2, 25, 4, tzinfo=ZoneInfo("UTC")))
    try:
        office = factory.headers("office", Role.office_admin, "gaigeban")
        first = await hotline_client.post("/api/hotline/v1/sweeps/overdue", headers=office)
        again = await hotline_client.post("/api/hotline/v1/sweeps/overdue", headers=office)
    finally:
        clock.freeze(None)
    assert (first.json()["announced"], again.json()["announced"]) == (1, 0)
    [event] = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "work_order.overdue"))
    ).all()
    # Working days after the 13th up to the 25th: 14 (调休), 24, 25 — the holidays do not count.
    assert (event.data["order_no"], event.data["working_days_over"]) == ("OV1", 3)


async def test_a_sweep_tells_a_bounded_batch_per_call_and_says_more_are_due(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each told order's lock is held to the commit: one call tells at most `BATCH` orders and
    says `remaining`; the scheduler calls again (services.scheduler.jobs._hotline_sweep)."""
    from services.hotline_ingest.sweep import service as sweeps
    from shared import clock

    monkeypatch.setattr(sweeps, "BATCH", 2)
    await factory.unit("zhengwu")
    await factory.unit("yunzhongqu", UnitKind.district)
    for n in range(3):
        await platform.send("work_order.created", created(f"BT{n}", due_at=_t("2026-02-13 10:00")))
    office = factory.headers("office", Role.office_admin, "gaigeban")
    clock.freeze(datetime(2026, 2, 25, 4, tzinfo=ZoneInfo("UTC")))
    try:
        calls = [
            (await hotline_client.post(f"/api/hotline/v1/sweeps/{sweep}", headers=office)).json()
            for sweep in ("overdue", "overdue", "overdue")
        ]
    finally:
        clock.freeze(None)
    assert calls == [
        {"announced": 2, "remaining": True},
        {"announced": 1, "remaining": False},
        {"announced": 0, "remaining": False},
    ]


async def test_response_limit_runs_from_the_last_assignment(
    platform: Platform, factory: Factory, session: AsyncSession
) -> None:
    await factory.unit("zhengwu")
    await factory.unit("shuiwu")
    await factory.unit("yunzhongqu", UnitKind.district)
    # Consult received Monday 2 March 2026, reassigned Thursday 5 March, accepted Friday 6 March:
    # late against the receipt (limit: end of Tuesday), in time against the reassignment.
    received = _t("2026-03-02 09:00")
    data = created("RA1", kind="consult", occurred_at=received, received_at=received)
    await platform.send("work_order.created", data)
    await platform.send(
        "work_order.assigned",
        {
            "order_no": "RA1",
            "occurred_at": _t("2026-03-05 10:00"),
            "handling_unit_code": "shuiwu",
            "due_at": _t("2026-03-10 10:00"),
        },
    )
    accepted = {"order_no": "RA1", "occurred_at": _t("2026-03-06 16:00")}
    await platform.send("work_order.accepted", accepted)
    responded = await session.scalar(
        select(OutboxEvent).where(OutboxEvent.type == "work_order.responded")
    )
    assert responded is not None
    assert (responded.unit_code, responded.data["within_limit"]) == ("shuiwu", True)


async def test_an_order_sent_without_a_due_time_is_due_by_the_closing_limit(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    factory: Factory,
    session: AsyncSession,
) -> None:
    """The closing limit (办结, HOTLINE_CLOSING_DAYS) is a setting apart from the signing limit
    (签收, HOTLINE_RESPONSE_DAYS); it applies when the platform sends no due time. A help
    request received Friday 13 Feb 2026 (Sat 14 and Sat 28 调休 working days, 15–23 Spring
    Festival) is due by the end of its 7th working day, Monday 2 March; its signing limit (1
    working day) ended with Saturday 14 Feb."""
    await factory.unit("zhengwu")
    await factory.unit("yunzhongqu", UnitKind.district)
    received = _t("2026-02-13 10:00")
    data = created("CL1", kind="help", occurred_at=received, received_at=received)
    del data["due_at"]
    assert (await platform.send("work_order.created", data)).status_code == 200
    office = factory.headers("office", Role.office_admin, "gaigeban")
    order = (await hotline_client.get("/api/hotline/v1/work-orders/CL1", headers=office)).json()
    assert datetime.fromisoformat(order["due_at"]) == datetime(2026, 3, 3, tzinfo=SH)

    from shared import clock

    clock.freeze(datetime(2026, 2, 26, 4, tzinfo=ZoneInfo("UTC")))  # Thursday noon
    try:
        first = await hotline_client.post("/api/hotline/v1/sweeps/response-expiry", headers=office)
        again = await hotline_client.post("/api/hotline/v1/sweeps/response-expiry", headers=office)
    finally:
        clock.freeze(None)
    assert (first.json()["announced"], again.json()["announced"]) == (1, 0)
    await platform.send(
        "work_order.accepted", {"order_no": "CL1", "occurred_at": _t("2026-02-26 15:00")}
    )
    await platform.send(
        "work_order.closed", {"order_no": "CL1", "occurred_at": _t("2026-03-03 09:00")}
    )
    told = {
        e.type: e.data
        for e in await session.scalars(
            select(OutboxEvent).where(OutboxEvent.unit_code == "zhengwu")
        )
    }
    assert told["work_order.response_expired"]["limit"] == "1个工作日"
    assert (
        told["work_order.responded"]["within_limit"],
        told["work_order.responded"]["after_expiry"],
    ) == (False, True)
    assert (told["work_order.closed"]["on_time"], told["work_order.closed"]["after_overdue"]) == (
        False,
        False,
    )
    assert {d["received_on"] for d in told.values()} == {"2026-02-13"}
    rates = await hotline_client.get(
        "/api/hotline/v1/rates", params={"period": "2026-02"}, headers=office
    )
    [row] = rates.json()["items"]
    # Signed late (once in the denominator), closed late: both rates 0, one order overdue.
    assert (row["response_due"], row["response_rate"]) == (1, 0)
    assert (row["closing_due"], row["on_time_closing_rate"], row["overdue"]) == (1, 0, 1)


async def test_reviews_and_monthly_trend(
    hotline_client: httpx.AsyncClient, platform: Platform, factory: Factory
) -> None:
    await factory.unit("zhengwu", name="云岭市政务服务管理局")
    await factory.unit("yunzhongqu", UnitKind.district)
    visits = {"V1": "satisfied", "V2": "basically_satisfied", "V3": "dissatisfied"}
    for number, (order_no, satisfaction) in enumerate(visits.items(), start=1):
        received = _t(f"2026-0{number}-10 09:00")
        await platform.send(
            "work_order.created",
            created(order_no, occurred_at=received, received_at=received),
        )
        await platform.send(
            "work_order.visited",
            {
                "order_no": order_no,
                "occurred_at": _t(f"2026-0{number}-20 09:00"),
                "satisfaction": satisfaction,
                "resolved": satisfaction != "dissatisfied",
            },
        )
    office = factory.headers("office", Role.office_admin, None)
    summary = await hotline_client.get(
        "/api/hotline/v1/reviews/summary", params={"period": "2026-Q1"}, headers=office
    )
    assert summary.json()["items"] == [
        {
            "unit_code": "zhengwu",
            "unit_name": "云岭市政务服务管理局",
            "good": 2,
            "bad": 1,
            "total": 3,
            "good_rate": round(2 / 3, 4),
        }
    ]
    bad = await hotline_client.get(
        "/api/hotline/v1/reviews", params={"rating": "bad"}, headers=office
    )
    assert [(r["order_no"], r["rating"]) for r in bad.json()["items"]] == [("V3", "bad")]
    trend = await hotline_client.get(
        "/api/hotline/v1/rates/zhengwu/trend", params={"year": 2026}, headers=office
    )
    points = trend.json()["points"]
    assert [p["period"] for p in points[:4]] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert [p["satisfaction_rate"] for p in points[:4]] == [1.0, 1.0, 0.0, None]
    other = await hotline_client.get(
        "/api/hotline/v1/rates/zhengwu/trend",
        headers=factory.headers("shuiwu", Role.unit, "shuiwu"),
    )
    assert other.status_code == 404


async def test_2027_is_provisional_with_weekend_holidays_made_up(session: AsyncSession) -> None:
    calendar = await load(session)
    # Labour Day 2027 falls on a weekend: made up on Monday 3 and Tuesday 4 May (provisional).
    assert not calendar.is_workday(datetime(2027, 5, 3).date())
    assert not calendar.is_workday(datetime(2027, 5, 4).date())
    assert calendar.is_workday(datetime(2027, 5, 6).date())


async def test_the_schedulers_round_calls_a_sweep_again_until_every_due_order_is_told(
    tasks_client: httpx.AsyncClient,
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    factory: Factory,
    settings: Any,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.hotline_ingest.sweep import service as sweeps
    from services.scheduler.jobs import hotline_sweeps
    from shared import clock
    from shared.http import ServiceTokens

    monkeypatch.setattr(sweeps, "BATCH", 1)
    await factory.unit("zhengwu")
    await factory.unit("yunzhongqu", UnitKind.district)
    await factory.programme("2026")
    for n in range(3):
        await platform.send("work_order.created", created(f"SC{n}", due_at=_t("2026-06-02 10:00")))
    clock.freeze(datetime(2026, 6, 20, 4, tzinfo=ZoneInfo("UTC")))
    try:
        await hotline_sweeps(
            hotline_client,
            settings.model_copy(update={"hotline_url": ""}),
            ServiceTokens(settings),
        )
    finally:
        clock.freeze(None)
    told = (
        await session.scalars(
            select(OutboxEvent.type).where(
                OutboxEvent.type.in_(["work_order.overdue", "work_order.response_expired"])
            )
        )
    ).all()
    # Never signed (limit 5 working days from 1 June) and past due: each told once.
    assert sorted(told) == ["work_order.overdue"] * 3 + ["work_order.response_expired"] * 3


async def test_sql_signing_deadline_agrees_with_python_for_every_urgency_and_kind(
    session: AsyncSession, settings: Any
) -> None:
    """`hotline.signing_deadline` (the `within_limit` told with each signing) and
    `shared.hotline_rates.signing_deadline` (the sweep, the live table) agree: minutes for an
    urgent order, working days per kind otherwise, over a year of starting times."""
    from services.hotline_ingest.webhook.repository import limits_json
    from shared.appeals import URGENCIES
    from shared.hotline_rates import signing_deadline

    calendar = await load(session)
    starts = [datetime(2026, 1, 1, 9, 37, tzinfo=SH) + timedelta(hours=29 * i) for i in range(302)]
    kinds = ["consult", "complaint", "help", "suggestion", "report"]
    rows = (
        await session.execute(
            text(
                "SELECT s.at, k.kind, u.urgency,"
                " hotline.signing_deadline(s.at, k.kind, u.urgency, CAST(:limits AS jsonb))"
                " FROM unnest(CAST(:starts AS timestamptz[])) AS s(at),"
                " unnest(CAST(:kinds AS text[])) AS k(kind),"
                " unnest(CAST(:urgencies AS text[])) AS u(urgency)"
            ),
            {
                "starts": starts,
                "kinds": kinds,
                "urgencies": list(URGENCIES),
                "limits": limits_json(settings),
            },
        )
    ).all()
    assert len(rows) == 302 * 5 * 3
    wrong = [
        (at, kind, urgency)
        for at, kind, urgency, due in rows
        if due != signing_deadline(calendar, settings, at, kind, urgency)
    ]
    assert wrong == []


async def test_an_urgent_order_must_be_signed_within_minutes(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    factory: Factory,
    session: AsyncSession,
) -> None:
    """Issue #26: a risk to life or property is signed within 15 minutes, a utilities outage
    within 30 (office defaults), whatever the working calendar says."""
    await factory.unit("zhengwu")
    await factory.unit("yunzhongqu", UnitKind.district)
    received = _t("2026-06-06 22:00")  # a Saturday night
    for order_no, urgency in (
        ("UR1", "life_property"),
        ("UR2", "life_property"),
        ("UR3", "utilities"),
    ):
        data = created(order_no, urgency=urgency, occurred_at=received, received_at=received)
        assert (await platform.send("work_order.created", data)).status_code == 200
    await platform.send(
        "work_order.accepted", {"order_no": "UR1", "occurred_at": _t("2026-06-06 22:10")}
    )
    await platform.send(
        "work_order.accepted", {"order_no": "UR3", "occurred_at": _t("2026-06-06 22:40")}
    )
    from shared import clock

    office = factory.headers("office", Role.office_admin, "gaigeban")
    clock.freeze(datetime(2026, 6, 6, 14, 16, tzinfo=ZoneInfo("UTC")))  # 22:16 in Shanghai
    try:
        swept = await hotline_client.post("/api/hotline/v1/sweeps/response-expiry", headers=office)
    finally:
        clock.freeze(None)
    assert swept.json()["announced"] == 1
    told = {
        (e.type, e.data["order_no"]): e.data for e in await session.scalars(select(OutboxEvent))
    }
    assert told[("work_order.responded", "UR1")]["within_limit"] is True
    assert told[("work_order.responded", "UR3")]["within_limit"] is False  # 40 min > 30
    assert told[("work_order.response_expired", "UR2")]["limit"] == "15分钟"
    detail = await hotline_client.get("/api/hotline/v1/work-orders/UR2", headers=office)
    assert detail.json()["urgency"] == "life_property"
