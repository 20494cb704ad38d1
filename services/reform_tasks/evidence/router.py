"""`GET /api/tasks/v1/evidence-rules` (beside, not under, `/evidence/{id}`, a file's download):
the upload rules (types, size, counts) from the settings the services check uploads against,
for the SPA's pickers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.reform_tasks.evidence import uploads
from services.reform_tasks.evidence.schemas import EvidenceRules
from shared.auth import Authenticated
from shared.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/tasks/v1", tags=["evidence"], responses=PROBLEM_RESPONSES)


@router.get(
    "/evidence-rules",
    response_model=EvidenceRules,
    summary="The evidence upload rules (types, size per file, files per report and per reply)",
)
async def rules(request: Request, _principal: Authenticated) -> EvidenceRules:
    return uploads.rules(request.app.state.settings)
