"""Programmes (one year's 一号改革工程, seed 001_643c54550577dac0.txt) and their domains."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.programme.repository import ProgrammeRepository
from services.reform_tasks.programme.schemas import (
    DomainOut,
    ProgrammeCreated,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammeSettings,
)
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.models import Domain, Programme
from shared.models.tasks import default_programme_settings


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


async def create(
    session: AsyncSession, principal: Principal, body: ProgrammeIn
) -> ProgrammeCreated:
    """A new year's programme (issue #21: the office starts next year). One programme per code and
    per year (409 naming the one there). With `copy_from`, the other programme's domains (codes,
    names, order) and settings come along; without, it starts with no domains and the default
    settings. A dry run answers what would be created and writes nothing. The rule set is
    evaluation's: its first request for the new programme stores the default set, which the
    office then edits as a draft (docs/EVALUATION.md)."""
    repo = ProgrammeRepository(session)
    taken = await repo.overlapping(body.code, body.year)
    if taken is not None:
        clash = "代码" if taken.code == body.code else "年度"
        raise Conflict(f"{clash}与改革工程“{taken.name}”（{taken.code}，{taken.year}年）重复")
    source = await resolve(session, body.copy_from) if body.copy_from else None
    programme = Programme(
        code=body.code,
        name=body.name,
        year=body.year,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        benchmark_city=body.benchmark_city,
        settings=dict(source.settings) if source else default_programme_settings(),
    )
    copied = list(await repo.domains(source.id)) if source else []
    domains = [DomainOut(code=d.code, name=d.name, ordinal=d.ordinal) for d in copied]
    created = ProgrammeCreated(
        programme=ProgrammeOut.model_validate(programme), domains=domains, dry_run=body.dry_run
    )
    if body.dry_run:
        return created
    await repo.add(programme)
    for domain in domains:
        session.add(Domain(programme_id=programme.id, **domain.model_dump()))
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="programme.created",
        entity_type="programme",
        entity_id=programme.code,
        after={
            **body.model_dump(exclude={"dry_run"}),
            "settings": programme.settings,
            "domains": [d.code for d in domains],
        },
    )
    return created
