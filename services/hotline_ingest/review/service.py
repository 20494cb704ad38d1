"""好差评 (seed 004_1871f105e1d7927d.txt: good/bad reviews of every government service, 一事一评议):
each follow-up visit of a 12345 order is one review — good when the caller was satisfied or
basically satisfied, bad when dissatisfied (the office's reading: no seed says how a visit maps to a
review). Listed per order and summed per unit or district."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.review.repository import GOOD, ReviewRepository
from services.hotline_ingest.review.schemas import ReviewOut, ReviewSummary
from shared.auth import Principal
from shared.crypto import mask_text
from shared.pagination import Page, PageParams
from shared.periods import Period


async def reviews(
    session: AsyncSession,
    principal: Principal,
    period: Period,
    page: PageParams,
    *,
    unit: str | None,
    rating: str | None,
) -> Page[ReviewOut]:
    rows, total = await ReviewRepository(session).reviews(
        principal, period.window(), page, unit=unit, rating=rating
    )
    return Page[ReviewOut](
        items=[
            ReviewOut(
                order_no=o.order_no,
                handling_unit_code=o.handling_unit_code,
                district_code=o.district_code,
                kind=o.kind,
                title=mask_text(o.title),
                visited_at=o.visited_at or o.updated_at,
                satisfaction=o.satisfaction or "",
                resolved=o.resolved,
                rating="good" if o.satisfaction in GOOD else "bad",
            )
            for o in rows
        ],
        total=total,
    )


async def summary(
    session: AsyncSession, principal: Principal, period: Period, by: str
) -> list[ReviewSummary]:
    rows = await ReviewRepository(session).summary(principal, period.window(), by == "district")
    return [
        ReviewSummary(
            unit_code=code,
            unit_name=name,
            good=good,
            bad=bad,
            total=good + bad,
            good_rate=round(good / (good + bad), 4) if good + bad else None,
        )
        for code, name, good, bad in rows
    ]
