"""Live scores move with each event, exactly once; explanations name the events; as-of dates
see the past; units read only their own breakdown (issue: evaluation)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared.models import Role
from tests.conftest import Factory
from tests.evaluation.conftest import Events, publish_rule_set
from tests.event_data import event_data

OFFICE = ("office", Role.office_admin, "gaigeban")
JUNE = datetime(2026, 6, 10, 2, tzinfo=UTC)
SEPT = datetime(2026, 9, 10, 2, tzinfo=UTC)


async def _score(
    client: httpx.AsyncClient, factory: Factory, unit: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        "/api/evaluation/v1/scores",
        params={"period": "2026", **params},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 200, response.text
    return next(i for i in response.json()["items"] if i["unit_code"] == unit)


def _component(score: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in score["components"] if c["key"] == key)


@pytest.mark.usefixtures("deduction_model")
async def test_lagging_milestone_deducts_once_even_if_delivered_twice(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    envelope = events.envelope(
        "milestone.lagging",
        "shichang",
        JUNE,
        {"task_number": 3, "severity": "lagging", "days_late": 5},
    )
    first = await events.post(envelope)
    second = await events.post(envelope)
    assert first.json()["duplicate"] is False
    assert second.json()["duplicate"] is True

    score = await _score(evaluation_client, factory, "shichang")
    assert _component(score, "task_delivery")["points"] == 39.5  # 40 − 0.5
    assert score["total"] == 99.5
    assert score["grade"] == "优秀"


async def test_district_is_scored_out_of_80_and_hotline_counts_for_the_district(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    """Issue #19, fix 3: a city department's order counts for the district it came from only
    if the rule set says so (office default: only for the handling unit)."""
    for n, (resolved, satisfaction) in enumerate(
        [
            (True, "satisfied"),
            (False, "dissatisfied"),
            (True, "basically_satisfied"),
            (True, "dissatisfied"),
        ]
    ):
        await events.send(
            "work_order.visited",
            "shuiwu",
            JUNE,
            {
                "order_no": f"WO{n}",
                "kind": "complaint",
                "district_code": "yunzhongqu",
                "resolved": resolved,
                "satisfaction": satisfaction,
            },
        )
    rates = 0.3 + 0.3 * 0.75 + 0.4 * 0.5
    district = await _score(evaluation_client, factory, "yunzhongqu")
    assert district["max_total"] == 80
    assert _component(district, "hotline")["points"] == 20  # not its order: untouched
    department = await _score(evaluation_client, factory, "shuiwu")
    assert abs(_component(department, "hotline")["points"] - 15 * rates) < 1e-6

    await publish_rule_set(
        evaluation_client, factory, {"hotline": {"counts_for_origin_district": True}}
    )
    district = await _score(evaluation_client, factory, "yunzhongqu")
    # 20 × (0.3 × 1 + 0.3 × 3/4 + 0.4 × 2/4)
    assert abs(_component(district, "hotline")["points"] - 20 * rates) < 1e-6
    department = await _score(evaluation_client, factory, "shuiwu")
    assert abs(_component(department, "hotline")["points"] - 15 * rates) < 1e-6


async def test_consultations_count_only_where_the_rule_set_says_so(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    for n, kind in enumerate(("consult", "complaint")):
        await events.send(
            "work_order.visited",
            "shuiwu",
            JUNE,
            {"order_no": f"ZX{n}", "kind": kind, "resolved": False, "satisfaction": "dissatisfied"},
        )
    hotline = _component(await _score(evaluation_client, factory, "shuiwu"), "hotline")
    assert (hotline["detail"]["visited"], hotline["detail"]["satisfaction_rate"]) == (1, 0)
    await publish_rule_set(evaluation_client, factory, {"hotline": {"counts_consultations": True}})
    hotline = _component(await _score(evaluation_client, factory, "shuiwu"), "hotline")
    assert hotline["detail"]["visited"] == 2


async def test_as_of_a_past_date_ignores_later_events(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    await events.send(
        "supervision.escalated", "zhengwu", JUNE, {"level": "first", "unit": "zhengwu"}
    )
    await events.send(
        "supervision.escalated", "zhengwu", SEPT, {"level": "second", "unit": "zhengwu"}
    )
    live = await _score(evaluation_client, factory, "zhengwu")
    july = await _score(evaluation_client, factory, "zhengwu", as_of="2026-07-01")
    assert _component(live, "supervision")["points"] == 10 - 1 - 3
    assert _component(july, "supervision")["points"] == 10 - 1
    q2 = await _score(evaluation_client, factory, "zhengwu", period="2026-Q2")
    assert _component(q2, "supervision")["points"] == 9


@pytest.mark.usefixtures("deduction_model")
async def test_explain_names_the_events_that_cost_points(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    lagging = await events.send(
        "milestone.lagging", "shichang", JUNE, {"task_number": 7, "severity": "seriously_lagging"}
    )
    await events.send("task.closed_out", "shichang", SEPT, {"task_number": 7, "on_time": True})
    response = await evaluation_client.get(
        "/api/evaluation/v1/units/shichang/explain",
        params={"period": "2026", "as_of": "2026-12-31"},
        headers=factory.headers("shichang", Role.lead_unit, "shichang"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    delivery = next(c for c in body["components"] if c["key"] == "task_delivery")
    assert delivery["points"] == 39
    assert [(e["event_id"], e["rule"], e["points"]) for e in delivery["entries"]] == [
        (lagging["id"], "milestone_seriously_lagging", -1)
    ]
    assert "满分40分" in delivery["formula"]


async def test_unit_cannot_read_another_units_explanation(
    evaluation_client: httpx.AsyncClient, factory: Factory, city: dict[str, Any]
) -> None:
    response = await evaluation_client.get(
        "/api/evaluation/v1/units/shichang/explain",
        headers=factory.headers("shuiwu", Role.unit, "shuiwu"),
    )
    assert response.status_code == 404
    listing = await evaluation_client.get(
        "/api/evaluation/v1/scores",
        params={"period": "2026", "as_of": "2026-12-31"},
        headers=factory.headers("shuiwu", Role.unit, "shuiwu"),
    )
    by_unit = {i["unit_code"]: i for i in listing.json()["items"]}
    assert by_unit["shuiwu"]["components"]
    assert by_unit["shichang"]["components"] == []  # totals are public, breakdowns are not


@pytest.mark.usefixtures("deduction_model")
async def test_event_for_unknown_unit_is_parked_and_replayed_after_the_unit_exists(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    envelope = await events.send("milestone.lagging", "xinbumen", JUNE, {"severity": "lagging"})
    parked = await evaluation_client.get(
        "/api/evaluation/v1/parked-events", headers=factory.headers(*OFFICE)
    )
    items = parked.json()["items"]
    assert [p["event_id"] for p in items] == [envelope["id"]]
    assert "xinbumen" in items[0]["reason"]

    early = await evaluation_client.post(
        f"/api/evaluation/v1/parked-events/{items[0]['id']}/replay",
        headers=factory.headers(*OFFICE),
    )
    assert early.status_code == 409

    await factory.unit("xinbumen")
    replay = await evaluation_client.post(
        f"/api/evaluation/v1/parked-events/{items[0]['id']}/replay",
        headers=factory.headers(*OFFICE),
    )
    assert replay.status_code == 200, replay.text
    score = await _score(evaluation_client, factory, "xinbumen")
    assert _component(score, "task_delivery")["points"] == 39.5


@pytest.mark.usefixtures("deduction_model")
async def test_data_that_does_not_fit_the_catalogue_is_parked_never_scored_with_defaults(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    """Issue #19: a renamed key (`ontime` for `on_time`) used to be read with a default (on
    time) and silently drop the penalty. Now the event is parked with the field named, the score
    is untouched, and replaying it cannot apply it either; a correct event does cost the point."""
    late = {"on_time": False, "days_late": 4, "completed_on": "2026-04-04"}
    renamed = event_data("milestone.completed", "shichang", late)
    renamed["ontime"] = renamed.pop("on_time")
    bad = events.envelope("milestone.completed", "shichang", JUNE, renamed, raw=True)
    assert (await events.post(bad)).json()["duplicate"] is False
    office_input = events.envelope("inspection.recorded", "shichang", JUNE, {}, raw=True)
    await events.post(office_input)  # entered in evaluation itself, never sent to it

    parked = await evaluation_client.get(
        "/api/evaluation/v1/parked-events", headers=factory.headers(*OFFICE)
    )
    reasons = {p["event_id"]: p["reason"] for p in parked.json()["items"]}
    assert set(reasons) == {bad["id"], office_input["id"]}
    assert "on_time" in reasons[bad["id"]]
    assert "ontime" in reasons[bad["id"]]
    assert "inspection.recorded" in reasons[office_input["id"]]
    score = await _score(evaluation_client, factory, "shichang")
    assert _component(score, "task_delivery")["points"] == 40
    for item in parked.json()["items"]:
        replay = await evaluation_client.post(
            f"/api/evaluation/v1/parked-events/{item['id']}/replay",
            headers=factory.headers(*OFFICE),
        )
        assert replay.status_code == 409, replay.text

    await events.send("milestone.completed", "shichang", JUNE, late)
    score = await _score(evaluation_client, factory, "shichang")
    assert _component(score, "task_delivery")["points"] == 39.8  # milestone_late −0.2


@pytest.mark.usefixtures("deduction_model")
async def test_external_top_ten_gives_lead_unit_full_marks_and_excellent(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    for _ in range(3):
        await events.send(
            "supervision.escalated", "shuiwu", JUNE, {"level": "accountability", "unit": "shuiwu"}
        )
    for _ in range(12):
        await events.send("milestone.lagging", "shuiwu", JUNE, {"severity": "seriously_lagging"})
    before = await _score(evaluation_client, factory, "shuiwu")
    assert before["total"] == 78
    assert before["grade"] == "一般"
    response = await evaluation_client.post(
        "/api/evaluation/v1/external-ranks",
        json={"year": 2025, "indicator": "纳税", "lead_unit": "shuiwu", "national_rank": 8},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 201, response.text
    after = await _score(evaluation_client, factory, "shuiwu")
    assert after["total"] == after["max_total"] == 100
    assert after["grade"] == "优秀"
    explain = await evaluation_client.get(
        "/api/evaluation/v1/units/shuiwu/explain",
        params={"period": "2026"},
        headers=factory.headers(*OFFICE),
    )
    assert "部门主要负责人年终考核定为优秀" in explain.json()["override"]


@pytest.mark.usefixtures("deduction_model")
async def test_external_rank_paths_follow_seed_001_exactly(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    """Issue #19, fix 6: provincial first gives full marks as national top 10 does; provincial
    second or national 11th gives nothing; the head's 优秀 is recorded with the rank; a district
    is never an indicator's lead department."""
    office = factory.headers(*OFFICE)
    for unit in ("shuiwu", "shichang"):
        await events.send("milestone.lagging", unit, JUNE, {"severity": "seriously_lagging"})
    ranks = [
        {"indicator": "纳税", "lead_unit": "shuiwu", "provincial_rank": 1},
        {
            "indicator": "开办企业",
            "lead_unit": "shichang",
            "provincial_rank": 2,
            "national_rank": 11,
        },
    ]
    for rank in ranks:
        response = await evaluation_client.post(
            "/api/evaluation/v1/external-ranks", json={"year": 2025, **rank}, headers=office
        )
        assert response.status_code == 201, response.text
    assert (await _score(evaluation_client, factory, "shuiwu"))["total"] == 100
    near_miss = await _score(evaluation_client, factory, "shichang")
    assert (near_miss["total"], near_miss["grade"]) == (99, "优秀")  # 99 % of 100: by points
    listed = await evaluation_client.get("/api/evaluation/v1/external-ranks", headers=office)
    by_unit = {r["lead_unit"]: r for r in listed.json()["items"]}
    assert by_unit["shuiwu"]["full_marks"] is True
    assert "部门主要负责人年终考核定为优秀等次" in by_unit["shuiwu"]["consequence"]
    assert (by_unit["shichang"]["full_marks"], by_unit["shichang"]["consequence"]) == (False, "")
    district = await evaluation_client.post(
        "/api/evaluation/v1/external-ranks",
        json={"year": 2025, "indicator": "获得电力", "lead_unit": "yunzhongqu", "national_rank": 3},
        headers=office,
    )
    assert district.status_code == 422
    assert district.json()["errors"][0]["loc"] == ["body", "lead_unit"]


