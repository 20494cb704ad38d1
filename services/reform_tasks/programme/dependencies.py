"""The programme an endpoint works on: `?programme=2026`, or the newest one. A request that
writes (any method but GET and HEAD) is refused for a closed programme, before it does anything
(409; the database refuses the rows too, tasks.refuse_closed_programme)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from services.reform_tasks.programme.service import resolve, writable
from shared.db import Session
from shared.models import Programme

READS = frozenset({"GET", "HEAD"})


async def current_programme(
    request: Request,
    session: Session,
    programme: Annotated[str | None, Query(description="改革工程代码（默认最新）")] = None,
) -> Programme:
    chosen = await resolve(session, programme)
    return chosen if request.method in READS else writable(chosen)


CurrentProgramme = Annotated[Programme, Depends(current_programme)]
