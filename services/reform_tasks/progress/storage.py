"""Evidence files on disk under FILES_DIR, named by a random key (never the uploader's file name,
so no name can escape the directory), written off the event loop.

The interface (`save`, `path_of`, `delete`) is the extension point for an S3-compatible store."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

# Extension → (content type, accepted leading bytes). Office documents are zip containers.
ALLOWED = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".zip": ("application/zip", (b"PK\x03\x04",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


@dataclass(frozen=True, slots=True)
class Stored:
    key: str
    size: int
    sha256: str


def sniff(filename: str, head: bytes) -> str | None:
    """The content type if the extension is allowed and the bytes match it, else None."""
    suffix = Path(filename).suffix.lower()
    if suffix not in ALLOWED:
        return None
    content_type, magics = ALLOWED[suffix]
    return content_type if any(head.startswith(m) for m in magics) else None


def safe_name(filename: str) -> str:
    """The last path component, without control characters, for Content-Disposition only."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>|:*?')
    return name[:200] or "evidence"


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the file store")
        return path

    async def save(self, content: bytes) -> Stored:
        key = f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}"

        def write() -> None:
            path = self.path_of(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)

        await asyncio.to_thread(write)
        return Stored(key=key, size=len(content), sha256=hashlib.sha256(content).hexdigest())

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(lambda: self.path_of(key).unlink(missing_ok=True))


async def scan(command: str, path: Path) -> bool:
    """The virus-scan hook: with EVIDENCE_SCAN_COMMAND set (e.g. `clamdscan --no-summary`), a
    non-zero exit marks the file infected. Without it every file passes."""
    if not command:
        return True
    process = await asyncio.create_subprocess_exec(
        *command.split(),
        str(path),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await process.wait() == 0
