"""The unit directory survives reorganisation (issue #21): the names of active units are one
namespace, compared as the importer compares them; names hold only visible text; a rename keeps
the old names as aliases, so old files still import."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from io import BytesIO
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from services.reform_tasks.unit import service
from services.reform_tasks.unit.repository import UnitRepository
from services.reform_tasks.unit.schemas import UnitCreate
from shared.demo.loader import read_json
from shared.models import AuditLog, Role, Unit, UnitKind
from shared.settings import Settings
from shared.unit_names import unit_name_key
from tests.conftest import Factory
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1/units"


@pytest.fixture
def admin(factory: Factory) -> dict[str, str]:
    return factory.headers("office", Role.office_admin, "gaigeban")


async def _create(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    name: str,
    short_name: str,
    aliases: Sequence[str] = (),
) -> httpx.Response:
    return await client.post(
        API,
        json={
            "code": code,
            "name": name,
            "short_name": short_name,
            "aliases": list(aliases),
            "kind": "department",
        },
        headers=headers,
    )


def _conflict(response: httpx.Response) -> tuple[str, list[str | int]]:
    """The 409's detail and the loc of its one field error."""
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "conflict"
    [error] = problem["errors"]
    assert error["type"] == "name_taken"
    assert error["msg"] == problem["detail"]
    return problem["detail"], error["loc"]


# --- one namespace: codes, full names, short names and aliases --------------------------------


async def test_a_short_name_another_unit_has_is_409_naming_that_unit(
    tasks_client: httpx.AsyncClient, factory: Factory, admin: dict[str, str]
) -> None:
    await factory.unit("shichang", name="云岭市市场监督管理局", short_name="市场监管局")
    response = await _create(tasks_client, admin, "shijianguan", "云岭市监管局", "市场监管局")
    detail, loc = _conflict(response)
    assert detail == "“市场监管局”已是单位“云岭市市场监督管理局”（shichang）的简称"
    assert loc == ["body", "short_name"]
    assert (await tasks_client.get(f"{API}/shijianguan", headers=admin)).status_code == 404


async def test_an_alias_another_unit_has_is_409(
    tasks_client: httpx.AsyncClient, factory: Factory, admin: dict[str, str]
) -> None:
    await factory.unit("zhengwu", name="云岭市政务服务管理局", aliases=["市行政审批局"])
    await factory.unit("shenpi", name="云岭市审批服务局", short_name="市审批局")
    response = await tasks_client.patch(
        f"{API}/shenpi", json={"aliases": ["审批局", "市行政审批局"]}, headers=admin
    )
    detail, loc = _conflict(response)
    assert detail == "“市行政审批局”已是单位“云岭市政务服务管理局”（zhengwu）的别名"
    assert loc == ["body", "aliases", 1]
    unchanged = await tasks_client.get(f"{API}/shenpi", headers=admin)
    assert unchanged.json()["aliases"] == []


async def test_a_full_name_and_an_alias_are_one_namespace(
    tasks_client: httpx.AsyncClient, factory: Factory, admin: dict[str, str]
) -> None:
    await factory.unit("fagaiwei", name="云岭市发展和改革委员会", aliases=["云岭市发改委"])
    created = await _create(tasks_client, admin, "fagai", "云岭市发改委", "发改")
    detail, loc = _conflict(created)
    assert detail == "“云岭市发改委”已是单位“云岭市发展和改革委员会”（fagaiwei）的别名"
    assert loc == ["body", "name"]
    await factory.unit("tongji", name="云岭市统计局", short_name="市统计局")
    aliased = await tasks_client.patch(
        f"{API}/fagaiwei", json={"aliases": ["云岭市统计局"]}, headers=admin
    )
    detail, _ = _conflict(aliased)
    assert detail == "“云岭市统计局”已是单位“云岭市统计局”（tongji）的全称"