async def test_inspection_deduction_and_survey_feed_the_score(
    evaluation_client: httpx.AsyncClient, factory: Factory, city: dict[str, Any]
) -> None:
    office = factory.headers(*OFFICE)
    inspection = await evaluation_client.post(
        "/api/evaluation/v1/inspections",
        json={
            "unit_code": "zhengwu",
            "inspected_on": "2026-05-12",
            "mode": "unannounced",
            "finding": "窗口人员脱岗，群众等候超过30分钟",
            "deduction": 1.5,
        },
        headers=office,
    )
    assert inspection.status_code == 201, inspection.text
    survey = await evaluation_client.post(
        "/api/evaluation/v1/surveys",
        json={"period": "2026-H1", "unit_code": "zhengwu", "score": 80, "respondents": 320},
        headers=office,
    )
    assert survey.status_code == 201, survey.text
    score = await _score(evaluation_client, factory, "zhengwu")
    assert _component(score, "inspection")["points"] == 3.5
    assert _component(score, "survey")["points"] == 8.0
    unknown = await evaluation_client.post(
        "/api/evaluation/v1/inspections",
        json={
            "unit_code": "nope",
            "inspected_on": "2026-05-12",
            "mode": "scheduled",
            "finding": "未知单位",
            "deduction": 1,
        },
        headers=office,
    )
    assert unknown.status_code == 422
    denied = await evaluation_client.post(
        "/api/evaluation/v1/inspections",
        json={
            "unit_code": "zhengwu",
            "inspected_on": "2026-05-12",
            "mode": "scheduled",
            "finding": "自己给自己",
            "deduction": 0,
        },
        headers=factory.headers("zhengwu", Role.unit, "zhengwu"),
    )
    assert denied.status_code == 403


