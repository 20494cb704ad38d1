"""The programme an endpoint works on: `?programme=2026`, or the newest one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from services.reform_tasks.programme.service import resolve
from shared.db import Session
from shared.models import Programme


async def current_programme(
    session: Session,
    programme: Annotated[str | None, Query(description="改革工程代码（默认最新）")] = None,
) -> Programme:
    return await resolve(session, programme)


CurrentProgramme = Annotated[Programme, Depends(current_programme)]