@pytest.mark.parametrize("spelling", ["ＡＢＣ局", "ABC局", "Abc局", "ａｂｃ 局", " abc局 "])
async def test_names_are_compared_case_and_width_folded_as_the_importer_does(
    tasks_client: httpx.AsyncClient, factory: Factory, admin: dict[str, str], spelling: str
) -> None:
    await factory.unit("abc", name="云岭市ABC管理局", short_name="abc局")
    response = await _create(tasks_client, admin, "abc2", "云岭市另一管理局", "另一局", [spelling])
    detail, loc = _conflict(response)
    assert loc == ["body", "aliases", 0]
    if spelling.strip() == "abc局":
        assert detail == "“abc局”已是单位“云岭市ABC管理局”（abc）的简称"
    else:
        assert detail == (
            f"“{spelling.strip()}”与单位“云岭市ABC管理局”（abc）的简称“abc局”视为同名"
            "（不区分大小写、全角半角和空格）"
        )
    assert unit_name_key(spelling) == unit_name_key("abc局")


async def test_a_code_and_an_alias_are_one_namespace(
    tasks_client: httpx.AsyncClient, factory: Factory, admin: dict[str, str]
) -> None:
    await factory.unit("keji", name="云岭市科学技术局", short_name="市科技局", aliases=["tongji"])
    by_code = await _create(tasks_client, admin, "tongji", "云岭市统计局", "市统计局")
    detail, loc = _conflict(by_code)
    assert detail == "“tongji”已是单位“云岭市科学技术局”（keji）的别名"
    assert loc == ["body", "code"]
    by_alias = await _create(
        tasks_client, admin, "tongjiju", "云岭市统计局", "市统计局", ["ＫＥＪＩ"]
    )
    detail, loc = _conflict(by_alias)
    assert "的代码“keji”视为同名" in detail
    assert loc == ["body", "aliases", 0]


