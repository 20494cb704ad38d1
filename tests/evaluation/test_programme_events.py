"""Issue #21 on the evaluation side: a new programme copied from another gets that programme's
rule set as a draft (`programme.created`), and closing a programme freezes its scores as the
year's final results (`programme.closed`): the answers stay byte for byte what they were, late
facts are parked, and nothing may change them any more (409)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.models import AuditLog, Fact, ParkedEvent, Role, RuleSet, RuleSetStatus, UnitKind
from shared.models.evaluation import ClosedProgramme, FinalResult
from tests.conftest import Factory
from tests.evaluation.conftest import Events, publish_rule_set

EV = "/api/evaluation/v1"
OFFICE = ("office", Role.office_admin, "gaigeban")
CLOSED = "改革工程 2026 已结束，成绩已定格"


def programme_event(
    events: Events, event_type: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A programme event as reform_tasks sends it: no unit, the programme's own code."""
    envelope = events.envelope(event_type, "", datetime(2026, 12, 6, 2, tzinfo=UTC), data)
    envelope["unit_code"] = None
    envelope["programme"] = envelope["data"]["code"]
    return envelope


async def _versions(client: httpx.AsyncClient, factory: Factory, programme: str) -> list[Any]:
    response = await client.get(
        f"{EV}/rule-sets", params={"programme": programme}, headers=factory.headers(*OFFICE)
    )
    assert response.status_code == 200, response.text
    return sorted(response.json()["items"], key=lambda v: v["version"])


# --- programme.created: the rule set copied as a draft --------------------------------------


async def test_copy_from_gives_the_new_programme_a_draft_of_the_rules_in_force(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, session: AsyncSession
) -> None:
    await publish_rule_set(evaluation_client, factory, {"hotline": {}}, top_n=3)
    source = (await _versions(evaluation_client, factory, "2026"))[-1]
    assert source["status"] == "published"
    created = programme_event(events, "programme.created")
    await events.post(created)

    versions = await _versions(evaluation_client, factory, "2027")
    assert [(v["version"], v["status"]) for v in versions] == [(1, "published"), (2, "draft")]
    default, draft = versions
    # Until the office publishes the copy, 2027 scores with the default set from its first day.
    assert default["effective_from"] == "2027-01-01"
    assert draft["body"] == source["body"]
    assert draft["body"]["top_n"] == 3
    assert draft["note"] == f"复制自 2026 年第 {source['version']} 版"
    assert draft["effective_from"] == "2027-01-01"
    assert draft["created_by"] == "service:reform_tasks"
    audit = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "rule_set.copied", AuditLog.entity_id == "2027/v2"
        )
    )
    assert audit is not None
    assert audit.after["copied_from"] == f"2026/v{source['version']}"
    # Kept as a fact like every event, never parked as a unit's fact.
    assert (
        await session.scalar(
            select(func.count()).select_from(Fact).where(Fact.type == "programme.created")
        )
        == 1
    )
    assert await session.scalar(select(func.count()).select_from(ParkedEvent)) == 0


