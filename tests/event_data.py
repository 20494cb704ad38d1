"""Complete, valid event data for tests: a sample per catalogue type, with the test's own values
on top. Tests name only what they are about; the rest is what a real producer sends."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.events import parse_data


def _milestone(unit: str) -> dict[str, Any]:
    return {
        "task_number": 1,
        "milestone": 1,
        "title": "完成事项清单",
        "planned_date": "2026-03-31",
        "baseline_date": None,
        "lead_unit": unit,
        "responsible_units": [],
    }


def _order() -> dict[str, Any]:
    return {
        "order_no": "GD0001",
        "kind": "complaint",
        "district_code": None,
        "received_on": "2026-06-01",
    }


def _samples(unit: str) -> dict[str, dict[str, Any]]:
    done = {"completed_on": "2026-03-31", "on_time": True, "days_late": 0}
    return {
        "milestone.completed": {**_milestone(unit), **done},
        "milestone.lagging": {
            **_milestone(unit),
            "severity": "lagging",
            "previous_severity": "none",
            "days_late": 1,
            "as_of": "2026-04-01",
        },
        "milestone.lag_reversed": {
            **_milestone(unit),
            "completed_on": "2026-03-31",
            "from_severity": "lagging",
            "to_severity": "none",
        },
        "milestone.reopened": {**_milestone(unit), **done, "reason": "佐证材料不足"},
        "task.closed_out": {
            "task_number": 1,
            "lead_unit": unit,
            "responsible_units": [],
            "deadline": "2026-12-31",
            "closed_out_on": "2026-11-30",
            "on_time": True,
        },
        "rating.submitted": {
            "window": "2026-H1",
            "task_number": 1,
            "rater_unit": "fagai",
            "rated_unit": unit,
            "score": 90.0,
            "scale_max": 100.0,
            "version": 1,
        },
        "supervision.escalated": {
            "supervision_id": 1,
            "parent_id": None,
            "level": "first",
            "unit": unit,
            "reason": "时间节点严重滞后",
            "task_number": 1,
            "milestone": 1,
            "problem_number": None,
            "issued_on": "2026-05-01",
            "due_on": "2026-05-08",
        },
        "problem.overdue": {
            "problem_number": 1,
            "unit": unit,
            "found_on": "2026-03-01",
            "due_on": "2026-04-01",
            "as_of": "2026-04-02",
            "days_overdue": 1,
        },
        "problem.closed": {
            "problem_number": 1,
            "unit": unit,
            "source": "inspection",
            "found_on": "2026-03-01",
            "due_on": "2026-04-01",
            "closed_on": "2026-03-20",
            "on_time": True,
        },
        "work_order.created": {**_order(), "category_code": None, "domain_code": None},
        "work_order.responded": {**_order(), "within_limit": True, "after_expiry": False},
        "work_order.response_expired": {**_order(), "limit": "1个工作日"},
        "work_order.visited": {**_order(), "resolved": True, "satisfaction": "satisfied"},
        "work_order.overdue": {**_order(), "working_days_over": 1},
        "work_order.closed": {**_order(), "on_time": True, "after_overdue": False},
        "work_order.first_contacted": {**_order(), "within_limit": True},
        "work_order.visit_overturned": {
            **_order(),
            "reason": "诉求人诉求超出政策范围",
            "appeal_id": 1,
        },
        "work_order.linked_as_repeat": {**_order(), "repeat_of": "GD0000", "version": 1},
        "work_order.unlinked": {**_order(), "version": 2},
        "work_order.escalated": {**_order(), "limit_kind": "signing"},
        "programme.created": {
            "code": "2027",
            "year": 2027,
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "copy_from": "2026",
        },
        "programme.closed": {
            "code": "2026",
            "year": 2026,
            "closed_on": "2027-01-20",
            "closed_by": "office",
        },
        "tour.published": {
            "round_code": "2026-mid",
            "round_name": "2026年年中“4+2”项目观摩",
            "held_on": "2026-07-03",
            "total": 85.0,
            "max_total": 100.0,
            "rank": 1,
            "districts": 2,
        },
    }


def event_data(
    event_type: str,
    unit: str,
    overrides: dict[str, Any] | None = None,
    *,
    day: date | None = None,
) -> dict[str, Any]:
    """A complete `event_type` payload for `unit` with `overrides` on top, checked against the
    catalogue (a test cannot send what no producer could). A work order is received on `day`
    (the event's own day, unless the test says otherwise)."""
    data = _samples(unit)[event_type]
    if day is not None and "received_on" in data:
        data["received_on"] = day.isoformat()
    data = {**data, **(overrides or {})}
    parse_data(event_type, data)
    return data
