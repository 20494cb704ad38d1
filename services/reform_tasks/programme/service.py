"""Programmes (one year's 一号改革工程, seed 001_643c54550577dac0.txt) and their domains."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.programme.repository import ProgrammeRepository
from services.reform_tasks.programme.schemas import ProgrammeSettings
from shared import audit
from shared.auth import Principal
from shared.errors import NotFound
from shared.models import Domain, Programme


async def resolve(session: AsyncSession, code: str | None) -> Programme:
    """The programme named by `code`, or the newest one when none is given."""
    repo = ProgrammeRepository(session)
    programme = await (repo.get_by_code(code) if code else repo.latest())
    if programme is None:
        raise NotFound(f"改革工程 {code} 不存在" if code else "尚未创建任何改革工程")
    return programme


async def list_programmes(session: AsyncSession) -> Sequence[Programme]:
    return await ProgrammeRepository(session).all()


async def list_domains(session: AsyncSession, programme: Programme) -> Sequence[Domain]:
    return await ProgrammeRepository(session).domains(programme.id)


async def update_settings(
    session: AsyncSession, principal: Principal, programme: Programme, new: ProgrammeSettings
) -> Programme:
    before = dict(programme.settings)
    programme.settings = {**programme.settings, **new.model_dump()}
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="programme.settings_updated",
        entity_type="programme",
        entity_id=programme.code,
        before=before,
        after=programme.settings,
    )
    return programme
