"""`GET /api/tasks/v1/evidence-rules` (beside, not under, `/evidence/{id}`, a file's download):
the upload rules (types, size, counts) from the settings the services check uploads against,
for the SPA's pickers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.reform_tasks.evidence.schemas import EvidenceRules
from shared.auth import Authenticated
from shared.errors import PROBLEM_RESPONSES
from shared.settings import Settings

router = APIRouter(prefix="/api/tasks/v1", tags=["evidence"], responses=PROBLEM_RESPONSES)


@router.get(
    "/evidence-rules",
    response_model=EvidenceRules,
    summary="The evidence upload rules (types, size per file, files per report and per reply)",
)
async def rules(request: Request, _principal: Authenticated) -> EvidenceRules:
    return rules_of(request.app.state.settings)


def rules_of(settings: Settings) -> EvidenceRules:
    """The rules `shared.evidence.uploads.check_uploads` applies, for the SPA to check a file
    before it is sent."""
    return EvidenceRules(
        allowed_types=settings.evidence_allowed_types,
        max_bytes=settings.evidence_max_bytes,
        report_max_files=settings.evidence_max_files,
        reply_max_files=settings.supervision_reply_max_files,
        appeal_max_files=settings.hotline_appeal_max_files,
    )