async def test_a_units_own_repeated_names_are_dropped_silently(
    tasks_client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await _create(
        tasks_client,
        admin,
        "shuili",
        "云岭市水利局",
        "市水利局",
        ["水利局", "市水利局", "ＳＨＵＩＬＩ", "云岭市 水利局", "水利局 ", "市水务局"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["aliases"] == ["水利局", "市水务局"]
    renamed = await tasks_client.patch(
        f"{API}/shuili", json={"short_name": "水利局"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    # The new short name was an alias (dropped); the old short name became one.
    assert renamed.json()["aliases"] == ["市水务局", "市水利局"]


async def test_deactivated_units_do_not_block_but_reactivating_them_does(
    tasks_client: httpx.AsyncClient, factory: Factory, admin: dict[str, str]
) -> None:
    await factory.unit("tongji", name="云岭市统计局", short_name="市统计局")
    off = await tasks_client.post(f"{API}/tongji/deactivate", json={}, headers=admin)
    assert off.status_code == 200, off.text
    created = await _create(tasks_client, admin, "tongjiju", "云岭市统计调查局", "市统计局")
    assert created.status_code == 201, created.text

    back = await tasks_client.patch(f"{API}/tongji", json={"is_active": True}, headers=admin)
    detail, loc = _conflict(back)
    assert detail == "“市统计局”已是单位“云岭市统计调查局”（tongjiju）的简称"
    assert loc == ["body", "is_active"]
    assert (await tasks_client.get(f"{API}/tongji", headers=admin)).json()["is_active"] is False

    # The full name stays unique across every unit (a database constraint), said in Chinese.
    same_full = await _create(tasks_client, admin, "tongji2", "云岭市统计局", "统计")
    assert same_full.status_code == 409
    assert same_full.json()["detail"] == "单位名称“云岭市统计局”已存在：单位 tongji（已停用）"

    fixed = await tasks_client.patch(
        f"{API}/tongji", json={"is_active": True, "short_name": "原市统计局"}, headers=admin
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["aliases"] == []  # the old short name is the other unit's


async def test_existing_collisions_do_not_block_edits_that_add_no_name(
    tasks_client: httpx.AsyncClient, factory: Factory, admin: dict[str, str]
) -> None:
    """Data from before the rule (two units sharing 市统计局): an edit that adds no name goes
    through, and a rename drops the shared old name instead of keeping it as an alias."""
    await factory.unit("tongji", name="云岭市统计局", short_name="市统计局")
    await factory.unit("diaocha", name="云岭市统计调查队", aliases=["市统计局"])
    kind = await tasks_client.patch(f"{API}/tongji", json={"kind": "other"}, headers=admin)
    assert kind.status_code == 200, kind.text
    renamed = await tasks_client.patch(
        f"{API}/tongji", json={"name": "云岭市统计管理局"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["aliases"] == ["云岭市统计局"]
    short = await tasks_client.patch(f"{API}/tongji", json={"short_name": "统计局"}, headers=admin)
    assert short.status_code == 200, short.text
    assert short.json()["aliases"] == ["云岭市统计局"]  # 市统计局 is diaocha's alias too


# --- names hold only visible text -----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "loc", "reason"),
    [
        ("name", "云岭市\x07统计局", ["body", "name"], "U+0007 是控制字符"),
        ("name", "云岭市统计局\n", ["body", "name"], "控制字符"),
        ("short_name", "统计\ue000", ["body", "short_name"], "私用区字符"),
        ("short_name", "统计\U000f0000", ["body", "short_name"], "私用区字符"),
        ("name", "云岭市\u0378统计局", ["body", "name"], "未分配的码位"),
        ("name", "云岭市\ufdd0统计局", ["body", "name"], "未分配的码位"),
        ("aliases", ["统计局", "统\u200b计局"], ["body", "aliases", 1], "不可见的格式字符"),
        ("aliases", ["统计\u202e局"], ["body", "aliases", 0], "不可见的格式字符"),
        ("short_name", "统计\u2028局", ["body", "short_name"], "换行"),
    ],
)
async def test_names_with_control_private_use_unassigned_or_invisible_characters_are_422(
    tasks_client: httpx.AsyncClient,
    admin: dict[str, str],
    field: str,
    value: object,
    loc: list[str | int],
    reason: str,
) -> None:
    body: dict[str, Any] = {
        "code": "tongji",
        "name": "云岭市统计局",
        "short_name": "市统计局",
        "kind": "department",
    }
    body[field] = value
    response = await tasks_client.post(API, json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == loc
    assert "控制字符" in error["msg"]
    assert reason in error["msg"]
    assert (await tasks_client.get(f"{API}/tongji", headers=admin)).status_code == 404


async def test_an_unpaired_surrogate_in_a_name_is_422(
    tasks_client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    content = (
        '{"code": "tongji", "name": "云岭市统计局", "short_name": "统计\\ud800",'
        ' "kind": "department"}'
    ).encode()
    response = await tasks_client.post(
        API, content=content, headers={**admin, "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "short_name"]
    assert "不成对的代理码位" in error["msg"]


async def test_blanks_at_the_ends_of_a_name_are_dropped_before_its_length_is_checked(
    tasks_client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await _create(tasks_client, admin, "tongji", " 云岭市统计局\u3000", "\u3000市统计局 ")
    assert created.status_code == 201, created.text
    assert (created.json()["name"], created.json()["short_name"]) == ("云岭市统计局", "市统计局")
    blank = await tasks_client.patch(f"{API}/tongji", json={"short_name": "  "}, headers=admin)
    assert blank.status_code == 422, blank.text
    assert blank.json()["errors"][0]["loc"] == ["body", "short_name"]


def test_the_demo_units_satisfy_the_directory_rules() -> None:
    """`make up` loads shared/demo/data/units.json straight into the table: every unit would
    pass the API's validation, keeps every alias it lists, and no two share a name."""
    raw = read_json("units.json")
    units = [UnitCreate.model_validate(row) for row in [raw["office"], *raw["units"]]]
    assert len(units) == 50
    claims = {}
    for unit in units:
        assert service.own_aliases(unit.code, unit.name, unit.short_name, unit.aliases) == (
            unit.aliases
        ), unit.code
        claims[unit.code] = service.claims_of(unit.code, unit.name, unit.short_name, unit.aliases)
    for code, mine in claims.items():
        others = [c for other, theirs in claims.items() if other != code for c in theirs]
        assert service.first_collision(mine, others) is None, code


# --- a rename keeps history --------------------------------------------------------------------


def _task_list(lead_units: Sequence[str]) -> bytes:
    """A task list in the import layout: one task per lead unit as written in the file."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "领域", "任务", "类别", "牵头单位", "责任单位", "完成时限", "时间节点"])
    for number, lead in enumerate(lead_units, start=3):
        sheet.append(
            [
                number,
                "商事登记",
                f"任务{number}",
                "A",
                lead,
                "zhengwu",
                "2026年6月底前",
                "6月底前：完成",
            ]
        )
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_a_rename_keeps_the_old_names_as_aliases_and_old_files_still_import(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    renamed = await tasks_client.patch(
        f"{API}/shichang",
        json={"name": "云岭市市场监督管理总局", "short_name": "市市场监管总局"},
        headers=office,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["aliases"] == ["市场监管局", "云岭市市场监督管理局", "市市场监管局"]
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "unit.updated"))
    assert audit is not None
    assert audit.before is not None
    assert audit.after is not None
    assert (audit.before["name"], audit.after["name"]) == (
        "云岭市市场监督管理局",
        "云岭市市场监督管理总局",
    )
    assert audit.after["aliases"] == renamed.json()["aliases"]

    old_file = _task_list(["云岭市市场监督管理局", "市市场监管局", "市市场监管总局"])
    preview = await tasks_client.post(
        "/api/tasks/v1/tasks/import",
        params={"dry_run": "true"},
        files={"file": ("清单.xlsx", old_file)},
        headers=office,
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["errors"] == []
    assert [t["number"] for t in preview.json()["created"]] == [3, 4, 5]

    # The old name is the renamed unit's now: nobody else may take it.
    taken = await _create(tasks_client, office, "shijianju", "云岭市市场监督管理局", "监管局")
    detail, _ = _conflict(taken)
    assert detail == "“云岭市市场监督管理局”已是单位“云岭市市场监督管理总局”（shichang）的别名"


async def test_a_rename_keeps_no_old_name_without_room_for_it(
    tasks_client: httpx.AsyncClient, factory: Factory, admin: dict[str, str]
) -> None:
    """Twenty aliases is the most a unit has; a full name over 64 characters cannot be one."""
    aliases = [f"别名{i}" for i in range(20)]
    await factory.unit("keji", name="云岭市科学技术局", short_name="市科技局", aliases=aliases)
    full = await tasks_client.patch(
        f"{API}/keji", json={"short_name": "市科学技术局"}, headers=admin
    )
    assert full.status_code == 200, full.text
    assert full.json()["aliases"] == aliases
    long_name = "云岭市" + "科" * 70 + "局"
    await factory.unit("changming", name=long_name, short_name="长名局")
    renamed = await tasks_client.patch(
        f"{API}/changming", json={"name": "云岭市长名局"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["aliases"] == []


# --- race-free ---------------------------------------------------------------------------------


async def test_two_concurrent_creates_of_colliding_units_exactly_one_succeeds(
    engine: AsyncEngine, settings: Settings, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two apps, each its own committed transaction on the real engine; each request pauses
    after reading the directory, so without the lock both would pass the check."""
    from services.reform_tasks.app import create_app

    read = UnitRepository.active_units

    async def slow_read(self: UnitRepository, *, except_id: int | None = None) -> Sequence[Unit]:
        units = await read(self, except_id=except_id)
        await asyncio.sleep(0.2)
        return units

    monkeypatch.setattr(UnitRepository, "active_units", slow_read)
    suffix = uuid.uuid4().hex[:8]
    codes = [f"race_a_{suffix}", f"race_b_{suffix}"]
    clients = []
    for _ in codes:
        app = create_app(settings)
        app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
    admin = factory.headers("office", Role.office_admin, "gaigeban")
    try:
        responses = await asyncio.gather(
            *(
                _create(client, admin, code, f"并发测试单位{code}", f"并发{suffix}")
                for client, code in zip(clients, codes, strict=True)
            )
        )
        assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    finally:
        for client in clients:
            await client.aclose()
        async with async_sessionmaker(engine)() as cleanup, cleanup.begin():
            await cleanup.execute(delete(AuditLog).where(AuditLog.entity_id.in_(codes)))
            await cleanup.execute(delete(Unit).where(Unit.code.in_(codes)))


# --- the invariant, for any sequence of edits ---------------------------------------------------

CODES = ["ua", "ub", "uc"]
# A small alphabet, so that edits collide: codes among the names, case and width variants.
NAMES = ["ua", "ＵＢ", "甲局", "甲 局", "乙局", "ab局", "ＡＢ局", "丙局"]

edits = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.sampled_from(CODES),
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(NAMES),
                    "short_name": st.sampled_from(NAMES),
                    "aliases": st.lists(st.sampled_from(NAMES), max_size=3),
                }
            ),
        ),
        st.tuples(
            st.just("patch"),
            st.sampled_from(CODES),
            st.fixed_dictionaries(
                {},
                optional={
                    "name": st.sampled_from(NAMES),
                    "short_name": st.sampled_from(NAMES),
                    "aliases": st.lists(st.sampled_from(NAMES), max_size=3),
                    "is_active": st.booleans(),
                },
            ),
        ),
    ),
    min_size=1,
    max_size=10,
)


async def _active_keys(session: AsyncSession) -> dict[str, set[str]]:
    statement = select(Unit).where(Unit.is_active).execution_options(populate_existing=True)
    units = (await session.scalars(statement)).all()
    return {u.code: {unit_name_key(c.text) for c in service.unit_claims(u)} for u in units}


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=edits)
async def test_any_accepted_edits_keep_the_active_names_pairwise_distinct(
    steps: list[tuple[str, str, dict[str, Any]]],
    tasks_client: httpx.AsyncClient,
    admin: dict[str, str],
    connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    savepoint = await connection.begin_nested()
    try:
        for action, code, fields in steps:
            if action == "create":
                body = {"code": code, "kind": UnitKind.department.value, **fields}
                response = await tasks_client.post(API, json=body, headers=admin)
            else:
                response = await tasks_client.patch(f"{API}/{code}", json=fields, headers=admin)
            assert response.status_code in (200, 201, 404, 409), response.text
            keys = await _active_keys(session)
            for code_a, keys_a in keys.items():
                for code_b, keys_b in keys.items():
                    assert code_a == code_b or not keys_a & keys_b, (code_a, code_b, keys)
    finally:
        await session.rollback()
        await savepoint.rollback()


async def test_a_deactivated_units_name_taken_by_an_active_unit_imports_as_the_active_one(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    """After a reorganisation the old unit is deactivated and a new one takes its short name:
    an import naming it means the new unit, not an ambiguity."""
    office = scene.headers("office")
    off = await tasks_client.post(f"{API}/keji/deactivate", json={}, headers=office)
    assert off.status_code == 200, off.text
    created = await _create(tasks_client, office, "kexie", "云岭市科学技术协会", "市科技局")
    assert created.status_code == 201, created.text
    imported = await tasks_client.post(
        "/api/tasks/v1/tasks/import",
        params={"dry_run": "false"},
        files={"file": ("清单.xlsx", _task_list(["市科技局"]))},
        headers=office,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["errors"] == []
    task = await tasks_client.get("/api/tasks/v1/tasks/3", headers=office)
    assert task.json()["lead_unit"]["code"] == "kexie"
