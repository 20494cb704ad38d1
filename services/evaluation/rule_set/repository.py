"""Queries of the scoring rule sets (evaluation.rule_sets), for rule-set editing and scoring."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from shared.models import RuleSet, RuleSetStatus
from shared.repository import RepositoryBase


class RuleSetRepository(RepositoryBase[RuleSet]):
    model = RuleSet

    async def versions(self, programme: str) -> Sequence[RuleSet]:
        """Every version, newest first."""
        stmt = select(RuleSet).where(RuleSet.programme == programme)
        return (await self.session.execute(stmt.order_by(RuleSet.version.desc()))).scalars().all()

    async def version(self, programme: str, version: int) -> RuleSet | None:
        return await self.session.scalar(
            select(RuleSet).where(RuleSet.programme == programme, RuleSet.version == version)
        )

    async def latest(self, programme: str) -> RuleSet | None:
        stmt = select(RuleSet).where(RuleSet.programme == programme)
        return await self.session.scalar(stmt.order_by(RuleSet.version.desc()).limit(1))

    async def highest_version(self, programme: str) -> int:
        found = await self.session.scalar(
            select(func.max(RuleSet.version)).where(RuleSet.programme == programme)
        )
        return int(found or 0)

    async def in_force(self, programme: str) -> Sequence[RuleSet]:
        """Published and superseded versions (what scoring reads), by effective date."""
        stmt = (
            select(RuleSet)
            .where(RuleSet.programme == programme, RuleSet.status != RuleSetStatus.draft)
            .order_by(RuleSet.effective_from, RuleSet.version)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def published(self, programme: str) -> Sequence[RuleSet]:
        stmt = select(RuleSet).where(
            RuleSet.programme == programme, RuleSet.status == RuleSetStatus.published
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def add_once(self, **values: Any) -> None:
        """Insert a version unless that (programme, version) exists (two first requests at once
        store it once)."""
        await self.session.execute(
            insert(RuleSet)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[RuleSet.programme, RuleSet.version])
        )
