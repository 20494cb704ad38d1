"""Rankings: best first, top/bottom N flagged, trend against the previous period, and the
enterprise survey's bottom-five-twice accountability flag (seed 002)."""

from __future__ import annotations

from datetime import UTC, datetime
from statistics import median

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.evaluation.score.ranks import placings
from shared.models import Role, UnitKind
from tests.conftest import Factory
from tests.evaluation.conftest import Events

OFFICE = ("office", Role.office_admin, "gaigeban")
# Rankings are built from lagging milestones that each cost a known step (the deduction option of
# 改革任务推进); the default delivery rate is tested in test_delivery_rate.py.
pytestmark = pytest.mark.usefixtures("deduction_model")


async def test_ranking_orders_flags_and_shows_trend(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    codes = [f"qu{i}" for i in range(7)]
    for code in codes:
        await factory.unit(code, UnitKind.district, name=f"{code}区")
    # Q2: qu0 worst; Q3: qu6 worst, qu0 recovered.
    for i, code in enumerate(codes):
        for _ in range(6 - i):
            await events.send(
                "milestone.lagging", code, datetime(2026, 5, 5, tzinfo=UTC), {"severity": "lagging"}
            )
        for _ in range(i):
            await events.send(
                "milestone.lagging", code, datetime(2026, 8, 5, tzinfo=UTC), {"severity": "lagging"}
            )
    response = await evaluation_client.get(
        "/api/evaluation/v1/rankings",
        params={"period": "2026-Q3", "group": "district"},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 200, response.text
    ranking = response.json()
    assert ranking["previous_period"] == "2026-Q2"
    order = [i["unit_code"] for i in ranking["items"]]
    assert order == codes
    first, last = ranking["items"][0], ranking["items"][-1]
    assert first["top"]
    assert not first["bottom"]
    assert last["bottom"]
    assert first["previous_rank"] == 7
    assert first["rank_change"] == 6
    assert last["rank_change"] == -6


async def test_survey_bottom_five_twice_in_a_row_is_flagged(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    office = factory.headers(*OFFICE)
    codes = [f"bumen{i}" for i in range(8)]
    for code in codes:
        await factory.unit(code, UnitKind.department)
    # bumen0..4 bottom five in 2025-H2; bumen0, bumen1 again bottom in 2026-H1.
    scores_h2 = dict(zip(codes, [60, 61, 62, 63, 64, 90, 91, 92], strict=True))
    scores_h1 = dict(zip(codes, [60, 61, 95, 96, 97, 62, 63, 64], strict=True))
    for period, scores in (("2025-H2", scores_h2), ("2026-H1", scores_h1)):
        for code, score in scores.items():
            response = await evaluation_client.post(
                "/api/evaluation/v1/surveys",
                json={"period": period, "unit_code": code, "score": score, "respondents": 100},
                headers=office,
            )
            assert response.status_code == 201, response.text
    ranking = await evaluation_client.get(
        "/api/evaluation/v1/rankings",
        params={"period": "2026-H1", "group": "department"},
        headers=office,
    )
    flagged = {i["unit_code"] for i in ranking.json()["items"] if i["survey_accountability"]}
    assert flagged == {"bumen0", "bumen1"}


async def test_ranking_exports_as_xlsx_with_the_same_order(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    for code in ("qa", "qb"):
        await factory.unit(code, UnitKind.district, name=f"{code}区人民政府")
    await events.send(
        "milestone.lagging", "qa", datetime(2026, 3, 3, tzinfo=UTC), {"severity": "lagging"}
    )
    response = await evaluation_client.get(
        "/api/evaluation/v1/rankings/export",
        params={"period": "2026", "group": "district"},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows] == [(1, "qb", 80), (2, "qa", 79.5)]


async def _lagging(events: Events, unit: str, count: int, month: int = 8) -> None:
    for _ in range(count):
        await events.send(
            "milestone.lagging", unit, datetime(2026, month, 5, tzinfo=UTC), {"severity": "lagging"}
        )


async def test_tied_totals_share_a_rank_and_praise_takes_the_whole_tie_group(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    """Issue #19, fix 4: standard competition ranking (1, 1, 3, 3, 3, 3, 7), and the top five
    praised are every unit ranked fifth or better — six here, not five picked by unit code."""
    lagging = {"qa": 0, "qb": 0, "qc": 1, "qd": 1, "qe": 1, "qf": 1, "qg": 6}
    for code, count in lagging.items():
        await factory.unit(code, UnitKind.district)
        await _lagging(events, code, count)
    response = await evaluation_client.get(
        "/api/evaluation/v1/rankings",
        params={"period": "2026-Q3", "group": "district"},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 200, response.text
    items = {i["unit_code"]: i for i in response.json()["items"]}
    assert {code: items[code]["rank"] for code in lagging} == {
        "qa": 1,
        "qb": 1,
        "qc": 3,
        "qd": 3,
        "qe": 3,
        "qf": 3,
        "qg": 7,
    }
    assert {code for code, item in items.items() if item["top"]} == set(lagging) - {"qg"}
    # qg: 77 against a median of 79.5 → named (more than the 1-point margin below).
    assert [code for code, item in items.items() if item["bottom"]] == ["qg"]


async def test_a_unit_a_hair_below_the_others_is_not_named(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    """Naming needs more than the rule set's margin (office default 1 point) below the group's
    median: 0.5 points behind is not a reason to name a unit in a city-wide notice."""
    for index, code in enumerate(("ra", "rb", "rc", "rd", "re", "rf", "rg", "rh")):
        await factory.unit(code, UnitKind.district)
        await _lagging(events, code, 1 if index >= 6 else 0)
    response = await evaluation_client.get(
        "/api/evaluation/v1/rankings",
        params={"period": "2026-Q3", "group": "district"},
        headers=factory.headers(*OFFICE),
    )
    ranking = response.json()
    assert ranking["naming_margin"] == 1.0
    assert not [i["unit_code"] for i in ranking["items"] if i["bottom"]]
    assert {i["unit_code"]: i["rank"] for i in ranking["items"]}["rg"] == 7


async def test_rankings_are_within_the_office_groups_never_courts_next_to_departments(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.unit("fagaiwei", UnitKind.department)
    await factory.unit("zhongyuan", UnitKind.other, name="云岭市中级人民法院")
    await factory.unit("gongdian", UnitKind.other, name="国网云岭供电公司")
    await factory.unit("yunzhongqu", UnitKind.district)
    office = factory.headers(*OFFICE)

    async def group(key: str) -> dict[str, object]:
        response = await evaluation_client.get(
            "/api/evaluation/v1/rankings", params={"period": "2026", "group": key}, headers=office
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    departments, others = await group("department"), await group("other")
    assert departments["group_name"] == "市直部门"
    assert [i["unit_code"] for i in departments["items"]] == ["fagaiwei"]  # type: ignore[attr-defined]
    assert others["group_name"] == "中央驻市单位及公用企业"
    assert {i["unit_code"] for i in others["items"]} == {"zhongyuan", "gongdian"}  # type: ignore[attr-defined]
    assert [g["key"] for g in others["groups"]] == ["department", "district", "other"]  # type: ignore[attr-defined]
    default = await evaluation_client.get(
        "/api/evaluation/v1/rankings", params={"period": "2026"}, headers=office
    )
    assert default.json()["group"] == "department"  # no group: the rule set's first
    unknown = await evaluation_client.get(
        "/api/evaluation/v1/rankings", params={"period": "2026", "group": "courts"}, headers=office
    )
    assert unknown.status_code == 422
    assert "排名分组 courts 不存在" in unknown.json()["detail"]


totals_strategy = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=3),
    st.sampled_from([60.0, 70.0, 75.5, 75.504, 79.0, 80.0]) | st.floats(0, 100),
    max_size=20,
)


@given(
    totals=totals_strategy,
    top_n=st.integers(1, 6),
    bottom_n=st.integers(1, 6),
    margin=st.sampled_from([0.0, 0.5, 1.0, 5.0]),
)
def test_placings_treat_equal_totals_equally(
    totals: dict[str, float], top_n: int, bottom_n: int, margin: float
) -> None:
    placed = placings(totals, top_n, bottom_n, margin)
    published = {code: round(total, 2) for code, total in totals.items()}
    values = sorted(published.values())
    middle = median(values) if values else 0.0
    for code, place in placed.items():
        assert place.rank == 1 + sum(v > published[code] for v in published.values())
        if place.bottom:
            assert not place.top
            assert published[code] < middle - margin
        for other, theirs in placed.items():
            if published[other] == published[code]:
                assert theirs == place  # equals are treated equally
    # Whole tie groups: at least top_n praised (when there are that many units).
    assert sum(p.top for p in placed.values()) >= min(top_n, len(totals))
    # The order units are listed in changes nothing.
    assert placings(dict(reversed(list(totals.items()))), top_n, bottom_n, margin) == placed
