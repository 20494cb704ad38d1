"""Programmes (one year's 一号改革工程, seed 001_643c54550577dac0.txt) and their domains."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.programme import carry_over
from services.reform_tasks.programme.quarantine import Held, Quarantine
from services.reform_tasks.programme.repository import ProgrammeRepository
from services.reform_tasks.programme.schemas import (
    DomainIn,
    DomainOrder,
    DomainOut,
    DomainRename,
    ProgrammeClose,
    ProgrammeCreated,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammeSettings,
)
from shared import audit, events, outbox
from shared.auth import Principal
from shared.clock import now_utc, today_shanghai
from shared.errors import Conflict, FieldError, NotFound, ProgrammeClosed, ValidationFailed
from shared.models import Domain, Programme, Report, ReportKind, ReportStatus
from shared.models.tasks import default_programme_settings
from shared.periods import period_containing


async def resolve(session: AsyncSession, code: str | None) -> Programme:
    """The programme named by `code`, or when none is given the current one: the newest that
    has started (a year the office created ahead of time is not the default before it begins)."""
    repo = ProgrammeRepository(session)
    programme = await (repo.get_by_code(code) if code else repo.current(today_shanghai()))
    if programme is None:
        raise NotFound(f"改革工程 {code} 不存在" if code else "尚未创建任何改革工程")
    return programme


def writable(programme: Programme) -> Programme:
    """The programme, if its year is still open; a closed one is read-only (409 naming it, the
    same words as the database's refusal, tasks.refuse_closed_programme)."""
    if programme.closed_at is not None:
        raise ProgrammeClosed(f"改革工程“{programme.name}”（{programme.year}年度）已结束，不能修改")
    return programme


async def list_programmes(session: AsyncSession) -> Sequence[Programme]:
    return await ProgrammeRepository(session).all()


async def list_domains(session: AsyncSession, programme: Programme) -> Sequence[Domain]:
    return await ProgrammeRepository(session).domains(programme.id)


async def update_settings(
    session: AsyncSession, principal: Principal, programme: Programme, new: ProgrammeSettings
) -> Programme:
    writable(programme)
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
    names, order) and settings come along, and with `carry_over` its tasks not closed out
    (`carry_over.py`); without, it starts with no domains and the default settings. A dry run
    answers what would be created and writes nothing. The rule set is evaluation's: the
    `programme.created` event (same transaction, through the outbox) tells it, and it copies
    `copy_from`'s rule set in force as the new programme's first draft, or starts from its
    default set without one; the office then edits and publishes it (docs/EVALUATION.md)."""
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
    carries = (
        await carry_over.plan(session, source, programme) if source and body.carry_over else []
    )
    created = ProgrammeCreated(
        programme=ProgrammeOut.model_validate(programme),
        domains=[_domain_out(d) for d in copied],
        carried=[c.out(programme) for c in carries],
        dry_run=body.dry_run,
    )
    if body.dry_run:
        return created
    await repo.add(programme)
    domains = {
        d.code: Domain(programme_id=programme.id, code=d.code, name=d.name, ordinal=d.ordinal)
        for d in copied
    }
    session.add_all(domains.values())
    await session.flush()
    if source is not None:
        await carry_over.carry(session, principal, source, programme, carries, domains)
    await audit.record(
        session,
        actor=principal,
        action="programme.created",
        entity_type="programme",
        entity_id=programme.code,
        after={
            **body.model_dump(exclude={"dry_run"}),
            "settings": programme.settings,
            "domains": list(domains),
            "carried": [[c.from_number, c.number] for c in created.carried],
        },
    )
    await outbox.enqueue(
        session,
        "programme.created",
        events.ProgrammeCreated(
            code=programme.code,
            year=programme.year,
            starts_on=programme.starts_on,
            ends_on=programme.ends_on,
            copy_from=source.code if source else None,
        ),
        programme=programme.code,
    )
    return created


# --- closing a year (issue #21) ------------------------------------------------------------


def final_notice_period(programme: Programme) -> str:
    """The programme's last quarter (2026-Q4 for a calendar year): its notice is the year's
    final one."""
    return period_containing(programme.ends_on, "quarter").id


def _report_left(report: Report) -> FieldError:
    state = "草稿" if report.status is ReportStatus.draft else "已核稿"
    return FieldError(
        loc=["reports", report.id],
        msg=f"《{report.title}》第{report.version}版{state}，未签发",
        type="report_not_signed",
    )


def _quarantine_left(held: Held) -> list[FieldError]:
    left = [
        FieldError(
            loc=["quarantine", order_no],
            msg=f"12345工单 {order_no} 在待处理队列中",
            type="quarantined",
        )
        for order_no in held.order_nos
    ]
    if held.total > len(held.order_nos):
        more = held.total - len(held.order_nos)
        left.append(
            FieldError(
                loc=["quarantine"], msg=f"待处理队列中另有 {more} 件工单", type="quarantined"
            )
        )
    return left


async def left_to_close(
    session: AsyncSession, programme: Programme, held: Held
) -> list[FieldError]:
    """What keeps the year open: report periods whose newest version is not signed, the final
    quarterly notice not signed, and 12345 orders received within the programme's dates still
    in the hotline's quarantine queue."""
    repo = ProgrammeRepository(session)
    unsigned = await repo.unsigned_reports(programme.id)
    left = [_report_left(r) for r in unsigned]
    final = final_notice_period(programme)
    drafted = any(r.kind is ReportKind.quarterly_notice and r.period == final for r in unsigned)
    if not drafted and not await repo.notice_signed(programme.id, final):
        left.append(
            FieldError(
                loc=["quarterly_notice", final],
                msg=f"最后一期季度通报（{final}）尚未签发",
                type="final_notice_not_signed",
            )
        )
    return left + _quarantine_left(held)


