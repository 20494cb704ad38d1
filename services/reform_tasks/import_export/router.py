from __future__ import annotations

from fastapi import APIRouter

from shared.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/tasks/v1", tags=["import_export"], responses=PROBLEM_RESPONSES)
