"""A work order's state from all its events, ordered by occurred_at (then by lifecycle step), so
any arrival order gives the same result (seed 004: tracking of every appeal)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

STEP = {
    "work_order.created": 0,
    "work_order.assigned": 1,
    "work_order.returned": 2,
    "work_order.accepted": 3,
    "work_order.extended": 4,
    "work_order.replied": 5,
    "work_order.closed": 6,
    "work_order.visited": 7,
}
STATUS = {
    "work_order.created": "created",
    "work_order.assigned": "assigned",
    "work_order.returned": "returned",
    "work_order.accepted": "accepted",
    "work_order.replied": "replied",
    "work_order.closed": "closed",
    "work_order.visited": "visited",
}


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def derive(events: list[tuple[str, datetime, dict[str, Any]]]) -> dict[str, Any]:
    """(type, occurred_at, data) → the work order's fields."""
    state: dict[str, Any] = {"status": "created"}
    for kind, occurred_at, data in sorted(events, key=lambda e: (e[1], STEP.get(e[0], 99))):
        if kind == "work_order.created":
            for field in (
                "channel",
                "kind",
                "title",
                "content",
                "category_code",
                "district_code",
                "enterprise_name",
                "credit_code",
            ):
                state[field] = data.get(field)
            state["received_at"] = _when(data["received_at"])
            state.setdefault("handling_unit_code", data.get("handling_unit_code"))
            state.setdefault("due_at", _when(data["due_at"]))
        elif kind == "work_order.assigned":
            state["handling_unit_code"] = data["handling_unit_code"]
            state["due_at"] = _when(data["due_at"])
        elif kind == "work_order.extended":
            state["due_at"] = _when(data["new_due_at"])
        elif kind == "work_order.accepted":
            state["accepted_at"] = state.get("accepted_at") or occurred_at
        elif kind == "work_order.replied":
            state["replied_at"], state["reply"] = occurred_at, data.get("reply")
        elif kind == "work_order.closed":
            state["closed_at"] = occurred_at
        elif kind == "work_order.visited":
            state["visited_at"] = occurred_at
            state["satisfaction"], state["resolved"] = (
                data.get("satisfaction"),
                data.get("resolved"),
            )
        elif kind == "work_order.returned":
            state["returned_reason"] = data.get("reason")
        if kind in STATUS:
            state["status"] = STATUS[kind]
    return state