async def close(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    body: ProgrammeClose,
    quarantine: Quarantine,
) -> Programme:
    """结束年度 (issue #21): once the year's reports are signed, its final quarterly notice too,
    and no 12345 order of its dates waits in quarantine, the programme is closed: read-only from
    then on (tasks.refuse_closed_programme), and `programme.closed` tells evaluation to freeze
    its scores as the year's final results. 409 listing what is left (in `errors`), 409 if it
    is closed already, 503 if the hotline does not answer; a dry run checks and writes nothing.
    """
    writable(programme)
    held = await quarantine.held(programme.starts_on, programme.ends_on)
    repo = ProgrammeRepository(session)
    current = await repo.locked(programme.id)
    if current is None:
        raise NotFound(f"改革工程 {programme.code} 不存在")
    writable(current)
    left = await left_to_close(session, current, held)
    if left:
        raise Conflict(
            f"改革工程“{current.name}”尚有 {len(left)} 项未办结，不能结束年度："
            + "；".join(item.msg for item in left),
            errors=left,
        )
    if body.dry_run:
        return current
    current.closed_at, current.closed_by = now_utc(), principal.username
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="programme.closed",
        entity_type="programme",
        entity_id=current.code,
        before={"closed_at": None},
        after={"closed_at": current.closed_at, "closed_by": current.closed_by},
    )
    await outbox.enqueue(
        session,
        "programme.closed",
        events.ProgrammeClosed(
            code=current.code,
            year=current.year,
            closed_on=today_shanghai(),
            closed_by=principal.username,
        ),
        programme=current.code,
    )
    return current


# --- domains (issue #21: the office manages each programme's domains) -------------------------


def _domain_out(domain: Domain) -> DomainOut:
    return DomainOut(code=domain.code, name=domain.name, ordinal=domain.ordinal)


async def _locked_domains(session: AsyncSession, programme: Programme) -> list[Domain]:
    writable(programme)
    repo = ProgrammeRepository(session)
    await repo.lock(programme.id)
    return list(await repo.domains(programme.id))


def _named(domains: list[Domain], code: str) -> Domain:
    found = next((d for d in domains if d.code == code), None)
    if found is None:
        raise NotFound(f"领域 {code} 不存在")
    return found


def _name_free(domains: list[Domain], name: str, *, but: Domain | None = None) -> None:
    taken = next((d for d in domains if d.name == name and d is not but), None)
    if taken is not None:
        raise Conflict(f"领域名称“{name}”已被领域 {taken.code} 使用")


async def _audited(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action=f"domain.{action}",
        entity_type="programme",
        entity_id=programme.code,
        before=before,
        after=after,
    )


async def add_domain(
    session: AsyncSession, principal: Principal, programme: Programme, body: DomainIn
) -> DomainOut:
    """A new domain at the end of the programme's list; its code and name are the programme's
    own (409 naming the domain that has them)."""
    domains = await _locked_domains(session, programme)
    if any(d.code == body.code for d in domains):
        raise Conflict(f"领域代码 {body.code} 已存在")
    _name_free(domains, body.name)
    domain = Domain(
        programme_id=programme.id,
        code=body.code,
        name=body.name,
        ordinal=max((d.ordinal for d in domains), default=0) + 1,
    )
    session.add(domain)
    await _audited(session, principal, programme, "created", None, _domain_out(domain).model_dump())
    return _domain_out(domain)


async def rename_domain(
    session: AsyncSession, principal: Principal, programme: Programme, code: str, body: DomainRename
) -> DomainOut:
    """Its tasks keep it (they refer to it, not to its name); exports show the new name."""
    domains = await _locked_domains(session, programme)
    domain = _named(domains, code)
    _name_free(domains, body.name, but=domain)
    before, domain.name = domain.name, body.name
    await _audited(session, principal, programme, "renamed", {code: before}, {code: domain.name})
    return _domain_out(domain)


async def reorder_domains(
    session: AsyncSession, principal: Principal, programme: Programme, body: DomainOrder
) -> list[DomainOut]:
    """The new order names every domain of the programme exactly once (422 otherwise)."""
    domains = await _locked_domains(session, programme)
    if sorted(body.codes) != sorted(d.code for d in domains):
        message = "新顺序须恰好包含该改革工程的全部领域代码各一次"
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "codes"], msg=message, type="value")]
        )
    before = [d.code for d in domains]
    by_code = {d.code: d for d in domains}
    for ordinal, code in enumerate(body.codes, start=1):
        by_code[code].ordinal = ordinal
    await _audited(
        session, principal, programme, "reordered", {"order": before}, {"order": body.codes}
    )
    return [_domain_out(by_code[code]) for code in body.codes]


async def delete_domain(
    session: AsyncSession, principal: Principal, programme: Programme, code: str
) -> None:
    """Only a domain without tasks goes (409 with how many it has); the rest close up."""
    domains = await _locked_domains(session, programme)
    domain = _named(domains, code)
    repo = ProgrammeRepository(session)
    tasks = await repo.task_count(domain.id)
    if tasks:
        raise Conflict(f"领域“{domain.name}”下有 {tasks} 项任务，不能删除")
    await repo.delete_domain(domain)
    for ordinal, rest in enumerate((d for d in domains if d is not domain), start=1):
        rest.ordinal = ordinal
    await _audited(session, principal, programme, "deleted", _domain_out(domain).model_dump(), None)
