"""List endpoints return `{"items": [...], "total": N}` with `limit`/`offset`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int


def _page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="每页条数 (1–500)")] = 50,
    # Bounded: PostgreSQL refuses an OFFSET past bigint (a 500 otherwise).
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="跳过的条数")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Pagination = Annotated[PageParams, Depends(_page_params)]
