"""Reorganisation of the unit directory (机构改革, issue #21): a merge moves exactly the open items
to the survivor and keeps the closed history where it was, with a link; a split moves each open
item where the office assigns it; a deactivation is refused while open items remain, unless they
are reassigned; the 12345 platform's old code routes to the survivor; scores before the change
stay; export → import of the programme reports no change after any sequence of directory edits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared import clock
from shared.auth import issue_token
from shared.models import (
    AuditLog,
    ExtensionRequest,
    ExtensionStatus,
    Problem,
    ProblemSource,
    ProblemStatus,
    Programme,
    ProgressReport,
    ReviewStatus,
    Role,
    Supervision,
    SupervisionLevel,
    SupervisionStatus,
    Task,
    TaskStatus,
    Unit,
    UnitCodeMapping,
    UnitKind,
    User,
    WorkOrder,
)
from shared.models.platform import UnitReorganisation
from shared.settings import Settings
from tests.conftest import Factory
from tests.evaluation.conftest import Events
from tests.hotline.conftest import SECRET, Platform, at, created
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1/units"


@pytest.fixture
def frozen() -> Any:
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _history(scene: Scene, code: str) -> dict[str, Any]:
    """Open and closed items of unit `code` on task 1 (which it must lead) and a closed-out
    task 3 it leads: a pending and an accepted report, a pending and a decided extension, an
    open and a resolved supervision, an open and a closed problem, one account."""
    session, unit = scene.factory.session, scene.units[code]
    task = scene.tasks[1]
    assert task.lead_unit_id == unit.id
    closed = await scene.factory.task(
        scene.programme,
        3,
        unit,
        [scene.units["zhengwu"]],
        milestones=[(date(2026, 5, 31), "完成")],
        title="已销号的任务",
    )
    await session.execute(
        update(Task)
        .where(Task.id == closed.id)
        .values(status=TaskStatus.closed_out, closed_out_on=date(2026, 6, 1))
    )
    milestone_id = (await session.execute(select(Task.id).where(Task.id == task.id))).scalar_one()
    from shared.models import Milestone

    m1 = await session.scalar(
        select(Milestone).where(Milestone.task_id == milestone_id, Milestone.ordinal == 1)
    )
    assert m1 is not None
    rows: dict[str, Any] = {
        "pending_report": ProgressReport(milestone_id=m1.id, unit_id=unit.id, content="进展"),
        "accepted_report": ProgressReport(
            milestone_id=m1.id,
            unit_id=unit.id,
            content="已完成",
            review_status=ReviewStatus.accepted,
        ),
        "pending_extension": ExtensionRequest(
            milestone_id=m1.id,
            unit_id=unit.id,
            requested_by=code,
            reason="采购延迟",
            current_date=date(2026, 3, 31),
            requested_date=date(2026, 4, 30),
        ),
        "decided_extension": ExtensionRequest(
            milestone_id=m1.id,
            unit_id=unit.id,
            requested_by=code,
            reason="早先的申请",
            current_date=date(2026, 3, 31),
            requested_date=date(2026, 4, 15),
            status=ExtensionStatus.rejected,
        ),
        "open_problem": Problem(
            programme_id=scene.programme.id,
            number=1,
            source=ProblemSource.inspection,
            problem="窗口等候时间过长",
            responsible_unit_id=unit.id,
            found_on=date(2026, 9, 1),
            due_on=date(2026, 10, 1),
        ),
        "closed_problem": Problem(
            programme_id=scene.programme.id,
            number=2,
            source=ProblemSource.inspection,
            problem="材料重复提交",
            responsible_unit_id=unit.id,
            found_on=date(2026, 3, 1),
            due_on=date(2026, 4, 1),
            status=ProblemStatus.closed,
            closed_on=date(2026, 3, 20),
        ),
    }
    for row in rows.values():
        session.add(row)
    await session.flush()
    for name, status in (("open_supervision", "open"), ("resolved_supervision", "resolved")):
        rows[name] = Supervision(
            programme_id=scene.programme.id,
            unit_id=unit.id,
            level=SupervisionLevel.first,
            milestone_id=m1.id,
            reason=f"{name}原因",
            issued_on=date(2026, 4, 5),
            status=SupervisionStatus(status),
            issued_by="office",
        )
        session.add(rows[name])
    rows["user"] = await scene.factory.user(f"{code}_liaison", Role.lead_unit, unit)
    rows["closed_task"] = closed
    await session.flush()
    return rows


async def _unit_of(session: AsyncSession, model: Any, row_id: int, column: str = "unit_id") -> int:
    value = await session.scalar(
        select(getattr(model, column))
        .where(model.id == row_id)
        .execution_options(populate_existing=True)
    )
    assert isinstance(value, int)
    return value


async def _task_units(
    client: httpx.AsyncClient, scene: Scene, number: int
) -> tuple[str, list[str]]:
    task = (
        await client.get(f"/api/tasks/v1/tasks/{number}", headers=scene.headers("office"))
    ).json()
    return task["lead_unit"]["code"], sorted(u["code"] for u in task["responsible_units"])


# --- merge --------------------------------------------------------------------------------------


async def test_merge_moves_exactly_the_open_items_and_keeps_the_closed_history(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    session: AsyncSession,
    settings: Settings,
    uncached_tokens: None,
    frozen: None,
) -> None:
    rows = await _history(scene, "shichang")
    office = scene.headers("office")
    user: User = rows["user"]
    liaison = {
        "Authorization": "Bearer "
        + issue_token(
            settings,
            username=user.username,
            role=Role.lead_unit,
            unit_code="shichang",
            user_id=user.id,
            token_version=user.token_version,
        )
    }
    assert (await tasks_client.get("/api/auth/me", headers=liaison)).status_code == 200

    preview = await tasks_client.post(
        f"{API}/shichang/merge", params={"dry_run": "true"}, json={"into": "keji"}, headers=office
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["dry_run"] is True
    assert body["moved"] == {
        "task_lead": 1,
        "progress_report": 1,
        "extension": 1,
        "supervision": 1,
        "problem": 1,
        "user": 1,
    }
    assert {i["unit"] for i in body["items"]} == {"keji"}
    assert (await tasks_client.get(f"{API}/shichang", headers=office)).json()["is_active"]

    merged = await tasks_client.post(f"{API}/shichang/merge", json={"into": "keji"}, headers=office)
    assert merged.status_code == 200, merged.text
    out = merged.json()
    assert out["moved"] == body["moved"]
    assert out["unit"]["is_active"] is False
    assert out["unit"]["merged_into"] == "keji"
    assert out["aliases_added"] == ["云岭市市场监督管理局", "市市场监管局", "市场监管局"]

    keji_id, shichang_id = scene.units["keji"].id, scene.units["shichang"].id
    assert await _task_units(tasks_client, scene, 1) == ("keji", ["yunzhongqu", "zhengwu"])
    assert await _task_units(tasks_client, scene, 3) == ("shichang", ["zhengwu"])  # closed out
    for name, model, column, unit_id in (
        ("pending_report", ProgressReport, "unit_id", keji_id),
        ("accepted_report", ProgressReport, "unit_id", shichang_id),
        ("pending_extension", ExtensionRequest, "unit_id", keji_id),
        ("decided_extension", ExtensionRequest, "unit_id", shichang_id),
        ("open_problem", Problem, "responsible_unit_id", keji_id),
        ("closed_problem", Problem, "responsible_unit_id", shichang_id),
        ("open_supervision", Supervision, "unit_id", keji_id),
        ("resolved_supervision", Supervision, "unit_id", shichang_id),
        ("user", User, "unit_id", keji_id),
    ):
        assert await _unit_of(session, model, rows[name].id, column) == unit_id, name
    assert (await tasks_client.get("/api/auth/me", headers=liaison)).status_code == 401

    survivor = (await tasks_client.get(f"{API}/keji", headers=office)).json()
    assert survivor["aliases"] == ["云岭市市场监督管理局", "市市场监管局", "市场监管局"]
    old = (await tasks_client.get(f"{API}/shichang", headers=office)).json()
    assert (old["is_active"], old["merged_into"]) == (False, "keji")

    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "unit.merged"))
    assert audit is not None
    assert audit.entity_id == "shichang"
    assert audit.after is not None
    assert audit.after["into"] == ["keji"]
    assert audit.after["items"]["task_lead"] == [[scene.tasks[1].id, "keji"]]
    record = await session.scalar(select(UnitReorganisation))
    assert record is not None
    assert (record.kind.value, record.into_codes, record.reorganised_by) == (
        "merge",
        ["keji"],
        "office",
    )
    assert record.moved["task_lead"] == 1

    # The merged unit is history: it takes no more edits and cannot come back.
    again = await tasks_client.patch(f"{API}/shichang", json={"is_active": True}, headers=office)
    assert again.status_code == 409
    assert again.json()["detail"] == "单位“云岭市市场监督管理局”已合并到其他单位，不能重新启用"


async def test_a_merge_leaves_a_closed_programme_as_it_was(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """A closed year is the record (read-only): its tasks, even unfinished, stay the merged
    unit's; the merge moves the open programme's."""
    earlier = await scene.factory.programme("2025")
    await scene.factory.task(
        earlier, 1, scene.units["shichang"], [scene.units["zhengwu"]], title="去年未完成的任务"
    )
    await session.execute(
        update(Programme)
        .where(Programme.id == earlier.id)
        .values(closed_at=datetime(2026, 1, 10, tzinfo=UTC), closed_by="office")
    )
    merged = await tasks_client.post(
        f"{API}/shichang/merge", json={"into": "keji"}, headers=scene.headers("office")
    )
    assert merged.status_code == 200, merged.text
    assert [i["label"] for i in merged.json()["items"]] == ["2026年任务1：企业开办全程网办"]
    lead = await session.scalar(
        select(Task.lead_unit_id)
        .where(Task.programme_id == earlier.id)
        .execution_options(populate_existing=True)
    )
    assert lead == scene.units["shichang"].id


async def test_a_merge_keeps_a_task_lead_out_of_its_responsible_units(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    """zhengwu is responsible for task 1, which shichang leads: merged into zhengwu, shichang's
    lead passes to zhengwu, which is then no longer also a responsible unit."""
    office = scene.headers("office")
    merged = await tasks_client.post(
        f"{API}/shichang/merge", json={"into": "zhengwu"}, headers=office
    )
    assert merged.status_code == 200, merged.text
    assert await _task_units(tasks_client, scene, 1) == ("zhengwu", ["yunzhongqu"])


async def test_a_merge_that_would_leave_a_task_without_a_responsible_unit_is_409(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    await scene.factory.task(scene.programme, 4, scene.units["keji"], [scene.units["zhengwu"]])
    refused = await tasks_client.post(
        f"{API}/zhengwu/merge", json={"into": "keji"}, headers=scene.headers("office")
    )
    assert refused.status_code == 409, refused.text
    assert "任务 4" in refused.json()["detail"]
    assert await _task_units(tasks_client, scene, 4) == ("keji", ["zhengwu"])


@pytest.mark.parametrize(
    ("into", "status", "detail"),
    [
        ("shichang", 422, "不能转入本单位"),
        ("nosuch", 422, "单位 nosuch 不存在"),
        (
            "yunzhongqu",
            409,
            "“云岭市市场监督管理局”是部门，“云中区人民政府”是区县：不同类型的单位不能合并或承接事项",
        ),
        ("tongji", 409, "单位“云岭市统计局”已停用，不能承接其他单位的事项"),
    ],
)
async def test_a_merge_into_itself_another_kind_or_an_inactive_unit_is_refused(
    tasks_client: httpx.AsyncClient, scene: Scene, into: str, status: int, detail: str
) -> None:
    await scene.factory.unit("tongji", name="云岭市统计局", short_name="市统计局", is_active=False)
    refused = await tasks_client.post(
        f"{API}/shichang/merge", json={"into": into}, headers=scene.headers("office")
    )
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == detail
    assert await _task_units(tasks_client, scene, 1) == ("shichang", ["yunzhongqu", "zhengwu"])


async def test_only_an_office_admin_reorganises(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    for who in ("staff", "shichang"):
        for path, body in (
            ("merge", {"into": "keji"}),
            ("split", {"into": ["keji"]}),
            ("deactivate", {}),
        ):
            response = await tasks_client.post(
                f"{API}/shichang/{path}", json=body, headers=scene.headers(who)
            )
            assert response.status_code == 403, (who, path, response.text)


# --- 12345 --------------------------------------------------------------------------------------


async def test_a_12345_order_sent_after_the_merge_with_the_old_code_lands_on_the_survivor(
    tasks_client: httpx.AsyncClient,
    hotline_client: httpx.AsyncClient,
    scene: Scene,
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "hotline_webhook_secrets", SECRET)
    platform = Platform(hotline_client)
    session.add(UnitCodeMapping(external_code="SCJG01", unit_code="zhengwu", mapped_by="office"))
    await session.flush()
    for order, code in (("RO1", "zhengwu"), ("RO2", "zhengwu"), ("RO3", "SCJG01")):
        sent = await platform.send("work_order.created", created(order, handling_unit_code=code))
        assert sent.status_code == 200, sent.text
    await platform.send("work_order.closed", at("RO2", 2))

    await scene.factory.unit("zonghe", name="云岭市营商环境综合服务局", short_name="市综合服务局")
    preview = await tasks_client.post(
        f"{API}/zhengwu/merge",
        params={"dry_run": "true"},
        json={"into": "zonghe"},
        headers=scene.headers("office"),
    )
    assert preview.json()["work_orders"] == 2
    merged = await tasks_client.post(
        f"{API}/zhengwu/merge", json={"into": "zonghe"}, headers=scene.headers("office")
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["work_orders"] == 2

    async def handled_by(order_no: str) -> tuple[str | None, str | None]:
        order = await session.scalar(
            select(WorkOrder)
            .where(WorkOrder.order_no == order_no)
            .execution_options(populate_existing=True)
        )
        assert order is not None
        return order.handling_unit_code, order.quarantine_reason

    assert await handled_by("RO1") == ("zonghe", None)  # open: moved
    assert await handled_by("RO2") == ("zhengwu", None)  # closed: stays
    assert await handled_by("RO3") == ("zonghe", None)  # the mapping followed
    mappings = {
        m.external_code: m.unit_code for m in (await session.scalars(select(UnitCodeMapping))).all()
    }
    assert mappings == {"SCJG01": "zonghe", "zhengwu": "zonghe"}

    sent = await platform.send("work_order.created", created("RO4", handling_unit_code="zhengwu"))
    assert sent.status_code == 200, sent.text
    assert await handled_by("RO4") == ("zonghe", None)
    accepted = await platform.send("work_order.accepted", at("RO1", 0.2))
    assert accepted.status_code == 200, accepted.text
    assert await handled_by("RO1") == ("zonghe", None)


# --- split --------------------------------------------------------------------------------------


async def test_a_split_moves_each_open_item_where_the_office_assigns_it(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    rows = await _history(scene, "shichang")
    office = scene.headers("office")
    await scene.factory.unit("zhiliang", name="云岭市质量技术监督局", short_name="市质监局")
    body: dict[str, Any] = {"into": ["keji", "zhiliang"]}
    preview = await tasks_client.post(
        f"{API}/shichang/split", params={"dry_run": "true"}, json=body, headers=office
    )
    assert preview.status_code == 200, preview.text
    items = preview.json()["items"]
    assert {(i["item_type"], i["unit"]) for i in items} == {
        (kind, None)
        for kind in (
            "task_lead",
            "progress_report",
            "extension",
            "supervision",
            "problem",
            "user",
        )
    }
    assert preview.json()["hotline_unit"] == "keji"

    missing = await tasks_client.post(f"{API}/shichang/split", json=body, headers=office)
    assert missing.status_code == 422, missing.text
    assert len(missing.json()["errors"]) == len(items)
    assert all(e["type"] == "missing" for e in missing.json()["errors"])

    wrong = [
        {"item_type": "problem", "item_id": rows["closed_problem"].id, "unit": "keji"},
        {"item_type": "user", "item_id": rows["user"].id, "unit": "shuiwu"},
    ]
    refused = await tasks_client.post(
        f"{API}/shichang/split", json={**body, "assignments": wrong}, headers=office
    )
    assert refused.status_code == 422
    kinds = [e["type"] for e in refused.json()["errors"]]
    assert kinds[:2] == ["unknown_item", "not_in_into"]

    goes_to = {"task_lead": "zhiliang", "problem": "zhiliang"}
    assignments = [
        {
            "item_type": i["item_type"],
            "item_id": i["item_id"],
            "unit": goes_to.get(i["item_type"], "keji"),
        }
        for i in items
    ]
    done = await tasks_client.post(
        f"{API}/shichang/split", json={**body, "assignments": assignments}, headers=office
    )
    assert done.status_code == 200, done.text
    assert done.json()["unit"]["is_active"] is False
    assert done.json()["unit"]["merged_into"] is None
    assert await _task_units(tasks_client, scene, 1) == ("zhiliang", ["yunzhongqu", "zhengwu"])
    assert await _task_units(tasks_client, scene, 3) == ("shichang", ["zhengwu"])
    zhiliang = await session.scalar(select(Unit.id).where(Unit.code == "zhiliang"))
    assert (
        await _unit_of(session, Problem, rows["open_problem"].id, "responsible_unit_id") == zhiliang
    )
    assert await _unit_of(session, User, rows["user"].id) == scene.units["keji"].id
    keji = (await tasks_client.get(f"{API}/keji", headers=office)).json()
    assert keji["aliases"] == []  # a split passes on no name


async def test_a_split_that_keeps_the_unit_leaves_unassigned_items_with_it(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    preview = await tasks_client.post(
        f"{API}/shichang/split",
        params={"dry_run": "true"},
        json={"into": ["keji"], "keep": True},
        headers=office,
    )
    [item] = preview.json()["items"]
    assert preview.json()["hotline_unit"] is None
    kept = await tasks_client.post(
        f"{API}/shichang/split", json={"into": ["keji"], "keep": True}, headers=office
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["unit"]["is_active"] is True
    assert kept.json()["moved"] == {}
    assert item["item_type"] == "task_lead"
    assert await _task_units(tasks_client, scene, 1) == ("shichang", ["yunzhongqu", "zhengwu"])


# --- deactivate ---------------------------------------------------------------------------------


async def test_a_unit_with_open_items_is_not_deactivated_unless_they_are_reassigned(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    rows = await _history(scene, "shichang")
    office = scene.headers("office")
    for params in ({"dry_run": "true"}, {}):
        refused = await tasks_client.post(
            f"{API}/shichang/deactivate", params=params, json={}, headers=office
        )
        assert refused.status_code == 409, refused.text
        errors = refused.json()["errors"]
        assert {e["loc"][1] for e in errors} == {
            "task_lead",
            "progress_report",
            "extension",
            "supervision",
            "problem",
        }
        assert "企业开办全程网办" in " ".join(e["msg"] for e in errors)
    assert (await tasks_client.get(f"{API}/shichang", headers=office)).json()["is_active"]

    done = await tasks_client.post(
        f"{API}/shichang/deactivate", json={"reassign_to": "keji"}, headers=office
    )
    assert done.status_code == 200, done.text
    assert done.json()["unit"]["is_active"] is False
    assert done.json()["unit"]["merged_into"] is None
    assert done.json()["aliases_added"] == []
    assert await _task_units(tasks_client, scene, 1) == ("keji", ["yunzhongqu", "zhengwu"])
    assert await _unit_of(session, User, rows["user"].id) == scene.units["keji"].id
    assert (await tasks_client.get(f"{API}/keji", headers=office)).json()["aliases"] == []
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "unit.deactivated"))
    assert audit is not None


async def test_a_plain_deactivation_disables_the_units_accounts(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    user = await scene.factory.user("keji_liaison", Role.unit, scene.units["keji"])
    done = await tasks_client.post(
        f"{API}/keji/deactivate", json={}, headers=scene.headers("office")
    )
    assert done.status_code == 200, done.text
    assert done.json()["users_deactivated"] == 1
    active = await session.scalar(
        select(User.is_active).where(User.id == user.id).execution_options(populate_existing=True)
    )
    assert active is False
    again = await tasks_client.post(
        f"{API}/keji/deactivate", json={}, headers=scene.headers("office")
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "单位“云岭市科学技术局”已停用，不能再调整"


# --- scores before the change -------------------------------------------------------------------


async def test_scores_of_a_past_period_are_unchanged_by_a_merge(
    tasks_client: httpx.AsyncClient,
    evaluation_client: httpx.AsyncClient,
    scene: Scene,
) -> None:
    events = Events(evaluation_client, scene.factory)
    for unit, day in (("shichang", 10), ("keji", 12)):
        await events.send(
            "milestone.completed",
            unit,
            datetime(2026, 5, day, 2, tzinfo=UTC),
            {"on_time": unit == "shichang"},
        )
    office = scene.headers("office")

    async def scores() -> Any:
        response = await evaluation_client.get(
            "/api/evaluation/v1/scores", params={"period": "2026-Q2"}, headers=office
        )
        assert response.status_code == 200, response.text
        return response.json()

    before = await scores()
    merged = await tasks_client.post(f"{API}/shichang/merge", json={"into": "keji"}, headers=office)
    assert merged.status_code == 200, merged.text
    assert await scores() == before


# --- export → import after any directory edits --------------------------------------------------

EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("rename"), st.sampled_from(["shichang", "zhengwu", "keji"])),
        st.tuples(st.just("alias"), st.sampled_from(["shichang", "zhengwu", "keji"])),
        st.tuples(
            st.just("merge"),
            st.sampled_from(["shichang", "zhengwu", "keji", "shuiwu"]),
            st.sampled_from(["shichang", "zhengwu", "keji", "shuiwu"]),
        ),
        st.tuples(
            st.just("deactivate"),
            st.sampled_from(["shichang", "zhengwu", "keji", "shuiwu"]),
            st.sampled_from([None, "shichang", "zhengwu", "keji", "shuiwu"]),
        ),
    ),
    min_size=1,
    max_size=6,
)


async def _edit(
    client: httpx.AsyncClient, headers: dict[str, str], step: tuple[Any, ...], n: int
) -> httpx.Response:
    action, code = step[0], step[1]
    if action == "rename":
        body = {"name": f"改名后的单位{code}{n}", "short_name": f"新{code}{n}"}
        return await client.patch(f"{API}/{code}", json=body, headers=headers)
    if action == "alias":
        unit = (await client.get(f"{API}/{code}", headers=headers)).json()
        body = {"aliases": [*unit["aliases"], f"别名{code}{n}"]}
        return await client.patch(f"{API}/{code}", json=body, headers=headers)
    if action == "merge":
        return await client.post(f"{API}/{code}/merge", json={"into": step[2]}, headers=headers)
    return await client.post(
        f"{API}/{code}/deactivate", json={"reassign_to": step[2]}, headers=headers
    )


async def _programme_with_history(factory: Factory) -> None:
    """Departments shichang, zhengwu, keji, shuiwu and districts yunzhongqu, hexiqu; task 1 led
    by shichang, 2 by shuiwu, 6 by keji, and 5 (closed out) by zhengwu."""
    units = {"gaigeban": await factory.unit("gaigeban", UnitKind.office, name="云岭市营商办")}
    for code, name, short in (
        ("shichang", "云岭市市场监督管理局", "市市场监管局"),
        ("zhengwu", "云岭市政务服务管理局", "市政务服务局"),
        ("keji", "云岭市科学技术局", "市科技局"),
        ("shuiwu", "国家税务总局云岭市税务局", "市税务局"),
    ):
        units[code] = await factory.unit(code, name=name, short_name=short)
    for code, name, short in (
        ("yunzhongqu", "云中区人民政府", "云中区"),
        ("hexiqu", "河西区人民政府", "河西区"),
    ):
        units[code] = await factory.unit(code, UnitKind.district, name=name, short_name=short)
    programme = await factory.programme("2026")
    for number, lead, responsible in (
        (1, "shichang", ["zhengwu", "yunzhongqu"]),
        (2, "shuiwu", ["hexiqu"]),
        (5, "zhengwu", ["keji", "shichang"]),
        (6, "keji", ["shuiwu", "hexiqu"]),
    ):
        task = await factory.task(
            programme,
            number,
            units[lead],
            [units[c] for c in responsible],
            milestones=[(date(2026, 4, 30), "第一个节点"), (date(2026, 9, 30), "第二个节点")],
        )
        if number == 5:
            await factory.session.execute(
                update(Task).where(Task.id == task.id).values(status=TaskStatus.closed_out)
            )
    await factory.session.flush()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=EDITS)
async def test_export_then_import_reports_no_change_after_any_directory_edits(
    steps: list[tuple[Any, ...]],
    tasks_client: httpx.AsyncClient,
    factory: Factory,
    connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    office = factory.headers("office", Role.office_admin, "gaigeban")
    savepoint = await connection.begin_nested()
    try:
        await _programme_with_history(factory)
        for n, step in enumerate(steps):
            response = await _edit(tasks_client, office, step, n)
            assert response.status_code in (200, 409, 422), response.text
        exported = await tasks_client.get("/api/tasks/v1/tasks/export", headers=office)
        assert exported.status_code == 200, exported.text
        preview = await tasks_client.post(
            "/api/tasks/v1/tasks/import",
            params={"dry_run": "true"},
            files={"file": ("清单.xlsx", exported.content)},
            headers=office,
        )
        assert preview.status_code == 200, (steps, preview.text)
        body = preview.json()
        assert (body["created"], body["changed"], body["unchanged"]) == ([], [], 4), steps
    finally:
        await session.rollback()
        await savepoint.rollback()
