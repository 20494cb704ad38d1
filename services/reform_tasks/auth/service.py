"""Login: username + password → a signed token (shared.auth does the signing and hashing).

A flood of logins is held off twice: shared.auth runs at most AUTH_HASH_CONCURRENCY argon2
checks at once per process (memory), and failed logins are counted per username and per client
in `platform.login_throttle` (every replica sees the same counts): past the limit in the window
the name or client is locked out, the lockout doubling with each further failure; a locked-out
attempt is answered 429 with `Retry-After` before any password is checked. Every failure is
logged with the username and the client.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.auth.repository import LoginThrottleRepository, ThrottleRule
from services.reform_tasks.auth.schemas import Me, PasswordChange, TokenResponse
from services.reform_tasks.user.repository import UserRepository
from shared import audit
from shared.auth import Principal, hash_password_async, issue_token, verify_password_async
from shared.clock import now_utc
from shared.errors import FieldError, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from shared.models.platform import User
from shared.settings import Settings

log = structlog.get_logger(__name__)


def _rules(settings: Settings) -> tuple[ThrottleRule, ThrottleRule]:
    window = timedelta(seconds=settings.login_failure_window_seconds)
    base, cap = settings.login_lockout_base_seconds, settings.login_lockout_max_seconds
    return (
        ThrottleRule(settings.login_max_failures_per_user, window, base, cap),
        ThrottleRule(settings.login_max_failures_per_client, window, base, cap),
    )


async def _refuse_if_locked_out(
    session: AsyncSession, keys: list[str], now: datetime, username: str, client: str
) -> None:
    locked = await LoginThrottleRepository(session).locked_until(keys, now)
    if locked is not None:
        log.warning("login_locked_out", username=username, client=client)
        wait = max(1, math.ceil((locked - now).total_seconds()))
        raise TooManyRequests(f"登录失败次数过多，请 {wait} 秒后再试", retry_after=wait)


async def _count_failure(
    session: AsyncSession, settings: Settings, keys: list[str], now: datetime
) -> None:
    """Committed before the 401 is raised (the request's transaction would roll it back); a
    failed login writes nothing else."""
    user_rule, client_rule = _rules(settings)
    repository = LoginThrottleRepository(session)
    await repository.record_failure(keys[0], now, user_rule)
    await repository.record_failure(keys[1], now, client_rule)
    await session.commit()


async def login(
    session: AsyncSession,
    settings: Settings,
    credentials: tuple[str, str],
    client: str,
) -> TokenResponse:
    username, password = credentials[0].strip()[:64], credentials[1]
    keys, now = [f"user:{username.lower()}", f"client:{client}"], now_utc()
    await _refuse_if_locked_out(session, keys, now, username, client)
    user = await UserRepository(session).get_by_username(username)
    valid = await verify_password_async(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        await _count_failure(session, settings, keys, now)
        log.warning("login_failed", username=username, client=client)
        raise Unauthorized("用户名或密码错误")
    await LoginThrottleRepository(session).clear(keys[0])
    if user.unit is not None and not user.unit.is_active:
        raise Unauthorized("所属单位已停用，请联系改革办")
    return _token(settings, user)


def _token(settings: Settings, user: User) -> TokenResponse:
    token = issue_token(
        settings,
        username=user.username,
        role=user.role,
        unit_code=user.unit.code if user.unit else None,
        user_id=user.id,
        token_version=user.token_version,
    )
    return TokenResponse(access_token=token, expires_in=settings.jwt_ttl_seconds)


async def change_password(
    session: AsyncSession, settings: Settings, principal: Principal, body: PasswordChange
) -> TokenResponse:
    """A person changes their own password: every other token of theirs stops working; the
    answer is a new token for this session."""
    repo = UserRepository(session)
    user = await repo.get_by_username(principal.username)
    if user is None or not user.is_active:
        raise NotFound("当前账号不存在或已停用")
    if not await verify_password_async(user.password_hash, body.current_password):
        raise ValidationFailed(
            "当前密码不正确",
            errors=[
                FieldError(loc=["body", "current_password"], msg="当前密码不正确", type="wrong")
            ],
        )
    await repo.update(
        user,
        {
            "password_hash": await hash_password_async(body.new_password),
            "token_version": user.token_version + 1,
        },
    )
    await audit.record(
        session,
        actor=principal,
        action="user.password_changed",
        entity_type="user",
        entity_id=user.username,
        after={"tokens_revoked": True},
    )
    return _token(settings, user)


async def me(session: AsyncSession, principal: Principal) -> Me:
    user = await UserRepository(session).get_by_username(principal.username)
    if user is None or not user.is_active:
        raise NotFound("当前账号不存在或已停用")
    return Me(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        unit_code=user.unit.code if user.unit else None,
        unit_name=user.unit.name if user.unit else None,
    )
