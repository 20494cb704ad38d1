"""Open311 GeoReport v2 (JSON) at /api/hotline/open311/v2, and the office's api-key admin.

The Open311 endpoints answer in the spec's own shapes, errors included (`[{"code",
"description"}]`), so they read their query and form arguments themselves; the parameters are
declared for the OpenAPI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.hotline_ingest.open311 import service
from services.hotline_ingest.open311.schemas import (
    KeyCreated,
    KeyIn,
    KeyOut,
    Open311Created,
    Open311Error,
    Open311Request,
    Open311Service,
)
from shared.auth import OfficeAdmin
from shared.clock import now_utc
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page

router = APIRouter(prefix="/api/hotline/open311/v2", tags=["open311"])
# An Open311 read's key: with the `read` scope the answer carries the text and the handling unit.
ApiKey = Annotated[
    str | None, Query(description="with the `read` scope: the text and the handling unit too")
]
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": list[Open311Error], "description": "[{code, description}]"}
    for status in (400, 403, 404)
}


def _error(exc: service.Open311Error) -> JSONResponse:
    return JSONResponse([{"code": exc.code, "description": exc.description}], status_code=exc.code)


def _json(items: list[Any], status: int = 200) -> JSONResponse:
    return JSONResponse([i.model_dump(mode="json") for i in items], status_code=status)


@router.get(
    "/services.json",
    response_model=list[Open311Service],
    summary="Open311 service list (the hotline categories)",
)
async def services(session: Session) -> JSONResponse:
    return _json(await service.services(session))


@router.get(
    "/requests.json",
    response_model=list[Open311Request],
    responses=ERRORS,
    summary="Open311 service requests (≤ 90 days, ≤ 1000 rows; text only with a read api_key)",
)
async def requests(
    request: Request,
    session: Session,
    service_request_id: Annotated[
        str | None, Query(description="comma-delimited; overrides the rest")
    ] = None,
    service_code: Annotated[str | None, Query(description="comma-delimited")] = None,
    start_date: Annotated[str | None, Query(description="W3C datetime")] = None,
    end_date: Annotated[
        str | None, Query(description="W3C datetime; at most 90 days after start")
    ] = None,
    status: Annotated[str | None, Query(description="open, closed (comma-delimited)")] = None,
    jurisdiction_id: Annotated[str | None, Query(description="ignored: one jurisdiction")] = None,
    api_key: ApiKey = None,
) -> JSONResponse:
    try:
        return _json(await service.requests(session, dict(request.query_params), now_utc()))
    except service.Open311Error as exc:
        return _error(exc)


@router.get(
    "/requests/{service_request_id}.json",
    response_model=list[Open311Request],
    responses=ERRORS,
    summary="One Open311 service request",
)
async def one_request(
    service_request_id: str,
    session: Session,
    api_key: ApiKey = None,
) -> JSONResponse:
    try:
        return _json(await service.one_request(session, service_request_id, api_key, now_utc()))
    except service.Open311Error as exc:
        return _error(exc)


@router.post(
    "/requests.json",
    response_model=list[Open311Created],
    status_code=201,
    responses=ERRORS,
    summary="Create a service request (form-encoded, api_key required); waits for dispatch",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["api_key", "service_code", "description"],
                        "properties": {
                            name: {"type": "string"}
                            for name in (
                                "api_key",
                                "service_code",
                                "description",
                                "address_string",
                                "address_id",
                                "lat",
                                "long",
                                "first_name",
                                "last_name",
                                "phone",
                                "email",
                                "attribute[kind]",
                            )
                        },
                    }
                }
            }
        }
    },
)
async def create_request(request: Request, session: Session) -> JSONResponse:
    try:
        form = await request.form(max_files=0, max_fields=100)
    except Exception:
        return _error(service.Open311Error(400, "the body must be form-encoded"))
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        created = await service.create_request(
            session, request.app.state.settings, fields, now_utc()
        )
    except service.Open311Error as exc:
        return _error(exc)
    return _json(created, 201)


keys_router = APIRouter(
    prefix="/api/hotline/v1/open311-keys", tags=["open311"], responses=PROBLEM_RESPONSES
)


@keys_router.get("", response_model=Page[KeyOut], summary="Open311 api keys (office admin)")
async def list_keys(principal: OfficeAdmin, session: Session) -> Page[KeyOut]:
    items = await service.list_keys(session)
    return Page[KeyOut](items=items, total=len(items))


@keys_router.post(
    "",
    response_model=KeyCreated,
    status_code=201,
    summary="Issue an api key for another city system (shown once; audited)",
)
async def create_key(body: KeyIn, principal: OfficeAdmin, session: Session) -> KeyCreated:
    return await service.create_key(session, principal, body.name, body.scopes)


@keys_router.delete("/{key_id}", response_model=KeyOut, summary="Revoke an api key (audited)")
async def revoke_key(key_id: int, principal: OfficeAdmin, session: Session) -> KeyOut:
    return await service.revoke_key(session, principal, key_id, now_utc())