async def test_latest_rating_version_counts_whatever_the_arrival_order(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    newer = events.envelope(
        "rating.submitted",
        "shuiwu",
        SEPT,
        {
            "window": "2026-Q3",
            "task_number": 4,
            "rater_unit": "shichang",
            "score": 90,
            "scale_max": 100,
            "version": 2,
        },
    )
    older = events.envelope(
        "rating.submitted",
        "shuiwu",
        SEPT,
        {
            "window": "2026-Q3",
            "task_number": 4,
            "rater_unit": "shichang",
            "score": 50,
            "scale_max": 100,
            "version": 1,
        },
    )
    await events.post(newer)
    await events.post(older)
    score = await _score(evaluation_client, factory, "shuiwu")
    assert _component(score, "lead_rating")["points"] == 13.5  # 15 × 0.9


def _survey_xlsx(rows: list[tuple[object, ...]]) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2026年上半年万企评机关结果"])
    sheet.append(["考核期", "单位", "得分", "参评企业数"])
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_survey_import_is_all_or_nothing_with_row_and_column(
    evaluation_client: httpx.AsyncClient, factory: Factory, city: dict[str, Any]
) -> None:
    office = factory.headers(*OFFICE)
    bad = _survey_xlsx(
        [
            ("2026-H1", "zhengwu", 85, 300),
            ("2026-H1", "不存在的局", 70, 10),
            ("2026-H3", "shuiwu", 90, 100),
        ]
    )
    response = await evaluation_client.post(
        "/api/evaluation/v1/surveys/import",
        params={"dry_run": "false"},
        files={"file": ("survey.xlsx", bad)},
        headers=office,
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [
        ["sheet", 4, "单位"],
        ["sheet", 5, "考核期"],
    ]
    listed = await evaluation_client.get("/api/evaluation/v1/surveys", headers=office)
    assert listed.json()["total"] == 0

    good = _survey_xlsx([("2026-H1", "云岭市zhengwu局", 85, 300), ("2026-H1", "shuiwu", 72.5, 90)])
    dry = await evaluation_client.post(
        "/api/evaluation/v1/surveys/import", files={"file": ("s.xlsx", good)}, headers=office
    )
    assert dry.json() == {"rows": 2, "dry_run": True}
    assert (await evaluation_client.get("/api/evaluation/v1/surveys", headers=office)).json()[
        "total"
    ] == 0
    applied = await evaluation_client.post(
        "/api/evaluation/v1/surveys/import",
        params={"dry_run": "false"},
        files={"file": ("s.xlsx", good)},
        headers=office,
    )
    assert applied.json() == {"rows": 2, "dry_run": False}
    listed = await evaluation_client.get("/api/evaluation/v1/surveys", headers=office)
    assert {(s["unit_code"], s["score"]) for s in listed.json()["items"]} == {
        ("zhengwu", 85),
        ("shuiwu", 72.5),
    }
    garbage = await evaluation_client.post(
        "/api/evaluation/v1/surveys/import",
        files={"file": ("s.xlsx", b"not a zip")},
        headers=office,
    )
    assert garbage.status_code == 422


@pytest.mark.usefixtures("deduction_model")
async def test_lagging_milestone_counts_against_its_responsible_districts_too(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    await events.send(
        "milestone.lagging",
        "shichang",
        JUNE,
        {"task_number": 1, "severity": "lagging", "responsible_units": ["yunzhongqu", "zhengwu"]},
    )
    for unit, expected in (
        ("shichang", 39.5),
        ("zhengwu", 39.5),
        ("yunzhongqu", 29.5),
        ("hexiqu", 30),
    ):
        score = await _score(evaluation_client, factory, unit)
        assert _component(score, "task_delivery")["points"] == expected, unit


@pytest.mark.usefixtures("deduction_model")
async def test_escalation_to_seriously_lagging_costs_the_same_as_a_direct_one(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    await events.send("milestone.lagging", "shichang", JUNE, {"severity": "lagging"})
    await events.send(
        "milestone.lagging",
        "shichang",
        SEPT,
        {"severity": "seriously_lagging", "previous_severity": "lagging"},
    )
    await events.send("milestone.lagging", "shuiwu", SEPT, {"severity": "seriously_lagging"})
    for unit in ("shichang", "shuiwu"):
        score = await _score(evaluation_client, factory, unit)
        assert _component(score, "task_delivery")["points"] == 39, unit


@pytest.mark.usefixtures("deduction_model")
async def test_a_reversed_lag_and_a_withdrawn_completion_give_the_points_back_visibly(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    """Issue #19, fix 1: a lagging penalty for a milestone found done on time is reversed by an
    event of its own, for the lead and every responsible unit, and explain shows it; a late
    completion the office refuses to close out no longer costs its lateness."""
    await factory.unit("shichang")
    await factory.unit("yunzhongqu")
    units = {"lead_unit": "shichang", "responsible_units": ["yunzhongqu"], "task_number": 1}
    await events.send(
        "milestone.lagging",
        "shichang",
        datetime(2026, 4, 2, tzinfo=UTC),
        {**units, "milestone": 1, "severity": "seriously_lagging"},
    )
    for unit in ("shichang", "yunzhongqu"):
        assert (
            _component(await _score(evaluation_client, factory, unit), "task_delivery")["points"]
            == 39
        )
    await events.send(
        "milestone.lag_reversed",
        "shichang",
        datetime(2026, 4, 10, tzinfo=UTC),
        {**units, "milestone": 1, "from_severity": "seriously_lagging", "to_severity": "none"},
    )
    for unit in ("shichang", "yunzhongqu"):
        assert (
            _component(await _score(evaluation_client, factory, unit), "task_delivery")["points"]
            == 40
        )
    explain = await evaluation_client.get(
        "/api/evaluation/v1/units/yunzhongqu/explain",
        params={"period": "2026"},
        headers=factory.headers(*OFFICE),
    )
    entries = _component(explain.json(), "task_delivery")["entries"]
    assert [(e["rule"], e["points"]) for e in entries] == [
        ("milestone_seriously_lagging", -1),
        ("milestone_lag_reversed", 1),
    ]

    await events.send(
        "milestone.completed",
        "shichang",
        datetime(2026, 5, 8, tzinfo=UTC),
        {**units, "milestone": 2, "on_time": False, "days_late": 8},
    )
    late = _component(await _score(evaluation_client, factory, "shichang"), "task_delivery")
    assert late["points"] == 39.8
    await events.send(
        "milestone.reopened",
        "shichang",
        datetime(2026, 5, 20, tzinfo=UTC),
        {**units, "milestone": 2, "on_time": False, "days_late": 8},
    )
    back = _component(await _score(evaluation_client, factory, "shichang"), "task_delivery")
    assert back["points"] == 40
