"""Typed domain errors and their one mapping to RFC 9457 problem+json.

Services raise these; `install_error_handlers` renders every error (ours, FastAPI's validation
errors, Starlette's HTTP errors and anything unexpected) as `application/problem+json` with a stable
`type`/`code` for programs and a Chinese `title`/`detail` for people.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy.exc
import structlog
from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:reform:problem:"

log = structlog.get_logger(__name__)


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="path of the offending field")
    msg: str = Field(description="中文说明")
    type: str = Field(description="machine-readable error kind")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "请求有误"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}
        super().__init__(self.detail)


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "未登录或登录已失效"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "无权执行此操作"


class NotFound(DomainError):
    status, code, title = 404, "not_found", "资源不存在"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "状态冲突"


class ProgrammeClosed(Conflict):
    """A write to a closed programme's year (issue #21): refused by the service, or by the
    database (`tasks.refuse_closed_programme`, SQLSTATE `PROGRAMME_CLOSED_SQLSTATE`)."""

    code, title = "programme_closed", "改革工程已结束"


# The SQLSTATE tasks.refuse_closed_programme raises, its message naming the programme and year.
PROGRAMME_CLOSED_SQLSTATE = "RT409"


class PreconditionFailed(DomainError):
    status, code, title = 412, "precondition_failed", "数据已被他人修改"


class PayloadTooLarge(DomainError):
    status, code, title = 413, "payload_too_large", "请求内容过大"


class TooManyRequests(DomainError):
    status, code, title = 429, "too_many_requests", "请求过于频繁"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ValidationFailed(DomainError):
    status, code, title = 422, "validation_failed", "数据校验未通过"


class ServiceUnavailable(DomainError):
    status, code, title = 503, "service_unavailable", "服务暂不可用"


_HTTP_TITLES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "未登录或登录已失效"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    406: ("not_acceptable", "不支持请求的响应格式"),
    409: ("conflict", "状态冲突"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_failed", "数据校验未通过"),
    429: ("too_many_requests", "请求过于频繁"),
    500: ("internal_error", "服务器内部错误"),
    503: ("service_unavailable", "服务暂不可用"),
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem+json answers a route may give."""
    return {code: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}} for code in codes}


# Every route may answer these (413: the body cap of shared.app, before any parsing).
PROBLEM_RESPONSES = problems(400, 401, 403, 404, 409, 413, 422)


def problem_response(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=PROBLEM_TYPE_PREFIX + code,
        title=title,
        status=status,
        detail=detail,
        code=code,
        instance=request.url.path,
        request_id=correlation_id.get(),
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "json_invalid": "不是合法的 JSON",
    "string_pattern_mismatch": "格式不正确",
    "bool_parsing": "应为布尔值",
    "uuid_parsing": "应为 UUID",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为数组",
    "string_type": "应为字符串",
}


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _message(err: Any, kind: str) -> str:
    """Our validators raise ValueError with the user's message in Chinese: show it. Anything
    else (pydantic's own English messages) gets the fixed Chinese text for its type."""
    if kind in ("value_error", "assertion_error"):
        reason = str((err.get("ctx") or {}).get("error", ""))
        if _CJK.search(reason):
            return reason
    return _PYDANTIC_MESSAGES.get(kind, "取值无效")


def field_errors_from_pydantic(raw: Sequence[Any]) -> list[FieldError]:
    errors = []
    for err in raw:
        kind = str(err.get("type", "invalid"))
        loc = [part if isinstance(part, int) else str(part) for part in err.get("loc", ())]
        errors.append(FieldError(loc=loc, msg=_message(err, kind), type=kind))
    return errors


# How asyncpg says PostgreSQL is not there, or took a connection down mid-call: refused, reset or
# timed out (OSError), shutting down or starting up (SQLSTATE class 57), a connection closed or
# left half-way through an operation by the restart. Answered 503 with Retry-After, never 500.
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


def install_error_handlers(app: FastAPI) -> None:
    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(
            request,
            exc.status,
            exc.code,
            exc.title,
            exc.detail,
            errors=exc.errors,
            headers=exc.headers or None,
        )

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = field_errors_from_pydantic(exc.errors())
        where = "、".join(".".join(str(p) for p in e.loc) for e in errors[:5])
        return problem_response(
            request,
            422,
            "validation_failed",
            "请求参数校验未通过",
            f"以下字段有误：{where}" if where else "请求参数校验未通过",
            errors=errors,
        )

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code, title = _HTTP_TITLES.get(
            exc.status_code, ("http_error", HTTPStatus(exc.status_code).phrase)
        )
        detail = (
            exc.detail
            if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase
            else title
        )
        return problem_response(
            request, exc.status_code, code, title, detail, headers=getattr(exc, "headers", None)
        )

    async def on_database_unreachable(request: Request, exc: Exception) -> JSONResponse:
        # PostgreSQL is down, restarting or dropped the connection: nothing was committed, and
        # the caller may try again (the 12345 platform and the outbox relay do).
        log.warning("database_unavailable", path=request.url.path, error=str(exc)[:300])
        return problem_response(
            request,
            503,
            ServiceUnavailable.code,
            ServiceUnavailable.title,
            "数据库暂不可用，请稍后重试",
            headers={"Retry-After": "5"},
        )

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        # PostgreSQL (or asyncpg before it) refused a value from the request: a number past its
        # column's range, a NUL character, an over-long code. The transaction is rolled back.
        assert isinstance(exc, sqlalchemy.exc.DBAPIError)
        cause = getattr(exc.orig, "__cause__", None)
        if exc.connection_invalidated or isinstance(cause, DATABASE_UNAVAILABLE):
            return await on_database_unreachable(request, exc)
        if isinstance(cause, asyncpg.exceptions.PostgresError) and (
            cause.sqlstate == PROGRAMME_CLOSED_SQLSTATE
        ):
            # The database refused a change of a closed programme's year: its message names it.
            return await on_domain_error(request, ProgrammeClosed(str(cause.message)))
        if not isinstance(exc, sqlalchemy.exc.DataError) and not isinstance(
            cause, asyncpg.exceptions.DataError
        ):
            return await on_unexpected(request, exc)
        log.warning("database_refused_value", path=request.url.path, error=str(exc)[:300])
        return problem_response(
            request,
            422,
            "validation_failed",
            "请求参数校验未通过",
            "提交的数值超出允许范围、内容过长或含有无法保存的字符",
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem_response(
            request,
            500,
            "internal_error",
            "服务器内部错误",
            "服务器内部错误，请稍后重试或联系管理员",
        )

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(sqlalchemy.exc.DBAPIError, on_database_error)
    # Connecting to PostgreSQL failed (refused, reset): asyncpg raises the socket's error.
    app.add_exception_handler(ConnectionError, on_database_unreachable)
    app.add_exception_handler(Exception, on_unexpected)
