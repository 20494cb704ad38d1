"""A platform's field mapping (issue #26: "a per-platform mapping (JSON, edited by the office
admin, versioned) from their field names and code values to ours, applied before validation";
docs/RULES.md) and the review list of the deliveries kept but not applied ("deliveries that
fail mapping are kept and listed for review, as schema failures are today")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.platform.cache import MappingCache
from services.hotline_ingest.platform.repository import DeliveryRepository, MappingRepository
from services.hotline_ingest.platform.schemas import (
    MappingDocument,
    MappingOut,
    MappingVersionOut,
)
from services.hotline_ingest.webhook.service import platforms
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict
from shared.models.hotline import Delivery, PlatformMapping
from shared.pagination import PageParams
from shared.settings import Settings

REJECTED = ("rejected_schema", "rejected_mapping")


def _document(stored: dict[str, Any]) -> MappingDocument:
    """A saved document as it was saved — even one the contract has since outgrown (shown for
    the admin to fix; the webhook's cache leaves such a version out, `cache.MappingCache`)."""
    try:
        return MappingDocument.model_validate(stored)
    except ValidationError:
        return MappingDocument.model_construct(**stored)


def _out(platform: str, configured: bool, versions: Sequence[PlatformMapping]) -> MappingOut:
    newest = versions[0] if versions else None
    return MappingOut(
        platform=platform,
        configured=configured,
        version=newest.version if newest else None,
        document=_document(newest.document) if newest else None,
        created_by=newest.created_by if newest else None,
        created_at=newest.created_at if newest else None,
        versions=[MappingVersionOut.model_validate(v) for v in versions],
    )


async def mapping(session: AsyncSession, settings: Settings, platform: str) -> MappingOut:
    """The newest mapping and every version (none yet: `version` null), and whether a secret
    names the platform (`configured`: a mapping may be prepared before its secret is set)."""
    versions = await MappingRepository(session).versions(platform)
    return _out(platform, platform in platforms(settings.hotline_webhook_secrets), versions)


async def put_mapping(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    platform: str,
    document: MappingDocument,
    base_version: int | None,
    cache: MappingCache | None,
) -> MappingOut:
    """Save the document as the platform's next version (the newest applies). The same
    document as the newest saves nothing. With `base_version`, a newer version saved meanwhile
    is a 409 (two admins editing at once). Audited; this process reads it at once, the others
    within `cache.RECHECK_SECONDS`."""
    repo = MappingRepository(session)
    await repo.lock(platform)
    newest = await repo.newest_version(platform)
    if base_version is not None and base_version != newest:
        raise Conflict(f"平台 {platform} 的字段映射已有第 {newest} 版，请在其基础上修改")
    stored = document.model_dump(mode="json")
    versions = list(await repo.versions(platform))
    if versions and versions[0].document == stored:
        return _out(platform, platform in platforms(settings.hotline_webhook_secrets), versions)
    row = await repo.add(
        PlatformMapping(
            platform=platform, version=newest + 1, document=stored, created_by=principal.username
        )
    )
    await audit.record(
        session,
        actor=principal,
        action="hotline.platform_mapping.saved",
        entity_type="hotline.platform_mapping",
        entity_id=f"{platform}:{row.version}",
        before=versions[0].document if versions else None,
        after=stored,
    )
    if cache is not None:
        cache.invalidate()
    await session.refresh(row)
    return _out(platform, platform in platforms(settings.hotline_webhook_secrets), [row, *versions])


async def kept_deliveries(
    session: AsyncSession, outcomes: Sequence[str], platform: str | None, page: PageParams
) -> tuple[Sequence[Delivery], int]:
    return await DeliveryRepository(session).kept(outcomes or REJECTED, platform, page)
