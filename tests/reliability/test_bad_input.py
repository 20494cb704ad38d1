"""Bad input the fuzzer and an attacker's reading found (issue #23): each a 500, a broken file or
a memory spike before; each a 422/413 problem+json in Chinese, or a file that opens, now."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from services.evaluation.score.schemas import Ranking, RankingItem
from services.evaluation.score.service import ranking_xlsx
from services.hotline_ingest.work_order.service import _workbook
from shared.models import Role
from shared.office_files import FORMULA_PREFIXES, append_row, xml_text
from tests.conftest import Factory

TASKS = "/api/tasks/v1"
HOSTILE = ['=HYPERLINK("http://evil","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.fixture
async def office(factory: Factory) -> dict[str, str]:
    return factory.headers("office", Role.office_admin, None)


# --- PATCH: null only where the field is nullable ---------------------------------------------


async def test_patch_unit_with_null_for_a_required_field_is_422_and_changes_nothing(
    tasks_client: httpx.AsyncClient, factory: Factory, office: dict[str, str]
) -> None:
    await factory.unit("tongji", name="云岭市统计局")
    response = await tasks_client.patch(
        f"{TASKS}/units/tongji", json={"kind": None, "name": "新名称局"}, headers=office
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ["body", "kind"] in [e["loc"] for e in response.json()["errors"]]
    unit = (await tasks_client.get(f"{TASKS}/units/tongji", headers=office)).json()
    assert (unit["name"], unit["kind"]) == ("云岭市统计局", "department")
    # A nullable field may be cleared with null; an absent field is left alone.
    cleared = await tasks_client.patch(
        f"{TASKS}/units/tongji", json={"parent_code": None}, headers=office
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["kind"] == "department"


async def test_patch_user_with_null_role_is_422(
    tasks_client: httpx.AsyncClient, factory: Factory, office: dict[str, str]
) -> None:
    unit = await factory.unit("sifa")
    await factory.user("sifa", Role.unit, unit)
    for field in ("role", "is_active", "display_name", "password"):
        response = await tasks_client.patch(
            f"{TASKS}/users/sifa", json={field: None}, headers=office
        )
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["loc"] == ["body", field]


async def test_the_openapi_says_which_patch_fields_take_null(
    tasks_client: httpx.AsyncClient,
) -> None:
    schemas = (await tasks_client.get("/openapi.json")).json()["components"]["schemas"]
    unit_update = schemas["UnitUpdate"]["properties"]
    assert "anyOf" not in unit_update["kind"]  # absent or a kind, never null
    assert {"type": "null"} in unit_update["parent_code"]["anyOf"]


# --- dates and periods within reach ------------------------------------------------------------


async def test_survey_period_and_inspection_date_out_of_range_are_422_on_the_field(
    evaluation_client: httpx.AsyncClient, factory: Factory, office: dict[str, str]
) -> None:
    await factory.unit("zhengwu")
    survey = await evaluation_client.post(
        "/api/evaluation/v1/surveys",
        json={"period": "0000-H1", "unit_code": "zhengwu", "score": 90, "respondents": 3},
        headers=office,
    )
    assert survey.status_code == 422, survey.text
    assert survey.json()["errors"][0]["loc"] == ["body", "period"]
    assert "年份" in survey.json()["errors"][0]["msg"]
    inspection = await evaluation_client.post(
        "/api/evaluation/v1/inspections",
        json={
            "unit_code": "zhengwu",
            "inspected_on": "0449-03-01",
            "mode": "scheduled",
            "finding": "材料不全",
            "deduction": 1,
        },
        headers=office,
    )
    assert inspection.status_code == 422, inspection.text
    assert inspection.json()["errors"][0]["loc"] == ["body", "inspected_on"]
    # Inside 2000–2100 but not yet happened: an input records what happened.
    ahead = {
        "inspections": {
            "unit_code": "zhengwu",
            "inspected_on": "2099-03-01",
            "mode": "scheduled",
            "finding": "材料不全",
            "deduction": 1,
        },
        "surveys": {"period": "2099-H1", "unit_code": "zhengwu", "score": 90, "respondents": 3},
        "external-ranks": {"year": 2099, "indicator": "纳税", "lead_unit": "zhengwu"},
    }
    for path, body in ahead.items():
        response = await evaluation_client.post(
            f"/api/evaluation/v1/{path}", json=body, headers=office
        )
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["type"] == "future_date", path


async def test_as_of_far_in_the_past_is_422_not_500(
    tasks_client: httpx.AsyncClient, factory: Factory, office: dict[str, str]
) -> None:
    await factory.programme()
    response = await tasks_client.get(
        f"{TASKS}/battle-map", params={"as_of": "0001-01-01"}, headers=office
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", "as_of"]


# --- names and titles hold no control characters -----------------------------------------------


@pytest.mark.parametrize("name", ["±\\\r", "云岭市\x00统计局", "云岭市统计局\x1b", "云岭\ue000局"])
async def test_unit_names_with_control_or_private_use_characters_are_refused(
    tasks_client: httpx.AsyncClient, office: dict[str, str], name: str
) -> None:
    response = await tasks_client.post(
        f"{TASKS}/units",
        json={"code": "bad_unit", "name": name, "short_name": "坏", "kind": "department"},
        headers=office,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "name"]
    assert "控制字符" in response.json()["errors"][0]["msg"]
    listed = await tasks_client.get(f"{TASKS}/units/bad_unit", headers=office)
    assert listed.status_code == 404


async def test_free_text_keeps_line_breaks_but_not_other_control_characters(
    tasks_client: httpx.AsyncClient, factory: Factory, office: dict[str, str]
) -> None:
    await factory.unit("shuili", name="云岭市水利局")
    ok = await tasks_client.patch(
        f"{TASKS}/units/shuili", json={"aliases": ["水利局", "市水利"]}, headers=office
    )
    assert ok.status_code == 200, ok.text
    bad = await tasks_client.patch(
        f"{TASKS}/units/shuili", json={"aliases": ["水利\x07局"]}, headers=office
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "aliases", 0]


# --- bodies are capped before they are parsed or the token is checked ---------------------------


async def test_a_json_body_over_the_cap_is_413_before_authentication(
    tasks_client: httpx.AsyncClient,
) -> None:
    body = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = await tasks_client.post(
        f"{TASKS}/units", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413  # not 401: nothing was parsed
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    assert "上限" in response.json()["detail"]


async def test_a_streamed_body_without_length_is_cut_at_the_cap(
    tasks_client: httpx.AsyncClient, office: dict[str, str]
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"name": "'
        for _ in range(64):  # 4 MiB in 64 KiB pieces, no Content-Length
            sent += 1
            yield b"x" * 65536
        yield b'"}'

    response = await tasks_client.post(
        f"{TASKS}/units",
        content=chunks(),
        headers={**office, "content-type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"


# --- exports: text cells, never formulas; characters XML cannot hold are dropped -------------


def _cells(content: bytes) -> list[tuple[object, str]]:
    book = load_workbook(io.BytesIO(content))
    return [
        (cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def _assert_text_only(content: bytes, expected: list[str]) -> None:
    cells = _cells(content)
    values = [value for value, _ in cells]
    for text in expected:
        assert xml_text(text) in values, text
    for value, kind in cells:
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            assert kind == "s", value  # text, not a formula


def test_ranking_export_writes_hostile_names_as_text() -> None:
    items = [
        RankingItem(
            rank=i + 1,
            unit_code=f"u{i}",
            unit_name=name + "\x01\x1f",
            unit_kind="department",
            total=90 - i,
            max_total=100,
            grade="优秀",
            previous_rank=None,
            previous_total=None,
            rank_change=None,
            top=False,
            bottom=False,
            survey_accountability=False,
        )
        for i, name in enumerate(HOSTILE)
    ]
    ranking = Ranking(
        programme="2026",
        period="2026",
        previous_period="2025",
        group="department",
        group_name="市直部门",
        groups=[],
        top_n=3,
        bottom_n=3,
        naming_margin=1.0,
        items=items,
    )
    _assert_text_only(ranking_xlsx(ranking), [name + "\x01\x1f" for name in HOSTILE])


def test_work_order_export_writes_hostile_texts_as_text() -> None:
    rows: list[list[object]] = [
        [f"GD{i}", text + "\x0b", 1, None] for i, text in enumerate(HOSTILE)
    ]
    _assert_text_only(_workbook(rows), [text + "\x0b" for text in HOSTILE])


@given(st.text(max_size=40))
def test_any_text_makes_a_workbook_that_opens_and_runs_no_formula(text: str) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    append_row(sheet, [text, 1, date(2026, 1, 1)])
    buffer = io.BytesIO()
    book.save(buffer)
    values = _cells(buffer.getvalue())
    cleaned = xml_text(text)
    if cleaned:
        assert values[0][0] == cleaned
        assert values[0][1] == "s"


async def test_the_service_role_cannot_be_given_to_a_password_account(
    tasks_client: httpx.AsyncClient, factory: Factory, office: dict[str, str]
) -> None:
    """Issue #23 (machine roles): `service` is for services' own signed tokens only."""
    created = await tasks_client.post(
        f"{TASKS}/users",
        json={
            "username": "robot",
            "display_name": "机器人",
            "role": "service",
            "password": "harbour-lantern-river-2026",
        },
        headers=office,
    )
    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["loc"] == ["body", "role"]
    await factory.user("viewer2", Role.viewer, None)
    promoted = await tasks_client.patch(
        f"{TASKS}/users/viewer2", json={"role": "service"}, headers=office
    )
    assert promoted.status_code == 422


async def test_digits_int_refuses_are_not_numbers(
    evaluation_client: httpx.AsyncClient,
    tasks_client: httpx.AsyncClient,
    factory: Factory,
    office: dict[str, str],
) -> None:
    """`"¹".isdigit()` is true but `int("¹")` fails: found by the stateful fuzzer with a unit
    token (GET /rule-sets?programme=¹ was a 500). Every check before an int() is ASCII now."""
    rule_sets = await evaluation_client.get(
        "/api/evaluation/v1/rule-sets", params={"programme": "¹²³⁴"}, headers=office
    )
    assert rule_sets.status_code == 422, rule_sets.text
    await factory.programme()
    tasks = await tasks_client.get(f"{TASKS}/tasks", params={"q": "¹"}, headers=office)
    assert tasks.status_code == 200, tasks.text
