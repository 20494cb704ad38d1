"""Queries for official documents: the next serial of a 代字 and year, and a document locked for
the one write it may get (its PDF, when that was missing)."""

from __future__ import annotations

from sqlalchemy import func, select, text

from shared.models import OfficialDocument
from shared.repository import RepositoryBase

# Advisory-lock namespace of the 文号 sequences (the second key is the 代字 and year).
NUMBERING_LOCK = 20_251_205


class DocumentRepository(RepositoryBase[OfficialDocument]):
    model = OfficialDocument

    async def next_serial(self, word: str, year: int) -> int:
        """The next 文号 serial for `word` in `year`, under a transaction-scoped advisory lock
        held until the caller commits: two sign-offs at once get consecutive numbers, and a
        sign-off that rolls back leaves no gap (the numbers are the committed rows)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
            {"space": NUMBERING_LOCK, "key": f"{word}:{year}"},
        )
        statement = select(func.coalesce(func.max(OfficialDocument.serial), 0)).where(
            OfficialDocument.word == word, OfficialDocument.year == year
        )
        return int((await self.session.execute(statement)).scalar_one()) + 1

    async def by_id(self, document_id: int) -> OfficialDocument:
        statement = select(OfficialDocument).where(OfficialDocument.id == document_id)
        return (await self.session.execute(statement)).scalar_one()

    async def locked(self, document_id: int) -> OfficialDocument:
        """The document under its row lock, as committed now (not as first read)."""
        statement = (
            select(OfficialDocument)
            .where(OfficialDocument.id == document_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(statement)).scalar_one()
