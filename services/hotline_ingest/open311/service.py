"""Open311 GeoReport v2 for other city systems (seed 004_1871f105e1d7927d.txt: 12345 is the single
service line, 一号对外, into which the departments' non-emergency lines merge and which links with
the emergency and utility lines, 联动机制; an open API for other systems is the platform's reading
of that).
Services are the hotline categories; requests are work orders out of quarantine from the last 90
days. The public sees category, status, dates and district only; a caller whose `api_key` has
the `read` scope also sees the text (phone and ID numbers masked) and the handling unit.
Creating a request needs a key with the `create` scope (the office issues keys; only their
SHA-256 is stored). Errors are the spec's
`[{"code", "description"}]` with the same HTTP status."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar import service as calendar
from services.hotline_ingest.open311.repository import CLOSED, Open311Repository, Row
from services.hotline_ingest.open311.schemas import (
    KeyCreated,
    KeyOut,
    Open311Created,
    Open311Request,
    Open311Service,
)
from services.hotline_ingest.repeats.caller import caller_key
from services.hotline_ingest.webhook.repository import Receipt, receive_in_session
from services.hotline_ingest.webhook.schemas import KINDS, storable
from shared import audit
from shared.auth import Principal
from shared.crypto import encrypt, mask_text
from shared.errors import Conflict, NotFound
from shared.hotline_rates import closing_deadline
from shared.models import Category, Open311Key
from shared.settings import Settings

MAX_ROWS = 1000
CREATE, READ = "create", "read"  # api-key scopes
MAX_RANGE = timedelta(days=90)
STATUSES = {"open", "closed"}


class Open311Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def service_of(category: Category) -> Open311Service:
    return Open311Service(
        service_code=category.code,
        service_name=category.name,
        description=f"12345热线 · {category.name}",
        keywords=category.name,
        group=category.domain_code or "其他",
    )


def request_of(row: Row, *, full: bool) -> Open311Request:
    """Public (`full=False`): category, status, dates and the district only — no citizen's
    text, name, address or enterprise. With a `read`-scoped api_key: the text too (phone and
    ID numbers masked) and the handling unit."""
    order, service_name, unit_name, district_name = row
    closed = order.status in CLOSED
    return Open311Request(
        service_request_id=order.order_no,
        status="closed" if closed else "open",
        status_notes=mask_text(order.reply) if full else None,
        service_name=service_name,
        service_code=order.category_code,
        description=mask_text(order.content or order.title) if full else None,
        agency_responsible=unit_name if full else None,
        service_notice="已办结" if closed else "办理中",
        requested_datetime=order.received_at,
        updated_datetime=order.updated_at,
        expected_datetime=order.due_at,
        address=district_name,
        address_id=order.district_code,
    )


async def services(session: AsyncSession) -> list[Open311Service]:
    return [service_of(c) for c in await Open311Repository(session).services()]


def _instant(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(
            400, f"{name} must be a W3C datetime, e.g. 2026-06-01T00:00:00+08:00"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or None


def _window(params: dict[str, str], now: datetime) -> tuple[datetime, datetime]:
    """At most 90 days: by default the 90 days before `end_date`, or after `start_date`, or
    before now. Lookups by id are held to the 90 days before now, like the list."""
    start = _instant(params["start_date"], "start_date") if params.get("start_date") else None
    end = _instant(params["end_date"], "end_date") if params.get("end_date") else None
    if start is None:
        end = end or now
        start = end - MAX_RANGE
    end = end or start + MAX_RANGE
    if end < start:
        raise Open311Error(400, "end_date must not be before start_date")
    if end - start > MAX_RANGE:
        raise Open311Error(400, "start_date..end_date must span at most 90 days")
    return start, end


def _statuses(params: dict[str, str]) -> set[str]:
    wanted = _list(params.get("status"))
    if wanted is None:
        return set(STATUSES)
    if not set(wanted) <= STATUSES:
        raise Open311Error(400, "status must be open or closed")
    return set(wanted)


async def requests(
    session: AsyncSession, params: dict[str, str], now: datetime
) -> list[Open311Request]:
    """`service_request_id` overrides the other filters but not the rules every read obeys:
    orders waiting in quarantine and orders older than 90 days are not shown."""
    if any("\x00" in value for value in params.values()):  # PostgreSQL text cannot hold NUL
        raise Open311Error(400, "parameters must not contain NUL characters")
    full = await _may_read_text(session, params.get("api_key"))
    ids = _list(params.get("service_request_id"))
    if ids is not None:
        if len(ids) > MAX_ROWS:
            raise Open311Error(400, f"at most {MAX_ROWS} service_request_id values")
        start, end, statuses, codes = now - MAX_RANGE, now, set(STATUSES), None
    else:
        start, end = _window(params, now)
        statuses, codes = _statuses(params), _list(params.get("service_code"))
    rows = await Open311Repository(session).requests(
        ids=ids, codes=codes, start=start, end=end, statuses=statuses, limit=MAX_ROWS
    )
    return [request_of(row, full=full) for row in rows]


async def one_request(
    session: AsyncSession, order_no: str, api_key: str | None, now: datetime
) -> list[Open311Request]:
    params = {"service_request_id": order_no} | ({"api_key": api_key} if api_key else {})
    found = await requests(session, params, now)
    if not found:
        raise Open311Error(404, f"service_request_id {order_no} not found")
    return found


async def _may_read_text(session: AsyncSession, api_key: str | None) -> bool:
    """Anonymous reads are public; a key that is not valid is refused, not read as public."""
    if api_key is None:
        return False
    return READ in await check_key(session, api_key)


async def check_key(session: AsyncSession, api_key: str | None) -> list[str]:
    """The key's scopes, or 403."""
    row = await Open311Repository(session).active_key(hash_key(api_key)) if api_key else None
    if row is None:
        raise Open311Error(403, "api_key is missing or not valid")
    return list(row.scopes)


