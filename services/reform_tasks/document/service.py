"""Official documents (公文) as issued: a 文号 allocated when a document is signed, the DOCX as
signed (and the PDF, rendered once by LibreOffice), stored and never changed.

Issue #20. The 文号 is `代字〔year〕N号`; N comes from one gap-free sequence per 代字 and year
(`DocumentRepository.next_serial`): a document is numbered in the transaction that stores it, so
a draft that is regenerated, or a sign-off that fails, takes no number. The 代字 of each kind are
office defaults (`DOCUMENT_WORD_*` settings).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.document.pdf import docx_to_pdf, pdf_available
from services.reform_tasks.document.repository import DocumentRepository
from shared.auth import Principal
from shared.clock import now_utc, today_shanghai
from shared.errors import NotFound
from shared.models import DocumentKind, OfficialDocument, Publicity
from shared.settings import get_settings

Render = Callable[[dict[str, Any]], bytes]


class Edition(StrEnum):
    full = "full"
    public = "public"  # the quarterly notice's public version (公开版)


def word_of(kind: DocumentKind) -> str:
    """The 代字 a kind of document is numbered under (office defaults in settings)."""
    settings = get_settings()
    return {
        DocumentKind.monthly_dispatch: settings.document_word_monthly_dispatch,
        DocumentKind.quarterly_notice: settings.document_word_quarterly_notice,
        DocumentKind.supervision: settings.document_word_supervision,
        DocumentKind.accountability: settings.document_word_accountability,
    }[kind]


async def issue(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: DocumentKind,
    title: str,
    content: dict[str, Any],
    render: Render,
    publicity: Publicity | None = None,
    public_render: Render | None = None,
    with_pdf: bool = True,
) -> OfficialDocument:
    """Number the document, render it from `content` (plus its 文号, date and 公开属性) and store
    it, in the caller's transaction. With `with_pdf` and LibreOffice installed the PDF is
    rendered now (seconds) and stored; otherwise on the first PDF download (`pdf_of`)."""
    today = today_shanghai()
    word = word_of(kind)
    serial = await DocumentRepository(session).next_serial(word, today.year)
    content = {
        **content,
        "document_number": f"{word}〔{today.year}〕{serial}号",
        "signed_on": today.isoformat(),
        "publicity": publicity.value if publicity else None,
    }
    docx = await asyncio.to_thread(render, content)
    public_docx = await asyncio.to_thread(public_render, content) if public_render else None
    rendering = with_pdf and pdf_available()
    document = OfficialDocument(
        kind=kind,
        word=word,
        year=today.year,
        serial=serial,
        document_number=content["document_number"],
        title=title,
        publicity=publicity,
        signed_at=now_utc(),
        signed_by=principal.username,
        content=content,
        docx=docx,
        pdf=await docx_to_pdf(docx) if rendering else None,
        public_docx=public_docx,
        public_pdf=await docx_to_pdf(public_docx) if rendering and public_docx else None,
    )
    session.add(document)
    await session.flush()
    return document


async def signed(session: AsyncSession, document_id: int) -> OfficialDocument:
    return await DocumentRepository(session).by_id(document_id)


def signed_docx(document: OfficialDocument, edition: Edition = Edition.full) -> bytes:
    """The DOCX as signed (404 for a public version the office did not ask for)."""
    content = document.docx if edition is Edition.full else document.public_docx
    if content is None:
        raise NotFound("该公文签发时未生成公开版")
    return content


async def docx_of(session: AsyncSession, document_id: int, edition: Edition) -> bytes:
    return signed_docx(await signed(session, document_id), edition)


def _stored_pdf(document: OfficialDocument, edition: Edition) -> bytes | None:
    return document.pdf if edition is Edition.full else document.public_pdf


async def pdf_of(session: AsyncSession, document_id: int, edition: Edition) -> bytes:
    """The stored PDF. One missing (LibreOffice was absent at sign-off) is rendered from the
    stored DOCX once, under the document's row lock (a concurrent download waits for it), and
    kept; without LibreOffice this is a 503 problem."""
    repository = DocumentRepository(session)
    stored = _stored_pdf(await repository.by_id(document_id), edition)
    if stored is not None:  # the usual case: no lock, downloads do not queue
        return stored
    document = await repository.locked(document_id)
    stored = _stored_pdf(document, edition)
    if stored is not None:  # rendered by the download we waited for
        return stored
    pdf = await docx_to_pdf(signed_docx(document, edition))
    if edition is Edition.full:
        document.pdf = pdf
    else:
        document.public_pdf = pdf
    await session.flush()
    return pdf
