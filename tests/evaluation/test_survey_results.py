"""万企评机关 results published (issue #27; seed 002_c95ffdd180ea7e81.txt): the ranking of units
and of 处室 / 站所, publication to the units, and the accountability proposal for the bottom five
of two consecutive rounds, decided by the office."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from io import BytesIO
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.survey_results.ranking import BOTTOM, bottom, ranks, repeat_bottom
from shared.models import AuditLog, Role, UnitKind
from tests.conftest import Factory

API = "/api/evaluation/v1"
OFFICE = ("office", Role.office_admin, "gaigeban")
CODES = ["d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8"]


async def _units(factory: Factory) -> None:
    for code in CODES:
        await factory.unit(code, UnitKind.department, name=f"云岭市{code}局")


def _sheet(rows: list[tuple[Any, ...]], *, sub_units: bool = True) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["万企评机关结果"])
    header = ["考核期", "单位", "得分", "参评企业数"]
    sheet.append([*header, "处室/站所"] if sub_units else header)
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def _import(client: httpx.AsyncClient, factory: Factory, content: bytes) -> None:
    response = await client.post(
        f"{API}/surveys/import",
        params={"dry_run": "false"},
        files={"file": ("s.xlsx", content)},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 200, response.text


def _round(period: str, scores: Mapping[str, float]) -> list[tuple[Any, ...]]:
    return [(period, code, score, 100, None) for code, score in scores.items()]


# d7 and d8 are last in both rounds; d3 is in the bottom five only in the second.
FIRST = dict(zip(CODES, [95, 94, 93, 80, 79, 78, 70, 60], strict=True))
SECOND = dict(zip(CODES, [96, 60, 75, 90, 70, 88, 72, 65], strict=True))


async def test_the_ranking_ranks_units_and_their_sub_units(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    await _units(factory)
    scores = {**FIRST, "d2": 95}  # d1 and d2 tie for first
    subs = [
        ("2026-H1", "d1", 88, 30, "登记处"),
        ("2026-H1", "d1", 72, 25, "城东站"),
        ("2026-H1", "d2", 90, 40, "审批科"),
    ]
    await _import(evaluation_client, factory, _sheet([*_round("2026-H1", scores), *subs]))
    office = factory.headers(*OFFICE)
    response = await evaluation_client.get(f"{API}/surveys/2026-H1/ranking", headers=office)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(u["rank"], u["unit_code"]) for u in body["units"]][:3] == [
        (1, "d1"),
        (1, "d2"),
        (3, "d3"),
    ]
    bottom_five = {u["unit_code"] for u in body["units"] if u["bottom_five"]}
    assert bottom_five == {"d4", "d5", "d6", "d7", "d8"}
    assert [(s["rank"], s["unit_code"], s["sub_unit"]) for s in body["sub_units"]] == [
        (1, "d2", "审批科"),
        (2, "d1", "登记处"),
        (3, "d1", "城东站"),
    ]
    # Sub-unit rows do not score the unit: its own row is its survey score.
    surveys = await evaluation_client.get(f"{API}/surveys", headers=office)
    assert {s["unit_code"]: s["score"] for s in surveys.json()["items"]}["d1"] == 95

    export = await evaluation_client.get(f"{API}/surveys/2026-H1/ranking/export", headers=office)
    assert export.status_code == 200
    book = load_workbook(BytesIO(export.content))
    units = [row for row in book["单位排名"].iter_rows(min_row=3, values_only=True)]
    assert units[0][:4] == (1, "d1", "云岭市d1局", 95)
    assert units[-1][5] == "是"
    assert [r[2] for r in book["处室站所排名"].iter_rows(min_row=3, values_only=True)] == [
        "审批科",
        "登记处",
        "城东站",
    ]
    missing = await evaluation_client.get(f"{API}/surveys/2025-H2/ranking", headers=office)
    assert missing.status_code == 404


async def test_units_see_a_round_only_after_the_office_publishes_it(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    await _units(factory)
    await _import(evaluation_client, factory, _sheet(_round("2026-H1", FIRST)))
    unit = factory.headers("d1_user", Role.unit, "d1")
    office = factory.headers(*OFFICE)

    hidden = await evaluation_client.get(f"{API}/surveys/2026-H1/ranking", headers=unit)
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == "该轮万企评机关结果尚未公布"
    export = await evaluation_client.get(f"{API}/surveys/2026-H1/ranking/export", headers=unit)
    assert export.status_code == 404
    rounds = await evaluation_client.get(f"{API}/surveys/rounds", headers=unit)
    assert rounds.json()["items"] == []
    office_rounds = await evaluation_client.get(f"{API}/surveys/rounds", headers=office)
    assert [(r["period"], r["published_at"]) for r in office_rounds.json()["items"]] == [
        ("2026-H1", None)
    ]
    # A unit can neither publish nor read the office's decision items.
    denied = await evaluation_client.post(f"{API}/surveys/2026-H1/publish", headers=unit)
    assert denied.status_code == 403
    assert (await evaluation_client.get(f"{API}/survey-decisions", headers=unit)).status_code == 403

    published = await evaluation_client.post(f"{API}/surveys/2026-H1/publish", headers=office)
    assert published.status_code == 200, published.text
    assert published.json()["proposals"] == []
    shown = await evaluation_client.get(f"{API}/surveys/2026-H1/ranking", headers=unit)
    assert shown.status_code == 200
    assert shown.json()["published_at"] is not None
    again = await evaluation_client.post(f"{API}/surveys/2026-H1/publish", headers=office)
    assert again.status_code == 409


async def test_the_bottom_five_twice_running_gets_a_proposal_the_office_decides(
    evaluation_client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    await _units(factory)
    office = factory.headers(*OFFICE)
    second_subs = [("2026-H2", "d1", 50, 20, "城东站")]
    await _import(evaluation_client, factory, _sheet(_round("2026-H1", FIRST)))
    await _import(evaluation_client, factory, _sheet([*_round("2026-H2", SECOND), *second_subs]))
    await evaluation_client.post(f"{API}/surveys/2026-H1/publish", headers=office)
    published = await evaluation_client.post(f"{API}/surveys/2026-H2/publish", headers=office)
    assert published.status_code == 200, published.text
    # Bottom five of H1: d4..d8; of H2: d2, d3, d5, d7, d8 → d5, d7, d8 twice running.
    proposals = published.json()["proposals"]
    assert [(p["unit_code"], p["rank"], p["previous_rank"]) for p in proposals] == [
        ("d5", 6, 5),
        ("d7", 5, 7),
        ("d8", 7, 8),
    ]
    assert all(p["status"] == "proposed" and p["previous_period"] == "2026-H1" for p in proposals)

    listed = await evaluation_client.get(
        f"{API}/survey-decisions", params={"status": "proposed"}, headers=office
    )
    assert listed.json()["total"] == 3
    d8 = next(p for p in proposals if p["unit_code"] == "d8")
    d7 = next(p for p in proposals if p["unit_code"] == "d7")
    adopted = await evaluation_client.post(
        f"{API}/survey-decisions/{d8['id']}/decide",
        json={"status": "adopted", "note": "约谈主要负责人"},
        headers=office,
    )
    assert adopted.status_code == 200, adopted.text
    assert (adopted.json()["status"], adopted.json()["decided_by"]) == ("adopted", "office")
    twice = await evaluation_client.post(
        f"{API}/survey-decisions/{d8['id']}/decide",
        json={"status": "dismissed", "note": "改为不予问责"},
        headers=office,
    )
    assert twice.status_code == 409
    no_reason = await evaluation_client.post(
        f"{API}/survey-decisions/{d7['id']}/decide", json={"status": "dismissed"}, headers=office
    )
    assert no_reason.status_code == 422
    dismissed = await evaluation_client.post(
        f"{API}/survey-decisions/{d7['id']}/decide",
        json={"status": "dismissed", "note": "参评企业样本不足"},
        headers=office,
    )
    assert dismissed.json()["note"] == "参评企业样本不足"
    unknown = await evaluation_client.post(
        f"{API}/survey-decisions/99999/decide", json={"status": "adopted"}, headers=office
    )
    assert unknown.status_code == 404
    unit = factory.headers("d8_user", Role.unit, "d8")
    denied = await evaluation_client.post(
        f"{API}/survey-decisions/{d7['id']}/decide", json={"status": "adopted"}, headers=unit
    )
    assert denied.status_code == 403
    actions = (
        await session.scalars(
            select(AuditLog.action).where(AuditLog.entity_type == "survey_decision")
        )
    ).all()
    assert sorted(actions) == ["survey_decision.adopted", "survey_decision.dismissed"]


def test_ties_share_a_rank_and_the_bottom_five_takes_ties_at_the_edge() -> None:
    scores = {"a": 90.0, "b": 90.0, "c": 80.0, "d": 70.0, "e": 70.0, "f": 60.0, "g": 50.0}
    assert ranks(scores) == {"a": 1, "b": 1, "c": 3, "d": 4, "e": 4, "f": 6, "g": 7}
    # c has four below it: in the bottom five; a and b have five below them.
    assert bottom(scores) == {"c", "d", "e", "f", "g"}
    # Five or fewer ranked: no bottom five (office default).
    assert bottom({"a": 1.0, "b": 2.0}) == set()


ROUND = st.dictionaries(
    st.sampled_from([f"u{i}" for i in range(12)]),
    st.integers(min_value=0, max_value=20).map(float),
    min_size=0,
    max_size=12,
)


@given(st.lists(ROUND, min_size=2, max_size=5))
def test_a_proposal_needs_the_bottom_five_in_both_of_two_consecutive_rounds(
    rounds: list[dict[str, float]],
) -> None:
    for previous, current in itertools.pairwise(rounds):
        proposed = repeat_bottom(previous, current)
        for scores in (previous, current):
            # Each proposed unit ranked in the round, which ranked more than five, and fewer
            # than five scored strictly below it there.
            for unit in proposed:
                assert len(scores) > BOTTOM
                assert sum(1 for s in scores.values() if s < scores[unit]) < BOTTOM
        # Each unit among the five strictly lowest of both rounds (no ties at the edge) is
        # proposed.
        lowest = [_strict_lowest_five(r) for r in (previous, current)]
        assert lowest[0] & lowest[1] <= proposed
        # Only the two rounds count: the rule never looks further back.
        assert proposed == repeat_bottom(dict(previous), dict(current))


def _strict_lowest_five(scores: dict[str, float]) -> set[str]:
    if len(scores) <= BOTTOM:
        return set()
    ordered = sorted(scores.values())
    return {u for u, s in scores.items() if s < ordered[BOTTOM]}


async def test_the_demo_publishes_both_rounds_with_a_unit_bottom_five_twice(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    from shared.demo.loader import read_json
    from shared.demo.survey_results import publish

    office = factory.headers(*OFFICE)
    rows = read_json("surveys.json")["results"]
    for code in sorted({r["unit"] for r in rows}):
        await factory.unit(code, UnitKind.department, name=f"云岭市{code}局")
    for r in rows:
        body = {k: r[k] for k in ("period", "score", "respondents")}
        recorded = await evaluation_client.post(
            f"{API}/surveys", json={**body, "unit_code": r["unit"]}, headers=office
        )
        assert recorded.status_code == 201, recorded.text
    evaluation_client.headers.update(office)
    assert await publish(evaluation_client) == ["2025-H2", "2026-H1"]
    assert await publish(evaluation_client) == []  # idempotent
    decisions = (await evaluation_client.get(f"{API}/survey-decisions")).json()["items"]
    units = {d["unit_code"] for d in decisions if not d["sub_unit"]}
    assert units == {"zhujian", "ziranziyuan", "chengguan"}
    assert {d["sub_unit"] for d in decisions if d["sub_unit"]} >= {"施工许可科"}
    ranking = (await evaluation_client.get(f"{API}/surveys/2026-H1/ranking")).json()
    assert len(ranking["sub_units"]) == 9