def _field(form: dict[str, str], name: str, limit: int) -> str | None:
    value = (form.get(name) or "").strip()
    if not value:
        return None
    if len(value) > limit:
        raise Open311Error(400, f"{name} is longer than {limit} characters")
    try:
        return storable(value)
    except ValueError as exc:
        raise Open311Error(400, f"{name}: {exc}") from exc


async def create_request(
    session: AsyncSession, settings: Settings, form: dict[str, str], now: datetime
) -> list[Open311Created]:
    """A request from another city system becomes a 12345 work order with no handling unit
    yet: it waits in the quarantine queue until the office dispatches it (派单)."""
    if CREATE not in await check_key(session, form.get("api_key")):
        raise Open311Error(403, "this api_key may not create service requests")
    code = _field(form, "service_code", 64)
    if code is None or not await Open311Repository(session).category_exists(code):
        raise Open311Error(400, f"service_code {code!r} is not a known service")
    description = _field(form, "description", 4000)
    if description is None:
        raise Open311Error(400, "description is required")
    address = _field(form, "address_string", 200)
    address_id = _field(form, "address_id", 32)
    lat, long = form.get("lat"), form.get("long")
    if not (address or address_id or (lat and long)):
        raise Open311Error(400, "a location is required: lat & long, address_string or address_id")
    kind = _field(form, "attribute[kind]", 16) or "complaint"
    if kind not in KINDS:
        raise Open311Error(400, f"attribute[kind] must be one of {', '.join(KINDS)}")
    district = (
        address_id
        if address_id and await Open311Repository(session).district_exists(address_id)
        else None
    )
    name = " ".join(filter(None, (_field(form, "last_name", 32), _field(form, "first_name", 32))))
    phone = _field(form, "phone", 32)
    due = closing_deadline(await calendar.load(session), settings, now, kind)
    order_no = f"OS{now.astimezone(UTC):%Y%m%d}{uuid.uuid4().hex[:10].upper()}"
    data = {
        "order_no": order_no,
        "occurred_at": now.isoformat(),
        "channel": "web",
        "kind": kind,
        "title": description[:60],
        "content": description if not address else f"{description}（地址：{address}）",
        "received_at": now.isoformat(),
        "district_code": district,
        "enterprise_name": None,
        "credit_code": None,
        "category_code": code,
        "handling_unit_code": None,
        "due_at": due.isoformat(),
    }
    key = settings.pii_encryption_key
    receipt = Receipt(
        webhook_id=f"open311:{order_no}",
        source="open311",
        headers=json.dumps({"api_key_sha256": hash_key(form.get("api_key", ""))[:12]}),
        body=json.dumps(
            {k: v for k, v in data.items()} | {"address_string": address}, ensure_ascii=False
        ),
        event_type="work_order.created",
        outcome="applied",
        order_no=order_no,
        occurred_at=now,
        data=json.dumps(data, ensure_ascii=False),
        contact_name=encrypt(key, name or None),
        contact_phone=encrypt(key, phone),
        caller_key=caller_key(key, phone),
    )
    await receive_in_session(session, receipt, settings)
    return [Open311Created(service_request_id=order_no, service_notice="已受理，待派单")]


async def create_key(
    session: AsyncSession, principal: Principal, name: str, scopes: Sequence[str]
) -> KeyCreated:
    api_key = "o311_" + secrets.token_urlsafe(32)
    row = Open311Key(
        name=name, key_hash=hash_key(api_key), scopes=list(scopes), created_by=principal.username
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    await audit.record(
        session,
        actor=principal,
        action="open311.key_created",
        entity_type="open311_key",
        entity_id=str(row.id),
        after={"name": name, "scopes": list(scopes)},
    )
    return KeyCreated(**KeyOut.model_validate(row).model_dump(), api_key=api_key)


async def list_keys(session: AsyncSession) -> list[KeyOut]:
    return [KeyOut.model_validate(k) for k in await Open311Repository(session).keys()]


async def revoke_key(
    session: AsyncSession, principal: Principal, key_id: int, now: datetime
) -> KeyOut:
    row = await Open311Repository(session).key(key_id)
    if row is None:
        raise NotFound("密钥不存在")
    if row.revoked_at is not None:
        raise Conflict("该密钥已作废")
    row.revoked_at = now
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="open311.key_revoked",
        entity_type="open311_key",
        entity_id=str(key_id),
        after={"name": row.name},
    )
    return KeyOut.model_validate(row)
