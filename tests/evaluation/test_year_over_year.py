"""Year over year (issue #21): a ranking shows each unit's rank and total in the same period one
year earlier — from the earlier programme's final results once it is closed, from its live
scores before — against a hand-computed fixture of two programmes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.evaluation.rule_set.schemas import deduction_task_delivery, default_rule_set
from shared.models import Role, RuleSet, RuleSetStatus, UnitKind
from tests.conftest import Factory
from tests.evaluation.conftest import Events

EV = "/api/evaluation/v1"
OFFICE = ("office", Role.office_admin, "gaigeban")


async def _deduction_rules(session: AsyncSession, *programmes: str) -> None:
    """The deduction model of 改革任务推进 (−0.5 per lagging milestone) in each programme, so
    every total below is computed by hand: a district 80 − 0.5 × its lagging milestones."""
    body = default_rule_set()
    body.components = [
        deduction_task_delivery() if c.key == "task_delivery" else c for c in body.components
    ]
    for programme in programmes:
        session.add(
            RuleSet(
                programme=programme,
                version=1,
                status=RuleSetStatus.published,
                body=body.model_dump(mode="json"),
                effective_from=date(int(programme), 1, 1),
                created_by="test",
            )
        )
    await session.flush()


async def _lagging(events: Events, unit: str, when: datetime, count: int) -> None:
    for milestone in range(1, count + 1):
        envelope = events.envelope(
            "milestone.lagging",
            unit,
            when,
            {"severity": "lagging", "milestone": milestone},
            programme=str(when.year),
        )
        await events.post(envelope)


async def _ranking(
    client: httpx.AsyncClient, factory: Factory, programme: str, period: str, group: str
) -> dict[str, Any]:
    response = await client.get(
        f"{EV}/rankings",
        params={"programme": programme, "period": period, "group": group},
        headers=factory.headers("qa-user", Role.unit, "qa"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def _year_ago(ranking: dict[str, Any]) -> dict[str, tuple[int | None, float | None]]:
    return {
        i["unit_code"]: (i["previous_year_rank"], i["previous_year_total"])
        for i in ranking["items"]
    }


async def _close(events: Events, programme: str) -> None:
    envelope = events.envelope(
        "programme.closed",
        "",
        datetime(2026, 1, 20, 2, tzinfo=UTC),
        {"code": programme, "year": int(programme), "closed_on": "2026-01-20"},
    )
    await events.post({**envelope, "unit_code": None, "programme": programme})


@pytest.fixture
async def two_years(session: AsyncSession, factory: Factory, events: Events) -> None:
    """2025: qa 2 and qc 1 lagging milestones in Q3 (qb 80, qc 79.5, qa 79 → ranks 1, 2, 3),
    department da 1 in Q1 (db 100 first, da 99.5 second); 2026: qb 3 in Q3 (qa, qc 80 tie first,
    qb 78.5 third)."""
    await _deduction_rules(session, "2025", "2026")
    for code in ("qa", "qb", "qc"):
        await factory.unit(code, UnitKind.district, name=f"{code}区")
    for code in ("da", "db"):
        await factory.unit(code, UnitKind.department, name=f"{code}局")
    await _lagging(events, "qa", datetime(2025, 8, 5, tzinfo=UTC), 2)
    await _lagging(events, "qc", datetime(2025, 8, 5, tzinfo=UTC), 1)
    await _lagging(events, "da", datetime(2025, 2, 5, tzinfo=UTC), 1)
    await _lagging(events, "qb", datetime(2026, 8, 5, tzinfo=UTC), 3)


EXPECTED_Q3 = {"qa": (3, 79.0), "qb": (1, 80.0), "qc": (2, 79.5)}


@pytest.mark.usefixtures("two_years")
async def test_rankings_show_last_years_rank_and_total_for_the_same_period(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    q3 = await _ranking(evaluation_client, factory, "2026", "2026-Q3", "district")
    assert q3["previous_year_period"] == "2025-Q3"
    assert [(i["unit_code"], i["rank"], i["total"]) for i in q3["items"]] == [
        ("qa", 1, 80.0),
        ("qc", 1, 80.0),
        ("qb", 3, 78.5),
    ]
    assert _year_ago(q3) == EXPECTED_Q3
    august = await _ranking(evaluation_client, factory, "2026", "2026-08", "district")
    assert august["previous_year_period"] == "2025-08"
    assert _year_ago(august) == EXPECTED_Q3
    year = await _ranking(evaluation_client, factory, "2026", "2026", "department")
    assert year["previous_year_period"] == "2025"
    assert _year_ago(year) == {"da": (2, 99.5), "db": (1, 100.0)}
    # 2025-Q3: the departments tie at full marks.
    q3_departments = await _ranking(evaluation_client, factory, "2026", "2026-Q3", "department")
    assert _year_ago(q3_departments) == {"da": (1, 100.0), "db": (1, 100.0)}
    # Nothing of 2024 is known: no year-ago figures.
    earlier = await _ranking(evaluation_client, factory, "2025", "2025-Q3", "district")
    assert set(_year_ago(earlier).values()) == {(None, None)}


@pytest.mark.usefixtures("two_years")
async def test_last_year_closed_reads_its_final_results(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    await _close(events, "2025")
    assert _year_ago(await _ranking(evaluation_client, factory, "2026", "2026-Q3", "district")) == (
        EXPECTED_Q3
    )
    # A late 2025 fact is parked: last year's figures stay what they were at closing.
    await _lagging(events, "qb", datetime(2025, 9, 1, tzinfo=UTC), 4)
    # A district founded after last year closed has no figures of it.
    await factory.unit("qd", UnitKind.district, name="qd区")
    ranking = await _ranking(evaluation_client, factory, "2026", "2026-Q3", "district")
    assert _year_ago(ranking) == {**EXPECTED_Q3, "qd": (None, None)}


@pytest.mark.usefixtures("two_years")
async def test_ranking_export_carries_last_years_columns(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    response = await evaluation_client.get(
        f"{EV}/rankings/export",
        params={"period": "2026-Q3", "group": "district"},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 200, response.text
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[2]]
    assert header[-2:] == ["去年同期名次", "去年同期得分"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert {r[1]: (r[-2], r[-1]) for r in rows} == EXPECTED_Q3


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lagging=st.lists(st.integers(0, 4), min_size=3, max_size=3))
async def test_year_ago_figures_are_last_years_ranking_before_and_after_closing(
    lagging: list[int],
    evaluation_client: httpx.AsyncClient,
    factory: Factory,
    events: Events,
    connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    """For any 2025 scores: the 2026-Q3 ranking's year-ago figures are exactly the 2025-Q3
    ranking's rank and total of each unit, live and after 2025 is closed alike."""
    savepoint = await connection.begin_nested()
    try:
        await _deduction_rules(session, "2025", "2026")
        codes = ["qa", "qb", "qc"]
        for code in codes:
            await factory.unit(code, UnitKind.district)
        for code, count in zip(codes, lagging, strict=True):
            await _lagging(events, code, datetime(2025, 7, 9, tzinfo=UTC), count)
        last_year = await _ranking(evaluation_client, factory, "2025", "2025-Q3", "district")
        expected = {i["unit_code"]: (i["rank"], i["total"]) for i in last_year["items"]}
        assert {code: total for code, (_r, total) in expected.items()} == {
            code: 80 - 0.5 * count for code, count in zip(codes, lagging, strict=True)
        }
        live = await _ranking(evaluation_client, factory, "2026", "2026-Q3", "district")
        assert _year_ago(live) == expected
        await _close(events, "2025")
        closed = await _ranking(evaluation_client, factory, "2026", "2026-Q3", "district")
        assert _year_ago(closed) == expected
        assert await _ranking(evaluation_client, factory, "2025", "2025-Q3", "district") == (
            last_year
        )
    finally:
        await session.rollback()
        await savepoint.rollback()
