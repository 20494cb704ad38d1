"""Evidence uploads, under one set of rules wherever a unit attaches files (a progress report, a
reply to a supervision, a 12345 appeal): how many, how large, which types (extension and
bytes), the virus scan and the file store. Each owner keeps its own rows
(`shared.models.StoredFile` columns); the files of a request whose transaction does not commit
are deleted again."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import structlog
from fastapi import UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import after_rollback
from shared.downloads import attachment
from shared.errors import (
    FieldError,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationFailed,
)
from shared.evidence.scanner import ScannerUnavailable, ScanResult, scanner_for
from shared.evidence.storage import (
    FileStore,
    FileTooLarge,
    FileType,
    LocalFileStore,
    allowed_type,
    content_matches,
    safe_name,
)
from shared.models import EvidenceScanStatus, StoredFile
from shared.settings import Settings

MiB = 1024 * 1024
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    upload: UploadFile
    filename: str
    kind: FileType


@dataclass(frozen=True, slots=True)
class KeptFile:
    """A file copied into the store and scanned: the columns of its owner's row."""

    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    storage_key: str
    scan_status: EvidenceScanStatus

    def columns(self) -> dict[str, Any]:
        return asdict(self)


def file_store(settings: Settings) -> FileStore:
    return LocalFileStore(settings.files_dir)


def too_large(filename: str, settings: Settings) -> str:
    limit = settings.evidence_max_bytes
    size = f"{limit / MiB:g} MB" if limit >= MiB else f"{limit / 1024:g} KB"
    return f"文件“{filename}”超过 {size} 的上限"


async def check_uploads(
    settings: Settings, files: list[UploadFile], *, max_files: int
) -> list[CheckedUpload]:
    """At most `max_files` files (422), each at most EVIDENCE_MAX_BYTES (413), of a type
    EVIDENCE_ALLOWED_TYPES accepts whose bytes match its extension (a renamed .exe is not a
    PDF) (422, naming the file)."""
    if len(files) > max_files:
        message = f"佐证材料最多 {max_files} 个文件"
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "files"], msg=message, type="too_many")]
        )
    checked = []
    for index, upload in enumerate(files):
        filename = safe_name(upload.filename or "")
        if upload.size is not None and upload.size > settings.evidence_max_bytes:
            raise PayloadTooLarge(too_large(filename, settings))
        kind = allowed_type(filename, settings.evidence_allowed_types)
        if kind is None or not await asyncio.to_thread(content_matches, kind, upload.file):
            accepted = "、".join(t.upper() for t in settings.evidence_allowed_types)
            message = f"不支持的文件“{filename}”：仅接受 {accepted}，且内容须与扩展名一致"
            raise ValidationFailed(
                message,
                errors=[FieldError(loc=["body", "files", index], msg=message, type="file_type")],
            )
        checked.append(CheckedUpload(upload, filename, kind))
    return checked


async def keep_files(
    session: AsyncSession, settings: Settings, uploads: list[CheckedUpload]
) -> list[KeptFile]:
    """Copy each file into the store (in a worker thread) and scan it. A file that fails, and
    every file of a request whose transaction does not commit, is deleted again."""
    store = file_store(settings)
    written: list[str] = []

    def remove_written() -> None:
        for key in written:
            store.delete(key)

    after_rollback(session, remove_written)
    kept = []
    try:
        for item in uploads:
            kept.append(await _keep_one(settings, store, item, written))
    except BaseException:
        await asyncio.to_thread(remove_written)
        raise
    return kept


async def _keep_one(
    settings: Settings, store: FileStore, item: CheckedUpload, written: list[str]
) -> KeptFile:
    """One file: stored (its key added to `written` at once), then scanned; an infected file is
    refused (422), an unavailable scanner refuses the upload (503)."""
    try:
        stored = await asyncio.to_thread(store.save, item.upload.file, settings.evidence_max_bytes)
    except FileTooLarge as exc:
        raise PayloadTooLarge(too_large(item.filename, settings)) from exc
    written.append(stored.key)
    try:
        result = await scanner_for(settings)(store.local_path(stored.key))
    except ScannerUnavailable as exc:
        log.warning("evidence_scanner_unavailable", error=str(exc))
        raise ServiceUnavailable("病毒扫描服务暂不可用，请稍后重新上传") from exc
    if result is ScanResult.infected:
        raise ValidationFailed(f"文件“{item.filename}”未通过病毒扫描，已拒收")
    return KeptFile(
        filename=item.filename,
        content_type=item.kind.content_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        scan_status=EvidenceScanStatus(result.value),
    )


async def stored_path(settings: Settings, file: StoredFile) -> Path:
    """The local file of a kept file the caller may read: an infected or unscanned-pending file
    does not exist for anyone (404), nor does one whose bytes are gone."""
    if file.scan_status not in (EvidenceScanStatus.clean, EvidenceScanStatus.unscanned):
        raise NotFound("佐证材料不存在")
    path = file_store(settings).local_path(file.storage_key)
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("佐证材料文件已丢失，请联系改革办")
    return path


def download(file: StoredFile, path: Path) -> FileResponse:
    """The file as an attachment under its (cleaned) name, never sniffed as another type."""
    fallback = file.filename.encode("ascii", "replace").decode().replace("?", "_")
    return FileResponse(
        path,
        media_type=file.content_type,
        headers={
            "Content-Disposition": attachment(file.filename, fallback),
            "X-Content-Type-Options": "nosniff",
        },
    )
