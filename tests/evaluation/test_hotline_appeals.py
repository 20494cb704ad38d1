"""Evaluation's side of issue #26: a dissatisfied visit the office overturned on appeal
(`work_order.visit_overturned`) leaves the unit's satisfaction rate — not its resolution rate —
and explain names it with the reason; 先行联系 (`work_order.first_contacted`) is counted and
shown as a rate, not scored. The same counts whether added up event by event or recomputed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from shared.models import Role
from tests.conftest import Factory
from tests.evaluation.conftest import Events

OFFICE = ("office", Role.office_admin, "gaigeban")
JUNE = datetime(2026, 6, 10, 2, tzinfo=UTC)


def _hotline(body: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in body["components"] if c["key"] == "hotline")


async def _explain(client: httpx.AsyncClient, factory: Factory) -> dict[str, Any]:
    response = await client.get(
        "/api/evaluation/v1/units/zhengwu/explain",
        params={"period": "2026", "as_of": "2026-12-31"},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 200, response.text
    return _hotline(response.json())


async def test_an_overturned_visit_leaves_the_satisfaction_rate_and_explain_says_why(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    order = {"kind": "complaint", "district_code": None}
    for order_no, satisfaction in (("AV1", "satisfied"), ("AV2", "dissatisfied")):
        await events.send("work_order.created", "zhengwu", JUNE, {**order, "order_no": order_no})
        await events.send(
            "work_order.visited",
            "zhengwu",
            JUNE,
            {
                **order,
                "order_no": order_no,
                "satisfaction": satisfaction,
                "resolved": satisfaction == "satisfied",
            },
        )
    for order_no, in_time in (("AV1", True), ("AV2", False)):
        await events.send(
            "work_order.first_contacted",
            "zhengwu",
            JUNE,
            {**order, "order_no": order_no, "within_limit": in_time},
        )
    before = await _explain(evaluation_client, factory)
    assert before["detail"]["satisfaction_rate"] == 0.5

    await events.send(
        "work_order.visit_overturned",
        "zhengwu",
        JUNE,
        {**order, "order_no": "AV2", "reason": "诉求超出政策范围", "appeal_id": 7},
    )
    hotline = await _explain(evaluation_client, factory)
    detail = hotline["detail"]
    assert (detail["visited"], detail["satisfied"], detail["overturned"]) == (2, 1, 1)
    assert detail["satisfaction_rate"] == 1.0
    assert detail["resolution_rate"] == 0.5  # only the satisfaction rate
    assert (detail["first_contacted_in_time"], detail["first_contact_rate"]) == (1, 0.5)
    assert hotline["points"] > before["points"]
    reasons = [e["rule"] for e in hotline["entries"]]
    assert any("AV2" in r and "诉求超出政策范围" in r and "不计入满意率" in r for r in reasons)

    recomputed = await evaluation_client.post(
        "/api/evaluation/v1/recompute",
        params={"programme": "2026"},
        headers=factory.headers(*OFFICE),
    )
    assert recomputed.status_code in (200, 202), recomputed.text
    again = await _explain(evaluation_client, factory)
    assert again["detail"] == detail
