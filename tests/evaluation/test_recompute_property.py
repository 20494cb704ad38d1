"""A full recompute from facts gives exactly the incremental result, for any sequence of events,
with duplicates and in any arrival order (hypothesis)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.evaluation.rule_set.schemas import (
    HotlineComponent,
    deduction_task_delivery,
    default_rule_set,
)
from shared.models import ParkedEvent, Role, Score, UnitKind
from tests.conftest import Factory
from tests.evaluation.conftest import add_published_rule_set
from tests.event_data import event_data

UNITS = ["shichang", "shuiwu", "yunzhongqu"]
ORDER_KINDS = ["complaint", "consult", "help"]
START = datetime(2026, 1, 1, tzinfo=UTC)

# Two tasks of two milestones each, led by the event's unit, shared or not with the district:
# enough for a milestone to fall behind, be done, reopened and done again in any order.
milestone = st.fixed_dictionaries(
    {
        "task_number": st.integers(1, 2),
        "milestone": st.integers(1, 2),
        "responsible_units": st.sampled_from([[], ["yunzhongqu"]]),
    }
)
event = st.one_of(
    st.builds(
        lambda m, s: ("milestone.lagging", {**m, "severity": s}),
        milestone,
        st.sampled_from(["lagging", "seriously_lagging"]),
    ),
    st.builds(
        lambda m, ok: ("milestone.completed", {**m, "on_time": ok}), milestone, st.booleans()
    ),
    st.builds(
        lambda m, a, b: ("milestone.lag_reversed", {**m, "from_severity": a, "to_severity": b}),
        milestone,
        st.sampled_from(["lagging", "seriously_lagging"]),
        st.sampled_from(["none", "lagging"]),
    ),
    st.builds(lambda m, ok: ("milestone.reopened", {**m, "on_time": ok}), milestone, st.booleans()),
    st.builds(lambda ok: ("task.closed_out", {"on_time": ok}), st.booleans()),
    st.builds(
        lambda lv: ("supervision.escalated", {"level": lv}),
        st.sampled_from(["first", "second", "accountability"]),
    ),
    st.just(("problem.overdue", {})),
    st.builds(
        lambda ok, after, kind: (
            "work_order.responded",
            {
                "within_limit": ok,
                "after_expiry": after,
                "district_code": "yunzhongqu",
                "kind": kind,
            },
        ),
        st.booleans(),
        st.booleans(),
        st.sampled_from(ORDER_KINDS),
    ),
    st.builds(
        lambda kind: ("work_order.response_expired", {"district_code": "yunzhongqu", "kind": kind}),
        st.sampled_from(ORDER_KINDS),
    ),
    st.builds(
        lambda ok, after, kind: (
            "work_order.closed",
            {"on_time": ok, "after_overdue": after, "district_code": "yunzhongqu", "kind": kind},
        ),
        st.booleans(),
        st.booleans(),
        st.sampled_from(ORDER_KINDS),
    ),
    st.builds(
        lambda kind: ("work_order.overdue", {"district_code": "yunzhongqu", "kind": kind}),
        st.sampled_from(ORDER_KINDS),
    ),
    st.builds(
        lambda r, s, kind: (
            "work_order.visited",
            {"resolved": r, "satisfaction": s, "district_code": "yunzhongqu", "kind": kind},
        ),
        st.booleans(),
        st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied"]),
        st.sampled_from(ORDER_KINDS),
    ),
    st.builds(
        lambda kind: ("work_order.created", {"district_code": "yunzhongqu", "kind": kind}),
        st.sampled_from(ORDER_KINDS),
    ),
    # issue #26: 先行联系 (within the limit or not) and a dissatisfied visit overturned on appeal.
    st.builds(
        lambda ok, kind: (
            "work_order.first_contacted",
            {"within_limit": ok, "district_code": "yunzhongqu", "kind": kind},
        ),
        st.booleans(),
        st.sampled_from(ORDER_KINDS),
    ),
    st.builds(
        lambda kind: (
            "work_order.visit_overturned",
            {"district_code": "yunzhongqu", "kind": kind},
        ),
        st.sampled_from(ORDER_KINDS),
    ),
    st.builds(
        lambda score, version: (
            "rating.submitted",
            {
                "window": "2026-Q2",
                "task_number": 1,
                "rater_unit": "zhengwu",
                "score": score,
                "scale_max": 100,
                "version": version,
            },
        ),
        st.integers(0, 100),
        st.integers(1, 4),
    ),
)

# (event, unit, its day, sent twice, how many days before it the order was received: a work
# order counts on its receipt day, which may lie in an earlier period or rule-set version)
sequence = st.lists(
    st.tuples(
        event, st.sampled_from(UNITS), st.integers(0, 364), st.booleans(), st.integers(0, 60)
    ),
    min_size=1,
    max_size=25,
)


async def _snapshot(session: AsyncSession) -> dict[tuple[str, str], tuple[float, str, list[Any]]]:
    rows = (await session.execute(select(Score))).scalars().all()
    return {
        (r.period, r.unit_code): (
            round(r.total, 6),
            r.grade,
            [(c["key"], round(c["points"], 6)) for c in r.components],
        )
        for r in rows
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=sequence,
    order=st.randoms(use_true_random=False),
    options=st.tuples(st.booleans(), st.booleans()),
    deductions=st.booleans(),
    no_data=st.sampled_from(["full", "redistribute"]),
)
async def test_recompute_equals_incremental(
    events: list[Any],
    order: Any,
    options: tuple[bool, bool],
    deductions: bool,
    no_data: str,
    evaluation_client: httpx.AsyncClient,
    factory: Factory,
    connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    savepoint = await connection.begin_nested()
    try:
        for code, kind in (
            ("shichang", UnitKind.department),
            ("shuiwu", UnitKind.department),
            ("zhengwu", UnitKind.department),
            ("yunzhongqu", UnitKind.district),
        ):
            await factory.unit(code, kind)
        # From July a rule set with these hotline options (for the district the order came
        # from, consultations): facts count under the version in force on their day, in the
        # engine and in the bulk SQL alike.
        # Either model of 改革任务推进 (the delivery rate or fixed deductions), either way of
        # treating a component with no data.
        body = default_rule_set()
        body.no_data = no_data  # type: ignore[assignment]
        if deductions:
            body.components = [
                deduction_task_delivery() if c.key == "task_delivery" else c
                for c in body.components
            ]
        for component in body.components:
            if isinstance(component, HotlineComponent):
                component.counts_for_origin_district, component.counts_consultations = options
        await add_published_rule_set(session, body, date(2026, 7, 1))
        headers = factory.headers("service:x", Role.service, None)
        envelopes = []
        for (event_type, data), unit, day, duplicate, received_before in events:
            received = (START + timedelta(days=max(0, day - received_before))).date()
            envelope = {
                "id": str(uuid.uuid4()),
                "type": event_type,
                "programme": "2026",
                "occurred_at": (START + timedelta(days=day, hours=3)).isoformat(),
                "unit_code": unit,
                "data": event_data(event_type, unit, data, day=received),
            }
            envelopes.append(envelope)
            if duplicate:
                envelopes.append(envelope)
        order.shuffle(envelopes)
        for envelope in envelopes:
            response = await evaluation_client.post(
                "/internal/events", json=envelope, headers=headers
            )
            assert response.status_code == 200, response.text
        incremental = await _snapshot(session)
        # Every event was applied (a parked one would make the comparison vacuous).
        assert await session.scalar(select(func.count()).select_from(ParkedEvent)) == 0

        recompute = await evaluation_client.post(
            "/api/evaluation/v1/recompute",
            params={"programme": "2026"},
            headers=factory.headers("office", Role.office_admin, "gaigeban"),
        )
        assert recompute.status_code == 200, recompute.text
        session.expire_all()
        full = await _snapshot(session)
        touched = {key: value for key, value in full.items() if key in incremental}
        assert touched == incremental
    finally:
        await session.rollback()  # ends the fixture session's own savepoint first
        await savepoint.rollback()
