"""Login and token verification (shared.auth): every bad token is a 401 problem+json."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared import clock
from shared.auth import decode_token, hash_password, issue_token
from shared.errors import Unauthorized
from shared.models import Role, UnitKind
from shared.settings import DEV_JWT_SIGNING_KEY, Environment, Settings
from shared.signing_keys import new_private_text, private_key, public_text
from tests.conftest import Factory


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/token", data={"username": username, "password": password})


async def test_login_returns_token_that_me_accepts(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    unit = await factory.unit("fagaiwei", name="云岭市发展和改革委员会")
    await factory.user("fagaiwei", Role.lead_unit, unit, hash_password("s3cret-pass"))

    response = await _login(tasks_client, "fagaiwei", "s3cret-pass")
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert response.json()["token_type"] == "bearer"

    me = await tasks_client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json() == {
        "username": "fagaiwei",
        "display_name": "fagaiwei用户",
        "role": "lead_unit",
        "unit_code": "fagaiwei",
        "unit_name": "云岭市发展和改革委员会",
    }


async def test_wrong_password_and_unknown_user_are_401_with_same_message(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    unit = await factory.unit("shuiwu")
    await factory.user("shuiwu", Role.unit, unit, hash_password("right-password"))

    wrong = await _login(tasks_client, "shuiwu", "wrong-password")
    unknown = await _login(tasks_client, "nobody", "right-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"] == "用户名或密码错误"


async def test_inactive_user_cannot_log_in(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    unit = await factory.unit("sifa")
    user = await factory.user("sifa", Role.unit, unit, hash_password("pw-123456"))
    user.is_active = False
    await factory.session.flush()
    assert (await _login(tasks_client, "sifa", "pw-123456")).status_code == 401


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(settings: Settings, **override: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": "office",
        "role": "office_admin",
        "unit": "gaigeban",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(override)
    return claims


def _forge(claims: dict[str, object], key: Ed25519PrivateKey | None = None) -> str:
    """Signed with the test's person-issuer key (the dev key) unless another is given."""
    signing = key or private_key(DEV_JWT_SIGNING_KEY)
    return jwt.encode(claims, signing, algorithm="EdDSA", headers={"kid": "reform_tasks"})


def _public_raw(settings: Settings) -> bytes:
    public = settings.key_ring.verifying["reform_tasks"]
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


async def test_bad_tokens_are_all_401(
    tasks_client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    unit = await factory.unit("gaigeban", UnitKind.office)
    await factory.user("office", Role.office_admin, unit)
    good = issue_token(settings, username="office", role=Role.office_admin, unit_code="gaigeban")
    header, _payload, signature = good.split(".")
    tampered_payload = _b64({**_claims(settings), "role": "office_admin", "sub": "someone"})

    bad_tokens = {
        "expired": issue_token(
            settings,
            username="office",
            role=Role.office_admin,
            unit_code="gaigeban",
            now=datetime.now(UTC) - timedelta(days=2),
            ttl=timedelta(hours=1),
        ),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(settings))}.",
        "other key under our kid": _forge(_claims(settings), Ed25519PrivateKey.generate()),
        "HS256 keyed with our public key": jwt.encode(
            _claims(settings),
            _public_raw(settings),
            algorithm="HS256",
            headers={"kid": "reform_tasks"},
        ),
        "wrong audience": _forge(_claims(settings, aud="someone-else")),
        "wrong issuer": _forge(_claims(settings, iss="evil")),
        "no expiry": _forge({k: v for k, v in _claims(settings).items() if k != "exp"}),
        "unknown role": _forge(_claims(settings, role="superuser")),
        "tampered payload": f"{header}.{tampered_payload}.{signature}",
        "garbage": "not-a-jwt",
    }
    sanity = await tasks_client.get("/api/auth/me", headers={"Authorization": f"Bearer {good}"})
    assert sanity.status_code == 200
    for name, token in bad_tokens.items():
        response = await tasks_client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, name
        assert response.json()["code"] == "unauthorized", name
        assert response.headers["www-authenticate"] == "Bearer", name


async def test_missing_token_is_401(tasks_client: httpx.AsyncClient) -> None:
    response = await tasks_client.get("/api/tasks/v1/units")
    assert response.status_code == 401
    assert response.json()["title"] == "未登录或登录已失效"


