"""Per-request context shared by audit, outbox and logging: which service is handling it."""

from __future__ import annotations

from contextvars import ContextVar

current_service: ContextVar[str] = ContextVar("current_service", default="cli")
