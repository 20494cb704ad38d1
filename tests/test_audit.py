"""Audit rows share the change's transaction: both are kept or both are gone."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import audit
from shared.auth import Principal
from shared.models import AuditLog, Role, Unit, UnitKind

ACTOR = Principal(username="office", role=Role.office_admin, unit_code="gaigeban")


async def _rename(session: AsyncSession, unit: Unit, name: str) -> None:
    before = {"name": unit.name}
    unit.name = name
    await audit.record(
        session,
        actor=ACTOR,
        action="unit.renamed",
        entity_type="unit",
        entity_id=unit.code,
        before=before,
        after={"name": name},
    )


async def test_audit_row_rolls_back_with_the_change(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as s:
        s.add(
            Unit(
                code="keji",
                name="云岭市科学技术局",
                short_name="市科技局",
                kind=UnitKind.department,
            )
        )
        await s.commit()

    async with sessionmaker() as s:
        unit = await s.scalar(select(Unit).where(Unit.code == "keji"))
        assert unit is not None
        await _rename(s, unit, "改了但回滚")
        await s.rollback()

    async with sessionmaker() as s:
        assert await s.scalar(select(Unit.name).where(Unit.code == "keji")) == "云岭市科学技术局"
        assert await s.scalar(select(func.count()).select_from(AuditLog)) == 0

        unit = await s.scalar(select(Unit).where(Unit.code == "keji"))
        assert unit is not None
        await _rename(s, unit, "云岭市科学技术局（新）")
        await s.commit()

    async with sessionmaker() as s:
        row = await s.scalar(select(AuditLog))
        assert row is not None
        assert (row.action, row.entity_id, row.actor_username) == ("unit.renamed", "keji", "office")
        assert row.before == {"name": "云岭市科学技术局"}
        assert row.after == {"name": "云岭市科学技术局（新）"}
