"""Rule sets are versioned; a published version never changes (issue: evaluation).

Publishing is explicit: it names the date from which the version applies, and a date that is not
the first day of the programme year needs `confirm_mid_period` — the change is audited either way.
A closed programme's rules change no more (409; its results are frozen, issue #21).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.ledger import service as ledger
from services.evaluation.rule_set.repository import RuleSetRepository
from services.evaluation.rule_set.schemas import (
    PublishRequest,
    RuleSetBody,
    RuleSetOut,
)
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.models import RuleSet, RuleSetStatus
from shared.validation import ascii_number


def to_out(rule_set: RuleSet) -> RuleSetOut:
    return RuleSetOut(
        programme=rule_set.programme,
        version=rule_set.version,
        status=rule_set.status,
        body=RuleSetBody.model_validate(rule_set.body),
        note=rule_set.note,
        effective_from=rule_set.effective_from,
        created_by=rule_set.created_by,
        created_at=rule_set.created_at,
        published_by=rule_set.published_by,
        published_at=rule_set.published_at,
    )


def validate_body(raw: dict[str, Any]) -> RuleSetBody:
    """422 with the failing path (e.g. `components.2.weight.unit`) for a bad rule set."""
    try:
        return RuleSetBody.model_validate(raw)
    except ValidationError as exc:
        errors = [
            FieldError(
                loc=["body", *[str(p) if not isinstance(p, int) else p for p in e["loc"]]],
                msg=str(e["msg"]).removeprefix("Value error, "),
                type=str(e["type"]),
            )
            for e in exc.errors()
        ]
        where = "；".join(".".join(str(p) for p in e.loc[1:]) + "：" + e.msg for e in errors[:3])
        raise ValidationFailed(f"评分规则校验未通过：{where}", errors=errors) from exc


def year_start(programme: str) -> date:
    """A programme code is its year, or starts with it (2026, 2026-pilot); anything else is a
    422 before it reaches the ledger."""
    year = programme[:4]
    if len(programme) > 32 or not (ascii_number(year) and 2000 <= int(year) <= 2100):
        raise ValidationFailed(f"改革工程代码“{programme[:32]}”无效，应以年份开头，如 2026")
    return date(int(year), 1, 1)


async def list_rule_sets(session: AsyncSession, programme: str) -> Sequence[RuleSet]:
    await ledger.ensure_default_rule_set(session, programme, year_start(programme), "system")
    return await RuleSetRepository(session).versions(programme)


async def get(session: AsyncSession, programme: str, version: int) -> RuleSet:
    rule_set = await RuleSetRepository(session).version(programme, version)
    if rule_set is None:
        raise NotFound(f"评分规则 {programme} 第 {version} 版不存在")
    return rule_set


async def create_draft(
    session: AsyncSession, principal: Principal, programme: str, raw: dict[str, Any], note: str
) -> RuleSet:
    body = validate_body(raw)
    start = year_start(programme)
    await ledger.ensure_open(session, programme, "新建评分规则版本")
    await ledger.ensure_default_rule_set(session, programme, start, principal.username)
    latest = await RuleSetRepository(session).highest_version(programme)
    rule_set = RuleSet(
        programme=programme,
        version=latest + 1,
        status=RuleSetStatus.draft,
        body=body.model_dump(mode="json"),
        note=note,
        created_by=principal.username,
    )
    session.add(rule_set)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="rule_set.drafted",
        entity_type="rule_set",
        entity_id=f"{programme}/v{rule_set.version}",
        after={"note": note, "body": rule_set.body},
    )
    return rule_set


async def update_draft(
    session: AsyncSession, principal: Principal, rule_set: RuleSet, raw: dict[str, Any], note: str
) -> RuleSet:
    await ledger.ensure_open(session, rule_set.programme, "修改评分规则")
    if rule_set.status is not RuleSetStatus.draft:
        raise Conflict("已发布的评分规则不能修改，请基于它新建草稿版本")
    body = validate_body(raw)
    before = {"note": rule_set.note, "body": rule_set.body}
    rule_set.body, rule_set.note = body.model_dump(mode="json"), note
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="rule_set.draft_updated",
        entity_type="rule_set",
        entity_id=f"{rule_set.programme}/v{rule_set.version}",
        before=before,
        after={"note": note, "body": rule_set.body},
    )
    return rule_set


async def publish(
    session: AsyncSession, principal: Principal, rule_set: RuleSet, request: PublishRequest
) -> RuleSet:
    await ledger.ensure_open(session, rule_set.programme, "发布评分规则")
    if rule_set.status is not RuleSetStatus.draft:
        raise Conflict("该版本已发布，不能重复发布")
    year_start = date(int(rule_set.programme[:4]), 1, 1)
    if request.effective_from != year_start and not request.confirm_mid_period:
        raise Conflict(
            f"生效日期 {request.effective_from} 位于考核期中途，"
            "请确认（confirm_mid_period=true）后发布"
        )
    earlier = await RuleSetRepository(session).published(rule_set.programme)
    for other in earlier:
        if other.effective_from and other.effective_from >= request.effective_from:
            other.status = RuleSetStatus.superseded
    rule_set.status = RuleSetStatus.published
    rule_set.effective_from = request.effective_from
    rule_set.published_by = principal.username
    rule_set.published_at = datetime.now(UTC)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="rule_set.published",
        entity_type="rule_set",
        entity_id=f"{rule_set.programme}/v{rule_set.version}",
        after={
            "effective_from": request.effective_from,
            "mid_period": request.effective_from != year_start,
        },
    )
    # Scores from the effective date on follow the new rules at once.
    await ledger.recompute(session, rule_set.programme)
    return rule_set
