"""The virus-scan hook for evidence files, chosen by EVIDENCE_SCANNER.

"none" records every file as unscanned (the default, for dev machines; production refuses it);
"command" runs
EVIDENCE_SCAN_COMMAND (e.g. `clamdscan --no-summary`) with the file's path appended, off the event
loop: exit 0 clean, 1 infected, anything else (or no answer in time) means the scanner is
unavailable, and the upload is refused rather than kept unscanned.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path

import structlog

from shared.settings import Settings

log = structlog.get_logger(__name__)


class ScanResult(StrEnum):
    clean = "clean"
    infected = "infected"
    unscanned = "unscanned"


class ScannerUnavailable(Exception):
    pass


Scanner = Callable[[Path], Awaitable[ScanResult]]


async def no_scan(path: Path) -> ScanResult:
    return ScanResult.unscanned


def command_scanner(command: str, timeout: float) -> Scanner:
    argv = shlex.split(command)

    async def scan(path: Path) -> ScanResult:
        if not argv:
            raise ScannerUnavailable("EVIDENCE_SCAN_COMMAND is empty")
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                str(path),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        except OSError as exc:
            raise ScannerUnavailable(f"cannot run {argv[0]}: {exc}") from exc
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError as exc:
            process.kill()
            await process.wait()
            raise ScannerUnavailable(f"{argv[0]} gave no answer in {timeout:g} s") from exc
        if process.returncode == 0:
            return ScanResult.clean
        if process.returncode == 1:
            log.warning(
                "evidence_infected", scanner=argv[0], output=output[-500:].decode(errors="replace")
            )
            return ScanResult.infected
        raise ScannerUnavailable(f"{argv[0]} exited with {process.returncode}")

    return scan


def scanner_for(settings: Settings) -> Scanner:
    if settings.evidence_scanner == "command":
        return command_scanner(
            settings.evidence_scan_command, settings.evidence_scan_timeout_seconds
        )
    return no_scan