async def test_redelivered_or_repeated_programme_created_copies_once(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    await publish_rule_set(evaluation_client, factory, {})
    created = programme_event(events, "programme.created")
    await events.post(created)
    again = await events.post(created)
    assert again.json()["duplicate"] is True
    # Another event for the same copy (a producer's retry with a new id) adds nothing either.
    await events.post(programme_event(events, "programme.created"))
    assert len(await _versions(evaluation_client, factory, "2027")) == 2


async def test_without_copy_from_nothing_is_copied(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, session: AsyncSession
) -> None:
    await publish_rule_set(evaluation_client, factory, {})
    await events.post(programme_event(events, "programme.created", {"copy_from": None}))
    count = select(func.count()).select_from(RuleSet).where(RuleSet.programme == "2027")
    assert await session.scalar(count) == 0
    assert await session.scalar(select(func.count()).select_from(ParkedEvent)) == 0


async def test_copy_from_a_programme_that_never_edited_its_rules_copies_the_default(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, session: AsyncSession
) -> None:
    """2025 always scored with the default set (never stored): 2027's draft is that default,
    and 2025 is left as it was (its scores still name rule-set version 0)."""
    await events.post(programme_event(events, "programme.created", {"copy_from": "2025"}))
    source = select(func.count()).select_from(RuleSet).where(RuleSet.programme == "2025")
    assert await session.scalar(source) == 0
    copied = (
        await session.scalars(
            select(RuleSet).where(RuleSet.programme == "2027").order_by(RuleSet.version)
        )
    ).all()
    assert [(r.version, r.status) for r in copied] == [
        (1, RuleSetStatus.published),
        (2, RuleSetStatus.draft),
    ]
    assert copied[1].note == "复制自 2025 年默认评分规则"
    assert copied[1].body == copied[0].body  # the default, as 2025 scored with it


# --- programme.closed: the final results frozen ---------------------------------------------

PERIODS = ("2026", "2026-Q1", "2026-Q3", "2026-H1", "2026-05")
GROUPS = ("department", "district")


async def _scene(events: Events) -> None:
    """Lagging milestones (the deduction model: each a known step), hotline orders and an
    inspection across the year, for three departments and two districts."""
    for unit, count in (("shichang", 2), ("shuiwu", 1), ("yunzhongqu", 3)):
        for month in (2, 5, 8)[:count]:
            await events.send(
                "milestone.lagging",
                unit,
                datetime(2026, month, 5, tzinfo=UTC),
                {"severity": "lagging", "milestone": month},
            )
    # zhengwu: signed late, unresolved, dissatisfied (no hotline points); hexiqu: all well.
    for unit, well, satisfaction in (
        ("zhengwu", False, "dissatisfied"),
        ("hexiqu", True, "satisfied"),
    ):
        when = datetime(2026, 3, 9, tzinfo=UTC)
        await events.send("work_order.created", unit, when)
        await events.send("work_order.responded", unit, when, {"within_limit": well})
        await events.send(
            "work_order.visited", unit, when, {"satisfaction": satisfaction, "resolved": well}
        )


async def _answers(client: httpx.AsyncClient, factory: Factory) -> dict[str, bytes]:
    """Every read a closed programme must keep answering the same, as raw bytes."""
    office = factory.headers(*OFFICE)
    unit = factory.headers("zw", Role.unit, "zhengwu")
    reads: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {}
    for period in PERIODS:
        reads[f"scores {period}"] = ("/scores", {"period": period}, office)
        reads[f"scores {period} as a unit"] = ("/scores", {"period": period}, unit)
        reads[f"districts {period}"] = ("/scores", {"period": period, "kind": "district"}, office)
        for group in GROUPS:
            params = {"period": period, "group": group}
            reads[f"ranking {period} {group}"] = ("/rankings", params, office)
            reads[f"board {period} {group}"] = ("/rankings/hotline", params, office)
        for code in ("shichang", "zhengwu", "yunzhongqu"):
            reads[f"explain {code} {period}"] = (
                f"/units/{code}/explain",
                {"period": period},
                office,
            )
    answers = {}
    for name, (path, params, headers) in reads.items():
        response = await client.get(f"{EV}{path}", params=params, headers=headers)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.content
    return answers


async def _close(events: Events, data: dict[str, Any] | None = None) -> dict[str, Any]:
    envelope = programme_event(events, "programme.closed", data)
    await events.post(envelope)
    return envelope


@pytest.mark.usefixtures("deduction_model", "city")
async def test_closing_freezes_scores_rankings_board_and_explain_as_they_were(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, session: AsyncSession
) -> None:
    await _scene(events)
    before = await _answers(evaluation_client, factory)
    await _close(events)

    closed = await session.get(ClosedProgramme, "2026")
    assert closed is not None
    assert (closed.closed_by, str(closed.closed_on)) == ("office", "2027-01-20")
    frozen = await session.scalar(
        select(FinalResult).where(
            FinalResult.programme == "2026",
            FinalResult.period == "2026",
            FinalResult.unit_code == "yunzhongqu",
        )
    )
    assert frozen is not None
    assert (frozen.total, frozen.ranking_group, frozen.rank) == (78.5, "district", 2)
    periods = await session.scalar(
        select(func.count(func.distinct(FinalResult.period))).where(FinalResult.programme == "2026")
    )
    assert periods == 19  # the year, two halves, four quarters, twelve months
    after = await _answers(evaluation_client, factory)
    assert [name for name in before if before[name] != after[name]] == []


@pytest.mark.usefixtures("deduction_model", "city")
async def test_late_facts_of_a_closed_programme_are_parked_and_change_nothing(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, session: AsyncSession
) -> None:
    await _scene(events)
    await _close(events)
    frozen = await _answers(evaluation_client, factory)
    late = [
        await events.send(
            "milestone.lagging", "shuiwu", datetime(2026, 11, 5, tzinfo=UTC), {"milestone": 9}
        ),
        # A 12345 order of 2026 reported in January: it counts on its receipt day, in 2026.
        await events.send(
            "work_order.visited",
            "zhengwu",
            datetime(2027, 1, 3, tzinfo=UTC),
            {"received_on": "2026-12-28", "resolved": False, "satisfaction": "dissatisfied"},
        ),
    ]
    parked = (
        await evaluation_client.get(f"{EV}/parked-events", headers=factory.headers(*OFFICE))
    ).json()["items"]
    assert {(p["event_id"], p["reason"]) for p in parked} == {(e["id"], CLOSED) for e in late}
    # Nothing lost: the facts are kept.
    kept = (
        select(func.count())
        .select_from(Fact)
        .where(Fact.event_id.in_([uuid.UUID(e["id"]) for e in late]))
    )
    assert await session.scalar(kept) == 2
    assert await _answers(evaluation_client, factory) == frozen


@pytest.mark.usefixtures("city")
async def test_a_closed_programme_refuses_recompute_rule_set_changes_and_inputs(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    admin = factory.headers(*OFFICE)
    body = (await evaluation_client.get(f"{EV}/rule-sets/default", headers=admin)).json()
    draft = await evaluation_client.post(f"{EV}/rule-sets/2026", json={"body": body}, headers=admin)
    assert draft.status_code == 201, draft.text
    version = draft.json()["version"]
    await events.send(
        "task.closed_out", "no-such-unit", datetime(2026, 6, 1, tzinfo=UTC), {"on_time": False}
    )
    parked = (await evaluation_client.get(f"{EV}/parked-events", headers=admin)).json()["items"]
    await _close(events)
    await factory.unit("no-such-unit")
    refused = [
        ("POST", "/recompute", {"params": {"programme": "2026"}}),
        ("POST", "/rule-sets/2026", {"json": {"body": body}}),
        ("PUT", f"/rule-sets/2026/{version}", {"json": {"body": body}}),
        ("POST", f"/rule-sets/2026/{version}/publish", {"json": {"effective_from": "2026-01-01"}}),
        (
            "POST",
            "/inspections",
            {
                "json": {
                    "unit_code": "shichang",
                    "inspected_on": "2026-05-12",
                    "mode": "scheduled",
                    "finding": "窗口人员脱岗",
                    "deduction": 1,
                }
            },
        ),
        (
            "POST",
            "/surveys",
            {"json": {"period": "2026-H1", "unit_code": "shichang", "score": 80, "respondents": 9}},
        ),
        (
            "POST",
            "/external-ranks",
            {
                "params": {"programme": "2026"},
                "json": {
                    "year": 2025,
                    "indicator": "开办企业",
                    "lead_unit": "shichang",
                    "national_rank": 3,
                },
            },
        ),
        ("POST", f"/parked-events/{parked[0]['id']}/replay", {}),
    ]
    for method, path, kwargs in refused:
        response = await evaluation_client.request(method, f"{EV}{path}", headers=admin, **kwargs)
        assert response.status_code == 409, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert CLOSED in response.json()["detail"], response.text
    # Another programme is unaffected.
    other = await evaluation_client.post(f"{EV}/rule-sets/2027", json={"body": body}, headers=admin)
    assert other.status_code == 201, other.text


@pytest.mark.usefixtures("deduction_model", "city")
async def test_in_a_batch_facts_before_the_close_are_frozen_and_after_it_parked(
    evaluation_client: httpx.AsyncClient, events: Events, session: AsyncSession
) -> None:
    when = datetime(2026, 6, 5, tzinfo=UTC)
    before = events.envelope("milestone.lagging", "shichang", when, {"milestone": 1})
    after = events.envelope("milestone.lagging", "shuiwu", when, {"milestone": 2})
    batch = [before, programme_event(events, "programme.closed"), after]
    response = await evaluation_client.post(
        "/internal/events/batch", json={"events": batch}, headers=events.headers
    )
    assert response.status_code == 200, response.text
    totals = dict(
        (
            await session.execute(
                select(FinalResult.unit_code, FinalResult.total).where(FinalResult.period == "2026")
            )
        ).all()
    )
    assert (totals["shichang"], totals["shuiwu"]) == (99.5, 100.0)
    parked = await session.scalars(select(ParkedEvent.event_id))
    assert [str(p) for p in parked] == [after["id"]]


@pytest.mark.usefixtures("deduction_model", "city")
async def test_a_second_close_changes_nothing(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, session: AsyncSession
) -> None:
    await _scene(events)
    await _close(events)
    first = (await session.execute(select(FinalResult.id, FinalResult.total))).all()
    await _close(events, {"closed_on": "2027-02-01", "closed_by": "someone"})
    session.expire_all()
    assert (await session.execute(select(FinalResult.id, FinalResult.total))).all() == first
    closed = await session.get(ClosedProgramme, "2026")
    assert closed is not None
    assert closed.closed_by == "office"


@pytest.mark.usefixtures("deduction_model", "city")
async def test_final_results_list_every_group_provisional_then_final(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    await _scene(events)
    unit = factory.headers("sw", Role.unit, "shuiwu")
    provisional = await evaluation_client.get(
        f"{EV}/final-results", params={"programme": "2026"}, headers=unit
    )
    assert provisional.status_code == 200, provisional.text
    assert provisional.json()["closed"] is False
    await _close(events)
    response = await evaluation_client.get(
        f"{EV}/final-results", params={"programme": "2026"}, headers=unit
    )
    assert response.status_code == 200, response.text
    results = response.json()
    assert (results["closed"], results["closed_on"], results["period"]) == (
        True,
        "2027-01-20",
        "2026",
    )
    by_group = {
        r["group"]: [(i["rank"], i["unit_code"], i["total"], i["grade"]) for i in r["items"]]
        for r in results["rankings"]
    }
    assert by_group["district"] == [(1, "hexiqu", 80.0, "优秀"), (2, "yunzhongqu", 78.5, "优秀")]
    # 100 − 0.5 per lagging milestone; zhengwu lost its 15 hotline points.
    assert by_group["department"] == [
        (1, "shuiwu", 99.5, "优秀"),
        (2, "shichang", 99.0, "优秀"),
        (3, "zhengwu", 85.0, "良好"),
    ]
    assert by_group["other"] == []
    # The list is what the year's rankings answer (the same frozen results).
    ranking = await evaluation_client.get(
        f"{EV}/rankings", params={"period": "2026", "group": "district"}, headers=unit
    )
    district = next(r for r in results["rankings"] if r["group"] == "district")
    assert district == ranking.json()

    export = await evaluation_client.get(
        f"{EV}/final-results/export", params={"programme": "2026"}, headers=unit
    )
    assert export.status_code == 200, export.text
    assert "filename*=UTF-8''" in export.headers["content-disposition"]
    book = load_workbook(BytesIO(export.content))
    assert book.sheetnames == ["市直部门", "区县", "中央驻市单位及公用企业"]
    rows = list(book["区县"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[1], r[3], r[5]) for r in rows] == [
        (1, "hexiqu", 80, "优秀"),
        (2, "yunzhongqu", 78.5, "优秀"),
    ]
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)  # values only, no live formulas


async def test_final_results_of_a_code_that_is_no_programme_is_422(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    response = await evaluation_client.get(
        f"{EV}/final-results", params={"programme": "abc"}, headers=factory.headers(*OFFICE)
    )
    assert response.status_code == 422, response.text


# --- the invariant --------------------------------------------------------------------------

late_event = st.one_of(
    st.builds(
        lambda unit, month, m: (
            "milestone.lagging",
            unit,
            datetime(2026, month, 7, tzinfo=UTC),
            {"severity": "lagging", "milestone": m},
        ),
        st.sampled_from(["shichang", "yunzhongqu"]),
        st.integers(1, 12),
        st.integers(1, 4),
    ),
    st.builds(
        lambda unit, day: (
            "work_order.visited",
            unit,
            datetime(2027, 1, 2, tzinfo=UTC),
            {
                "received_on": f"2026-{day:02d}-10",
                "resolved": False,
                "satisfaction": "dissatisfied",
            },
        ),
        st.sampled_from(["zhengwu", "hexiqu"]),
        st.integers(1, 12),
    ),
    st.builds(
        lambda unit: ("problem.overdue", unit, datetime(2026, 10, 1, tzinfo=UTC), {}),
        st.sampled_from(["shuiwu", "yunzhongqu"]),
    ),
)


FINAL = select(
    FinalResult.period,
    FinalResult.unit_code,
    FinalResult.total,
    FinalResult.rank,
    FinalResult.components,
    FinalResult.frozen_at,
).order_by(FinalResult.id)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(late=st.lists(late_event, min_size=1, max_size=6), order=st.randoms(use_true_random=False))
async def test_any_late_facts_in_any_order_leave_the_final_results_unchanged(
    late: list[Any],
    order: Any,
    evaluation_client: httpx.AsyncClient,
    factory: Factory,
    events: Events,
    connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    savepoint = await connection.begin_nested()
    try:
        for code in ("shichang", "shuiwu", "zhengwu"):
            await factory.unit(code, UnitKind.department)
        for code in ("yunzhongqu", "hexiqu"):
            await factory.unit(code, UnitKind.district)
        await _scene(events)
        await _close(events)
        frozen = (await session.execute(FINAL)).all()
        reads = {
            (path, period): (
                await evaluation_client.get(
                    f"{EV}{path}",
                    params={"period": period, "group": "district"},
                    headers=factory.headers(*OFFICE),
                )
            ).content
            for path in ("/scores", "/rankings")
            for period in ("2026", "2026-Q4")
        }
        order.shuffle(late)
        for event_type, unit, when, data in late:
            await events.send(event_type, unit, when, data)
        parked = await session.scalar(select(func.count()).select_from(ParkedEvent))
        assert parked == len(late)
        session.expire_all()
        assert (await session.execute(FINAL)).all() == frozen
        for (path, period), content in reads.items():
            again = await evaluation_client.get(
                f"{EV}{path}",
                params={"period": period, "group": "district"},
                headers=factory.headers(*OFFICE),
            )
            assert again.content == content
    finally:
        await session.rollback()
        await savepoint.rollback()
