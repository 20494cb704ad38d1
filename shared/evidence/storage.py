"""The evidence file store and the checks a file passes before it is kept.

Files are stored under a random key (never the uploader's file name, so no name can reach
outside the store) and copied in a worker thread, never on the event loop. `FileStore` is the
extension point for an S3-compatible store; `LocalFileStore` (files under FILES_DIR, a shared
volume in production) is the one implementation, because no S3 client library is installed.
"""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from shared.downloads import DOCX, XLSX

COPY_CHUNK = 1024 * 1024
HEAD_BYTES = 16

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with entries / an empty archive
OLE2_MAGIC = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # legacy Word/Excel (.doc/.xls)


@dataclass(frozen=True, slots=True)
class FileType:
    content_type: str
    magic: tuple[bytes, ...]
    # An Office Open XML file is a zip that must hold this part (else it is just a zip).
    required_part: str | None = None


# Extension → what its bytes must look like. The settings choose which of these are accepted.
FILE_TYPES: dict[str, FileType] = {
    "pdf": FileType("application/pdf", (b"%PDF-",)),
    "docx": FileType(DOCX, ZIP_MAGIC[:1], "word/document.xml"),
    "xlsx": FileType(XLSX, ZIP_MAGIC[:1], "xl/workbook.xml"),
    "doc": FileType("application/msword", OLE2_MAGIC),
    "xls": FileType("application/vnd.ms-excel", OLE2_MAGIC),
    "zip": FileType("application/zip", ZIP_MAGIC),
    "jpg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
    "png": FileType("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


class FileTooLarge(Exception):
    """The source had more bytes than allowed; nothing was kept."""


@dataclass(frozen=True, slots=True)
class Stored:
    key: str
    size: int
    sha256: str


def extension(filename: str) -> str:
    return Path(safe_name(filename)).suffix.lower().removeprefix(".")


def allowed_type(filename: str, allowed: Iterable[str]) -> FileType | None:
    """The file type named by the extension, if the settings accept it."""
    ext = extension(filename)
    return FILE_TYPES.get(ext) if ext in {a.lower().lstrip(".") for a in allowed} else None


def content_matches(kind: FileType, source: BinaryIO) -> bool:
    """Blocking: do the bytes match the type (magic bytes; Office files must be real Office
    zips)? A renamed .exe, or a zip renamed .docx, does not match. Rewinds `source`."""
    source.seek(0)
    head = source.read(HEAD_BYTES)
    source.seek(0)
    if not any(head.startswith(m) for m in kind.magic):
        return False
    if kind.required_part is None:
        return True
    try:
        with zipfile.ZipFile(source) as archive:
            return kind.required_part in archive.namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        source.seek(0)


def safe_name(filename: str) -> str:
    """The last path component without control or reserved characters: shown to users and in
    Content-Disposition, never used as a path."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>|:*?;')
    name = name.strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 199 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    return name or "evidence"


class FileStore(Protocol):
    """Where evidence bytes live. Blocking methods are called from worker threads."""

    def save(self, source: BinaryIO, max_bytes: int) -> Stored:
        """Copy `source` under a new random key (FileTooLarge past `max_bytes`)."""
        ...

    def local_path(self, key: str) -> Path:
        """A local file with the stored bytes (for scanning and download)."""
        ...

    def delete(self, key: str) -> None: ...


class LocalFileStore:
    """Files under `root`, two-level fan-out by key (`ab/ab12…`)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def local_path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError("storage key escapes the file store")
        return path

    def save(self, source: BinaryIO, max_bytes: int) -> Stored:
        name = uuid.uuid4().hex
        key = f"{name[:2]}/{name}"
        path = self.local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        source.seek(0)
        try:
            with path.open("xb") as target:
                while chunk := source.read(COPY_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(key)
                    digest.update(chunk)
                    target.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Stored(key=key, size=size, sha256=digest.hexdigest())

    def delete(self, key: str) -> None:
        self.local_path(key).unlink(missing_ok=True)
