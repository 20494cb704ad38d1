"""A programme's key-project settings (`project_rules` in its settings), all office defaults
until the office changes them: the quality evaluation's weights and admission threshold (seed
003_fe0a5556b3029276.txt item 17 names the seven aspects, not their weights) and the weekday by
which a week's report is due."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.project.schemas import ProjectRuleSettings
from services.reform_tasks.project.service import project_rules
from shared import audit
from shared.auth import Principal
from shared.models import Programme


def current(programme: Programme) -> ProjectRuleSettings:
    settings = project_rules(programme)
    return ProjectRuleSettings(
        weights=settings.weights,
        threshold=settings.threshold,
        due_weekday=settings.due_weekday,
    )


async def update(
    session: AsyncSession, principal: Principal, programme: Programme, body: ProjectRuleSettings
) -> ProjectRuleSettings:
    """The office sets the programme's weights (the seven aspects, summing to 100), threshold
    and due weekday; they apply to evaluations and reports from then on (an evaluation keeps the
    weights it was scored under). Audited."""
    before = current(programme).model_dump()
    stored = body.model_dump()
    stored["threshold"] = str(Decimal(stored["threshold"]))
    programme.settings = {**(programme.settings or {}), "project_rules": stored}
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="programme.project_rules_updated",
        entity_type="programme",
        entity_id=programme.code,
        before=before,
        after=body.model_dump(),
    )
    return current(programme)