async def test_user_token_cannot_post_internal_events(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    response = await evaluation_client.post(
        "/internal/events",
        json={
            "id": "8f14e45f-ceea-4c3a-9b8e-3f3c2f1d0a11",
            "type": "task.closed_out",
            "occurred_at": "2026-06-30T08:00:00Z",
            "data": {},
        },
        headers=factory.headers("office", Role.office_admin, "gaigeban"),
    )
    assert response.status_code == 403


async def test_repeated_failures_lock_the_name_out_with_429_and_retry_after(
    tasks_client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    """Issue #23 (login flood): five failures in the window lock the name out, before any
    password is checked; the lockout ends after Retry-After; a success clears the count."""
    await factory.liaison("shuili", "云岭市水利局", "right-password-1")
    for _ in range(settings.login_max_failures_per_user):
        assert (await _login(tasks_client, "shuili", "wrong")).status_code == 401
    locked = await _login(tasks_client, "Shuili", "right-password-1")  # case folded
    assert locked.status_code == 429, locked.text
    assert locked.headers["content-type"] == "application/problem+json"
    assert locked.json()["code"] == "too_many_requests"
    assert "登录失败次数过多" in locked.json()["detail"]
    wait = int(locked.headers["retry-after"])
    assert 0 < wait <= settings.login_lockout_base_seconds
    clock.freeze(datetime.now(UTC) + timedelta(seconds=wait + 1))
    try:
        assert (await _login(tasks_client, "shuili", "right-password-1")).status_code == 200
        # The success cleared the name's count: one more failure does not lock it again.
        assert (await _login(tasks_client, "shuili", "wrong")).status_code == 401
        assert (await _login(tasks_client, "shuili", "right-password-1")).status_code == 200
    finally:
        clock.freeze(None)


async def test_a_locked_out_name_doubles_its_lockout_with_each_further_failure(
    tasks_client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    # The clock is frozen throughout: a slow machine must not make a lockout outlast the step.
    start = datetime.now(UTC)
    clock.freeze(start)
    waits = []
    try:
        for attempt in range(3):
            for _ in range(settings.login_max_failures_per_user if attempt == 0 else 1):
                assert (await _login(tasks_client, "nobody", "x")).status_code == 401
            locked = await _login(tasks_client, "nobody", "x")
            waits.append(int(locked.headers["retry-after"]))
            start += timedelta(seconds=waits[-1] + 1)
            clock.freeze(start)
    finally:
        clock.freeze(None)
    assert waits[0] == settings.login_lockout_base_seconds
    assert waits[1] == 2 * waits[0]
    assert waits[2] == 4 * waits[0]


async def test_one_client_failing_on_many_names_is_locked_out(
    tasks_client: httpx.AsyncClient, settings: Settings
) -> None:
    for n in range(settings.login_max_failures_per_client):
        assert (await _login(tasks_client, f"guess{n}", "x")).status_code == 401
    response = await _login(tasks_client, "another-name", "x")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0


async def test_failed_logins_are_logged_with_name_and_client(
    tasks_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    await _login(tasks_client, "mallory", "x")
    line = next(r.getMessage() for r in caplog.records if "login_failed" in r.getMessage())
    assert "mallory" in line
    assert "127.0.0.1" in line


async def _token(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await _login(client, username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.parametrize(
    "change",
    [
        {"role": "viewer", "unit_code": None},
        {"is_active": False},
        {"password": "a-brand-new-passphrase-2026"},
        "unit disabled",
    ],
)
async def test_a_change_to_the_account_voids_its_tokens_in_every_service(
    tasks_client: httpx.AsyncClient,
    evaluation_client: httpx.AsyncClient,
    factory: Factory,
    uncached_tokens: None,
    change: dict[str, object] | str,
) -> None:
    """Issue #23 (revocation): disabling a user or unit, changing a role or password voids the
    tokens issued before (here with no cache: TOKEN_CHECK_SECONDS=0)."""
    await factory.liaison("jiaoyu", "云岭市教育局", "jiaoyu-old-password-1")
    token = await _token(tasks_client, "jiaoyu", "jiaoyu-old-password-1")
    assert (await tasks_client.get("/api/auth/me", headers=token)).status_code == 200
    rankings = "/api/evaluation/v1/rankings?period=2026"
    assert (await evaluation_client.get(rankings, headers=token)).status_code == 200
    admin = factory.headers("office", Role.office_admin, None)
    if change == "unit disabled":
        response = await tasks_client.post(
            "/api/tasks/v1/units/jiaoyu/deactivate", json={}, headers=admin
        )
    else:
        response = await tasks_client.patch(
            "/api/tasks/v1/users/jiaoyu", json=change, headers=admin
        )
    assert response.status_code == 200, response.text
    me = await tasks_client.get("/api/auth/me", headers=token)
    assert me.status_code == 401
    assert "重新登录" in me.json()["detail"]
    assert (await evaluation_client.get(rankings, headers=token)).status_code == 401


async def test_a_display_name_change_keeps_the_tokens(
    tasks_client: httpx.AsyncClient,
    factory: Factory,
    uncached_tokens: None,
) -> None:
    await factory.liaison("tongji", "云岭市统计局", "tongji-password-1")
    token = await _token(tasks_client, "tongji", "tongji-password-1")
    admin = factory.headers("office", Role.office_admin, None)
    renamed = await tasks_client.patch(
        "/api/tasks/v1/users/tongji", json={"display_name": "统计局联络员"}, headers=admin
    )
    assert renamed.status_code == 200
    assert (await tasks_client.get("/api/auth/me", headers=token)).status_code == 200


async def test_a_person_changes_their_own_password(
    tasks_client: httpx.AsyncClient,
    factory: Factory,
    uncached_tokens: None,
) -> None:
    await factory.liaison("wenlv", "云岭市文化和旅游局", "wenlv-first-password")
    old = await _token(tasks_client, "wenlv", "wenlv-first-password")
    url = "/api/auth/password"
    wrong = await tasks_client.post(
        url,
        json={"current_password": "nope", "new_password": "lantern-river-harbour-77"},
        headers=old,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["body", "current_password"]
    for weak, message in [
        ("short-pw1", "至少 12 位"),
        ("1qaz2wsx3edc", "常见密码"),
        ("aaaaaaaaaaaa", "容易猜到"),
    ]:
        refused = await tasks_client.post(
            url,
            json={"current_password": "wenlv-first-password", "new_password": weak},
            headers=old,
        )
        assert refused.status_code == 422, weak
        assert message in refused.json()["errors"][0]["msg"], refused.json()
    changed = await tasks_client.post(
        url,
        json={
            "current_password": "wenlv-first-password",
            "new_password": "lantern-river-harbour-77",
        },
        headers=old,
    )
    assert changed.status_code == 200, changed.text
    new = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await tasks_client.get("/api/auth/me", headers=new)).status_code == 200
    assert (await tasks_client.get("/api/auth/me", headers=old)).status_code == 401
    assert (await _login(tasks_client, "wenlv", "wenlv-first-password")).status_code == 401
    assert (await _login(tasks_client, "wenlv", "lantern-river-harbour-77")).status_code == 200


async def test_the_new_token_works_at_once_while_the_old_version_is_cached(
    tasks_client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    """With the default cache (TOKEN_CHECK_SECONDS), the token a password change returns is
    accepted at once: the cache vouches only for the version it saw (found in the SPA)."""
    assert settings.token_check_seconds > 0
    await factory.liaison("yingji", "云岭市应急管理局", "yingji-first-password")
    old = await _token(tasks_client, "yingji", "yingji-first-password")
    assert (await tasks_client.get("/api/auth/me", headers=old)).status_code == 200  # cached
    changed = await tasks_client.post(
        "/api/auth/password",
        json={
            "current_password": "yingji-first-password",
            "new_password": "emergency-harbour-lantern-31",
        },
        headers=old,
    )
    new = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await tasks_client.get("/api/auth/me", headers=new)).status_code == 200
    assert (await tasks_client.get("/api/auth/me", headers=old)).status_code == 401


def _signer(key_id: str, key: str, verify: str) -> Settings:
    return Settings(
        environment=Environment.test,
        jwt_key_id=key_id,
        jwt_signing_key=key,
        jwt_verify_keys=verify,
        _env_file=None,  # type: ignore[call-arg]
    )


def test_only_the_person_issuer_key_signs_a_persons_token() -> None:
    """Issue #23, finding 9: each service signs with its own key; a key other than reform_tasks'
    signs `service` tokens only, so a compromised service cannot mint an office token."""
    issuer_key, service_key = new_private_text(), new_private_text()
    verify = (
        f"reform_tasks:{public_text(private_key(issuer_key))},"
        f"evaluation:{public_text(private_key(service_key))}"
    )
    receiver = _signer("reform_tasks", issuer_key, verify)
    evaluation = _signer("evaluation", service_key, verify)

    office = issue_token(receiver, username="office", role=Role.office_admin, unit_code=None)
    assert decode_token(receiver, office).role is Role.office_admin
    service = issue_token(evaluation, username="service:x", role=Role.service, unit_code=None)
    assert decode_token(receiver, service).role is Role.service
    with pytest.raises(RuntimeError, match="service tokens only"):
        issue_token(evaluation, username="office", role=Role.office_admin, unit_code=None)
    # Forged by hand with the service's key: refused, whatever the role but `service`.
    for role in (Role.office_admin, Role.lead_unit, Role.viewer, Role.hotline_platform):
        forged = jwt.encode(
            {**_claims(receiver), "role": role.value},
            private_key(service_key),
            algorithm="EdDSA",
            headers={"kid": "evaluation"},
        )
        with pytest.raises(Unauthorized):
            decode_token(receiver, forged)
    # The same key under the issuer's name fails the issuer's signature check.
    with pytest.raises(Unauthorized):
        decode_token(receiver, _forge(_claims(receiver), private_key(service_key)))


def test_a_process_without_a_signing_key_signs_nothing() -> None:
    verify = f"reform_tasks:{public_text(private_key(new_private_text()))}"
    migrate = _signer("migrate", "", verify)
    with pytest.raises(RuntimeError, match="no JWT_SIGNING_KEY"):
        issue_token(migrate, username="x", role=Role.service, unit_code=None)
