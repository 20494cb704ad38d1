from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from services.reform_tasks.auth import service
from services.reform_tasks.auth.schemas import Me, PasswordChange, TokenResponse
from shared.auth import Authenticated
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, problems

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=PROBLEM_RESPONSES)


@router.post(
    "/token",
    response_model=TokenResponse,
    responses=problems(429),
    summary="Log in (OAuth2 password form); repeated failures lock the name or client out (429)",
)
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: Session,
) -> TokenResponse:
    client = request.client.host if request.client else "unknown"
    return await service.login(
        session,
        request.app.state.settings,
        (form.username, form.password),
        client,
    )


@router.post(
    "/password",
    response_model=TokenResponse,
    summary="Change one's own password (min 12, not common); other sessions are logged out",
)
async def change_password(
    request: Request, body: PasswordChange, principal: Authenticated, session: Session
) -> TokenResponse:
    return await service.change_password(session, request.app.state.settings, principal, body)


@router.get("/me", response_model=Me, summary="The logged-in user and unit")
async def me(principal: Authenticated, session: Session) -> Me:
    return await service.me(session, principal)
