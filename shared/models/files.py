"""The columns of a file a unit uploads, kept in the evidence store (shared/evidence): each
owner (a progress report, a supervision reply, a 12345 appeal) has its own table with them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import str_enum


class EvidenceScanStatus(StrEnum):
    pending = "pending"
    clean = "clean"
    infected = "infected"
    unscanned = "unscanned"  # no scanner configured (dev): shown as 未扫描, never as clean


class StoredFile:
    """The columns of a file kept in the evidence store (shared/evidence): its
    bytes live under `storage_key`, never under the uploader's file name."""

    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    scan_status: Mapped[EvidenceScanStatus] = mapped_column(
        str_enum(EvidenceScanStatus, "evidence_scan_status"), default=EvidenceScanStatus.clean
    )
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
