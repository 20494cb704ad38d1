from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class CreatedTask(BaseModel):
    number: int
    title: str


class ChangedTask(BaseModel):
    number: int
    fields: dict[str, list[Any]]


class ImportPreview(BaseModel):
    dry_run: bool
    created: list[CreatedTask]
    changed: list[ChangedTask]
    unchanged: int
