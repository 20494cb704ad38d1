"""DOCX → PDF with LibreOffice, headless, in a subprocess (docs/ARCHITECTURE.md says why).

One conversion at a time per process (LibreOffice is slow to start and heavy; a queue of
requests waits its turn), each with a fresh private profile in a temporary directory (two
processes never share one, and nothing is left behind), a 60 s limit (the process group is
killed), and automatically inserted blank pages kept (GB/T 9704 puts the 版记 on an even page;
the blank page before it must print). Without LibreOffice, or when it fails, the caller gets a
503 saying to download the DOCX instead."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import signal
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import structlog

from shared.errors import ServiceUnavailable
from shared.settings import get_settings

log = structlog.get_logger(__name__)

TIMEOUT_SECONDS = 60.0
# writer_pdf_Export with blank pages kept (LibreOffice skips them by default).
PDF_FILTER = 'pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'
OVERFLOW_PUNCTUATION_OFF = b'<w:overflowPunct w:val="0"/>'
OVERFLOW_PUNCTUATION_ON = b'<w:overflowPunct w:val="1"/>'
NOT_INSTALLED = "服务器未安装 LibreOffice，暂不能生成 PDF；请下载 DOCX"
FAILED = "PDF 生成失败，请稍后重试或下载 DOCX"
TIMED_OUT = "PDF 生成超时，请稍后重试或下载 DOCX"

SYSTEM_FONT_CONFIG = "/etc/fonts/fonts.conf"
_SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN", "serif")
FONT_FALLBACKS = {
    "仿宋_GB2312": ("仿宋", "FangSong", *_SERIF),
    "楷体_GB2312": ("楷体", "KaiTi", "AR PL UKai CN", *_SERIF),
    "方正小标宋简体": ("宋体", "SimSun", *_SERIF),
    "宋体": ("SimSun", *_SERIF),
    "黑体": ("SimHei", "Noto Sans CJK SC", "Source Han Sans SC", "sans-serif"),
}

BUSY = "正在生成其他 PDF，请稍后重试或下载 DOCX"
BUSY_RETRY_SECONDS = 10

_one_at_a_time = asyncio.Lock()
_queued = 0  # conversions running or waiting in this process


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    """Whether LibreOffice is installed (PDFs can be rendered)."""
    return _soffice() is not None


def _for_libreoffice(content: bytes) -> bytes:
    """The DOCX as LibreOffice should read it. LibreOffice (7.x, writerfilter's DomainMapper)
    reads w:overflowPunct inverted — a paragraph that forbids punctuation to hang past the margin
    gets hanging punctuation, and the other way round — so the value our documents set (0: keep
    every character inside the 版心, as Word and WPS read it) is flipped for it."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as source:
            entries = [(info, source.read(info)) for info in source.infolist()]
    except zipfile.BadZipFile:
        return content  # not a DOCX: LibreOffice says what it makes of it
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename.startswith("word/") and info.filename.endswith(".xml"):
                data = data.replace(OVERFLOW_PUNCTUATION_OFF, OVERFLOW_PUNCTUATION_ON)
            target.writestr(info, data)
    return out.getvalue()


def _font_config(workdir: Path) -> dict[str, str]:
    """Where the government fonts are not installed, LibreOffice asks fontconfig for a
    substitute, which picks a sans-serif (仿宋 came out as 黑体). This configuration, read before
    the system's, names the nearest installed ones as fallbacks (appended: an installed 仿宋_GB2312
    still wins): 仿宋, 楷体 or a serif for the 仿宋/楷体/宋 faces, a sans-serif for 黑体. The
    environment to run LibreOffice with; nothing when the system has no fontconfig file."""
    system = Path(os.environ.get("FONTCONFIG_FILE", SYSTEM_FONT_CONFIG))
    if not system.is_file():
        return {}
    aliases = "".join(
        f"<alias><family>{font}</family><default>"
        + "".join(f"<family>{near}</family>" for near in nearest)
        + "</default></alias>"
        for font, nearest in FONT_FALLBACKS.items()
    )
    config = workdir / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"{aliases}<include>{escape(str(system))}</include></fontconfig>",
        encoding="utf-8",
    )
    return {"FONTCONFIG_FILE": str(config)}


def _prepare(workdir: Path, content: bytes) -> tuple[Path, dict[str, str]]:
    source = workdir / "document.docx"
    source.write_bytes(_for_libreoffice(content))
    return source, {**os.environ, "HOME": str(workdir), **_font_config(workdir)}


def _result(workdir: Path) -> bytes | None:
    target = workdir / "document.pdf"
    return target.read_bytes() if target.is_file() else None


async def _convert(soffice: str, workdir: Path, source: Path, env: dict[str, str]) -> bytes:
    process = await asyncio.create_subprocess_exec(
        soffice,
        "--headless",
        "--norestore",
        f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
        "--convert-to",
        PDF_FILTER,
        "--outdir",
        str(workdir),
        str(source),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        start_new_session=True,  # its own process group: soffice starts soffice.bin
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), TIMEOUT_SECONDS)
    except TimeoutError:
        log.warning("pdf.timeout", seconds=TIMEOUT_SECONDS)
        raise ServiceUnavailable(TIMED_OUT) from None
    finally:
        if process.returncode is None:  # timed out, or the request was cancelled
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
    pdf = await asyncio.to_thread(_result, workdir)
    if process.returncode != 0 or pdf is None:
        log.warning("pdf.failed", returncode=process.returncode, stderr=stderr[-2000:].decode())
        raise ServiceUnavailable(FAILED)
    return pdf


async def docx_to_pdf(content: bytes) -> bytes:
    """The DOCX `content` as PDF (LibreOffice). Raises ServiceUnavailable (503) when LibreOffice
    is not installed, fails or takes longer than 60 s."""
    global _queued
    soffice = _soffice()
    if soffice is None:
        raise ServiceUnavailable(NOT_INSTALLED)
    if _queued >= get_settings().pdf_queue_limit:
        # A flood of PDF requests must not pile up (each holds its DOCX and a connection).
        raise ServiceUnavailable(BUSY, headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
    _queued += 1
    try:
        async with _one_at_a_time:
            workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="reform-pdf-"))
            try:
                source, env = await asyncio.to_thread(_prepare, workdir, content)
                return await _convert(soffice, workdir, source, env)
            finally:
                await asyncio.to_thread(shutil.rmtree, workdir, True)
    finally:
        _queued -= 1
