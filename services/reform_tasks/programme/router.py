from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.reform_tasks.programme import service
from services.reform_tasks.programme.quarantine import HotlineQuarantine
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
from shared.auth import Authenticated, OfficeAdmin
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, problems
from shared.pagination import Page

router = APIRouter(prefix="/api/tasks/v1", tags=["programmes"], responses=PROBLEM_RESPONSES)


@router.get("/programmes", response_model=Page[ProgrammeOut], summary="Programmes, newest first")
async def list_programmes(principal: Authenticated, session: Session) -> Page[ProgrammeOut]:
    items = [ProgrammeOut.model_validate(p) for p in await service.list_programmes(session)]
    return Page[ProgrammeOut](items=items, total=len(items))


@router.post(
    "/programmes",
    response_model=ProgrammeCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a programme (office admin), optionally from another's domains and settings; "
    "dry_run previews (200)",
)
async def create_programme(
    body: ProgrammeIn, principal: OfficeAdmin, session: Session, response: Response
) -> ProgrammeCreated:
    created = await service.create(session, principal, body)
    if created.dry_run:
        response.status_code = status.HTTP_200_OK
    return created


@router.get("/programmes/{code}", response_model=ProgrammeOut, summary="One programme")
async def get_programme(code: str, principal: Authenticated, session: Session) -> ProgrammeOut:
    return ProgrammeOut.model_validate(await service.resolve(session, code))


@router.put(
    "/programmes/{code}/settings", response_model=ProgrammeOut, summary="Lagging thresholds"
)
async def update_settings(
    code: str, body: ProgrammeSettings, principal: OfficeAdmin, session: Session
) -> ProgrammeOut:
    programme = await service.resolve(session, code)
    return ProgrammeOut.model_validate(
        await service.update_settings(session, principal, programme, body)
    )


@router.post(
    "/programmes/{code}/close",
    response_model=ProgrammeOut,
    responses=problems(503),
    summary="Close the year (office admin): read-only from then on, its scores final; 409 "
    "listing what is left (unsigned reports, the final quarterly notice, 12345 quarantine); "
    "dry_run checks only",
)
async def close_programme(
    code: str,
    principal: OfficeAdmin,
    session: Session,
    quarantine: HotlineQuarantine,
    body: ProgrammeClose | None = None,
) -> ProgrammeOut:
    programme = await service.resolve(session, code)
    closed = await service.close(
        session, principal, programme, body or ProgrammeClose(), quarantine
    )
    return ProgrammeOut.model_validate(closed)


@router.get("/domains", response_model=Page[DomainOut], summary="Domains of a programme")
async def list_domains(
    principal: Authenticated, session: Session, programme: str | None = None
) -> Page[DomainOut]:
    prog = await service.resolve(session, programme)
    items = [DomainOut.model_validate(d) for d in await service.list_domains(session, prog)]
    return Page[DomainOut](items=items, total=len(items))


@router.post(
    "/programmes/{code}/domains",
    response_model=DomainOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a domain at the end (office admin; 409 for a code or name in use)",
)
async def add_domain(
    code: str, body: DomainIn, principal: OfficeAdmin, session: Session
) -> DomainOut:
    programme = await service.resolve(session, code)
    return await service.add_domain(session, principal, programme, body)


@router.put(
    "/programmes/{code}/domains/order",
    response_model=list[DomainOut],
    summary="Reorder the domains (office admin): every code once, in the new order",
)
async def reorder_domains(
    code: str, body: DomainOrder, principal: OfficeAdmin, session: Session
) -> list[DomainOut]:
    programme = await service.resolve(session, code)
    return await service.reorder_domains(session, principal, programme, body)


@router.patch(
    "/programmes/{code}/domains/{domain}",
    response_model=DomainOut,
    summary="Rename a domain (office admin)",
)
async def rename_domain(
    code: str, domain: str, body: DomainRename, principal: OfficeAdmin, session: Session
) -> DomainOut:
    programme = await service.resolve(session, code)
    return await service.rename_domain(session, principal, programme, domain, body)


@router.delete(
    "/programmes/{code}/domains/{domain}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a domain without tasks (office admin; 409 while it has tasks)",
)
async def delete_domain(code: str, domain: str, principal: OfficeAdmin, session: Session) -> None:
    programme = await service.resolve(session, code)
    await service.delete_domain(session, principal, programme, domain)
