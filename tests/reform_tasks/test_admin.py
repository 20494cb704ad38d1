"""Office admins manage units and users; everyone else may only read the unit list."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import AuditLog, Role, UnitKind, User
from tests.conftest import Factory


async def test_office_admin_adds_unit_with_aliases_and_it_is_audited(
    tasks_client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    admin = factory.headers("office", Role.office_admin, "gaigeban")
    response = await tasks_client.post(
        "/api/tasks/v1/units",
        json={
            "code": "shuili",
            "name": "云岭市水利局",
            "short_name": "市水利局",
            "aliases": ["水利局", " 水利局 ", ""],
            "kind": "department",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["aliases"] == ["水利局"]

    by_alias = await tasks_client.get("/api/tasks/v1/units", params={"q": "水利局"}, headers=admin)
    assert [u["code"] for u in by_alias.json()["items"]] == ["shuili"]

    row = await session.scalar(select(AuditLog).where(AuditLog.action == "unit.created"))
    assert row is not None
    assert row.entity_id == "shuili"
    assert row.actor_username == "office"


async def test_duplicate_unit_code_is_409(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.unit("keji")
    response = await tasks_client.post(
        "/api/tasks/v1/units",
        json={"code": "keji", "name": "另一个科技局", "short_name": "科技", "kind": "department"},
        headers=factory.headers("office", Role.office_admin, "gaigeban"),
    )
    assert response.status_code == 409
    assert "已存在" in response.json()["detail"]


async def test_units_and_staff_cannot_change_units(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.unit("keji")
    for role, unit in (
        (Role.unit, "keji"),
        (Role.lead_unit, "keji"),
        (Role.office_staff, None),
        (Role.viewer, None),
    ):
        response = await tasks_client.patch(
            "/api/tasks/v1/units/keji",
            json={"short_name": "改名"},
            headers=factory.headers("someone", role, unit),
        )
        assert response.status_code == 403, role


async def test_admin_deactivates_unit_and_its_users_cannot_log_in(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    from shared.auth import hash_password

    unit = await factory.unit("tongji")
    await factory.user("tongji", Role.unit, unit, hash_password("tongji-pass-1"))
    admin = factory.headers("office", Role.office_admin, "gaigeban")
    # The edit form cannot deactivate: that is the 停用 operation, which deals with open items.
    patched = await tasks_client.patch(
        "/api/tasks/v1/units/tongji", json={"is_active": False}, headers=admin
    )
    assert patched.status_code == 409
    assert "请使用“停用”操作" in patched.json()["detail"]
    response = await tasks_client.post(
        "/api/tasks/v1/units/tongji/deactivate", json={}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["unit"]["is_active"] is False
    login = await tasks_client.post(
        "/api/auth/token", data={"username": "tongji", "password": "tongji-pass-1"}
    )
    assert login.status_code == 401


async def test_admin_creates_unit_user_who_can_log_in(
    tasks_client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    await factory.unit("renshe", UnitKind.department, name="云岭市人力资源和社会保障局")
    admin = factory.headers("office", Role.office_admin, "gaigeban")
    response = await tasks_client.post(
        "/api/tasks/v1/users",
        json={
            "username": "renshe2",
            "display_name": "人社局第二联络员",
            "role": "unit",
            "unit_code": "renshe",
            "password": "first-password",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["unit_name"] == "云岭市人力资源和社会保障局"

    login = await tasks_client.post(
        "/api/auth/token", data={"username": "renshe2", "password": "first-password"}
    )
    assert login.status_code == 200

    reset = await tasks_client.patch(
        "/api/tasks/v1/users/renshe2", json={"password": "second-password"}, headers=admin
    )
    assert reset.status_code == 200
    old = await tasks_client.post(
        "/api/auth/token", data={"username": "renshe2", "password": "first-password"}
    )
    assert old.status_code == 401
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "user.updated"))
    assert audit is not None
    assert audit.after is not None
    assert audit.after.get("password_reset") is True
    assert "password_hash" not in (audit.after or {})


async def test_unit_user_needs_a_unit_and_machine_user_has_none(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = factory.headers("office", Role.office_admin, "gaigeban")
    no_unit = await tasks_client.post(
        "/api/tasks/v1/users",
        json={
            "username": "loner",
            "display_name": "无单位",
            "role": "lead_unit",
            "password": "long-enough-passphrase",
        },
        headers=admin,
    )
    assert no_unit.status_code == 422
    assert no_unit.json()["errors"][0]["loc"] == ["body", "unit_code"]
    short_password = await tasks_client.post(
        "/api/tasks/v1/users",
        json={"username": "shorty", "display_name": "短密码", "role": "viewer", "password": "123"},
        headers=admin,
    )
    assert short_password.status_code == 422


async def test_admin_cannot_lock_themselves_out(
    tasks_client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    office = await factory.unit("gaigeban", UnitKind.office)
    await factory.user("office", Role.office_admin, office)
    response = await tasks_client.patch(
        "/api/tasks/v1/users/office",
        json={"is_active": False},
        headers=factory.headers("office", Role.office_admin, "gaigeban"),
    )
    assert response.status_code == 409
    user = await session.scalar(select(User).where(User.username == "office"))
    assert user is not None
    assert user.is_active


async def test_user_list_is_office_only(tasks_client: httpx.AsyncClient, factory: Factory) -> None:
    unit = await factory.unit("sifa")
    await factory.user("sifa", Role.unit, unit)
    denied = await tasks_client.get(
        "/api/tasks/v1/users", headers=factory.headers("sifa", Role.unit, "sifa")
    )
    assert denied.status_code == 403
    allowed = await tasks_client.get(
        "/api/tasks/v1/users",
        params={"unit": "sifa"},
        headers=factory.headers("staff", Role.office_staff, "gaigeban"),
    )
    assert allowed.status_code == 200
    assert [u["username"] for u in allowed.json()["items"]] == ["sifa"]
