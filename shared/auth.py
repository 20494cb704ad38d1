"""The one place tokens and passwords are handled.

JWTs (PyJWT) are EdDSA over Ed25519 (pinned; `alg: none` and any other algorithm are refused),
with a `kid` naming the signing key, and issuer, audience, expiry and subject required. Each
process signs with its own key; only the person issuer's key (reform_tasks) may sign a person's
token, any other key only `service` tokens (shared/signing_keys.py). Passwords are argon2id.
Every service verifies tokens through `current_principal` and scopes queries by its role and unit.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from shared.errors import Forbidden, Unauthorized
from shared.models.platform import OFFICE_ROLES, UNIT_ROLES, Role
from shared.settings import Settings, get_settings
from shared.token_state import current_token_version

JWT_ALGORITHM = "EdDSA"
TOKEN_URL = "/api/auth/token"  # noqa: S105

_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_hash_slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None


def _slots() -> asyncio.Semaphore:
    """At most AUTH_HASH_CONCURRENCY argon2 computations at once in this process (each takes
    64 MiB): a flood of logins waits for a slot instead of filling memory."""
    global _hash_slots
    loop = asyncio.get_running_loop()
    if _hash_slots is None or _hash_slots[0] is not loop:
        _hash_slots = (loop, asyncio.Semaphore(get_settings().auth_hash_concurrency))
    return _hash_slots[1]


async def hash_password_async(password: str) -> str:
    """argon2 is deliberately slow (tens of ms of CPU): off the event loop, a few at a time."""
    async with _slots():
        return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    async with _slots():
        return await asyncio.to_thread(verify_password, password_hash, password)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a person (with role and unit) or a machine (hotline platform, a service)."""

    username: str
    role: Role
    unit_code: str | None
    user_id: int | None = None
    token_version: int | None = None
    expires_at: datetime | None = None

    @property
    def is_office(self) -> bool:
        return self.role in OFFICE_ROLES

    @property
    def is_unit(self) -> bool:
        return self.role in UNIT_ROLES

    def can_read_unit(self, unit_code: str | None) -> bool:
        """Office and viewers read every unit; a unit reads only itself."""
        if self.is_office or self.role in (Role.viewer, Role.service):
            return True
        return unit_code is not None and unit_code == self.unit_code


def issue_token(
    settings: Settings,
    *,
    username: str,
    role: Role,
    unit_code: str | None,
    user_id: int | None = None,
    token_version: int | None = None,
    ttl: timedelta | None = None,
    now: datetime | None = None,
) -> str:
    """`user_id` and `token_version` (a person's login): the token stands while the user's
    version is still this one (see `token_still_stands`). Signed with this process's key, which
    may sign a person's token only if it is the person issuer's."""
    ring = settings.key_ring
    if ring.signing is None:
        raise RuntimeError("this process has no JWT_SIGNING_KEY: it signs no tokens")
    if role is not Role.service and ring.key_id != settings.jwt_person_issuer:
        raise RuntimeError(f"key {ring.key_id} signs service tokens only, not {role.value}")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": username,
        "role": role.value,
        "unit": unit_code,
        "uid": user_id,
        "ver": token_version,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(issued.timestamp()),
        "exp": int((issued + (ttl or timedelta(seconds=settings.jwt_ttl_seconds))).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, ring.signing, algorithm=JWT_ALGORITHM, headers={"kid": ring.key_id})


def decode_token(settings: Settings, token: str) -> Principal:
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != JWT_ALGORITHM:
            raise Unauthorized("令牌签名算法不受支持")
        kid = header.get("kid")
        key = settings.key_ring.verifying.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthorized("令牌的签名密钥不受信任")
        claims = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        role = Role(claims["role"])
        if role is not Role.service and kid != settings.jwt_person_issuer:
            # A service's key signs service tokens only: never a person's, never the office's.
            raise Unauthorized("该密钥只能签发服务令牌")
    except Unauthorized:
        raise
    except (jwt.PyJWTError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise Unauthorized("登录令牌无效或已过期，请重新登录") from exc
    unit, uid, version = claims.get("unit"), claims.get("uid"), claims.get("ver")
    return Principal(
        username=str(claims["sub"]),
        role=role,
        unit_code=str(unit) if unit is not None else None,
        user_id=int(uid) if isinstance(uid, int) else None,
        token_version=int(version) if isinstance(version, int) else None,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def current_principal(
    request: Request, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    if not token:
        raise Unauthorized("请先登录")
    # The app's own settings (tests and tools build apps with settings of their own).
    settings: Settings = getattr(request.app.state, "settings", None) or get_settings()
    principal = decode_token(settings, token)
    if not await token_still_stands(request.app, principal):
        raise Unauthorized("登录已失效（账号或单位已停用，或角色、密码已变更），请重新登录")
    request.state.principal = principal
    return principal


MACHINE_ROLES = frozenset({Role.service, Role.hotline_platform})
_CACHE_LIMIT = 10_000


async def token_still_stands(app: Any, principal: Principal) -> bool:
    """A person's token stands while its user, and the user's unit, are active and the user's
    token version is the token's: disabling either, or changing the user's role or password,
    raises the version and voids every token issued before. Checked per request, each user's
    version cached for TOKEN_CHECK_SECONDS (office default 5 s) in each process. Machine tokens
    carry no user; a person's token without one is accepted only in dev and test (tests mint
    them)."""
    settings: Settings = app.state.settings
    if principal.user_id is None:
        return principal.role in MACHINE_ROLES or settings.is_dev_like
    claimed = principal.token_version or 0
    cache: dict[int, tuple[float, int | None]] = app.state.token_versions
    now = time.monotonic()
    cached = cache.get(principal.user_id)
    # The cache only vouches for a match: a token newer than the cached version (just issued
    # after a password change) is checked against the database at once.
    if cached is not None and now - cached[0] < settings.token_check_seconds:
        if cached[1] == claimed:
            return True
        if cached[1] is None or cached[1] > claimed:
            return False
    async with app.state.sessionmaker() as session:
        version = await current_token_version(session, principal.user_id)
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[principal.user_id] = (now, version)
    return version is not None and version == claimed


def require_roles(*roles: Role) -> Any:
    allowed = frozenset(roles)

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden("当前账号角色无权执行此操作")
        return principal

    return Depends(dependency)


# Typed dependencies: the annotation says which permission an endpoint needs.
Authenticated = Annotated[Principal, Depends(current_principal)]
OfficeRead = Annotated[Principal, require_roles(*OFFICE_ROLES, Role.viewer)]
OfficeWrite = Annotated[Principal, require_roles(*OFFICE_ROLES)]
OfficeAdmin = Annotated[Principal, require_roles(Role.office_admin)]
# 签发: the office's administrator or its leader signs an official document off.
OfficeSigner = Annotated[Principal, require_roles(Role.office_admin, Role.office_leader)]
UnitWrite = Annotated[Principal, require_roles(*OFFICE_ROLES, *UNIT_ROLES)]
HotlinePlatform = Annotated[Principal, require_roles(Role.hotline_platform)]
InternalService = Annotated[Principal, require_roles(Role.service)]
# The office, or our scheduler acting on its behalf (daily sweeps).
OfficeOrService = Annotated[Principal, require_roles(*OFFICE_ROLES, Role.service)]
