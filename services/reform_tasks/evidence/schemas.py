"""The evidence rules as the SPA reads them, so that a phone refuses before uploading exactly
what the services would refuse after (one truth: the settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EvidenceRules(BaseModel):
    allowed_types: list[str] = Field(description="可上传的文件扩展名（EVIDENCE_ALLOWED_TYPES）")
    max_bytes: int = Field(description="每个文件的上限，字节（EVIDENCE_MAX_BYTES）")
    report_max_files: int = Field(description="一次进展报送最多文件数（EVIDENCE_MAX_FILES）")
    reply_max_files: int = Field(
        description="一次督办回复最多文件数（SUPERVISION_REPLY_MAX_FILES）"
    )
    appeal_max_files: int = Field(description="一次12345申诉最多文件数（HOTLINE_APPEAL_MAX_FILES）")
