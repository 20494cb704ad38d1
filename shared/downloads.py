"""File downloads: media types and the Content-Disposition every export and report uses."""

from __future__ import annotations

from urllib.parse import quote

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"


def attachment(filename: str, fallback: str | None = None) -> str:
    """RFC 6266 / 5987: the (Chinese) file name as `filename*`, with an ASCII `filename` for
    old clients when one is given."""
    plain = f'; filename="{fallback}"' if fallback is not None else ""
    return f"attachment{plain}; filename*=UTF-8''{quote(filename)}"
