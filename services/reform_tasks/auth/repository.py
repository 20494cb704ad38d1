"""Login throttling (platform.login_throttle); the accounts are `user.repository`'s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert

from shared.models.platform import LoginThrottle
from shared.repository import RepositoryBase


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    """How many failures a key may have in `window` before a lockout of `base` seconds, which
    doubles with each further failure up to `cap`."""

    limit: int
    window: timedelta
    base: int
    cap: int


class LoginThrottleRepository(RepositoryBase[LoginThrottle]):
    model = LoginThrottle

    async def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        """The latest lockout still running among `keys`, if any."""
        latest: datetime | None = await self.session.scalar(
            select(func.max(LoginThrottle.locked_until)).where(
                LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
            )
        )
        return latest

    async def record_failure(self, key: str, now: datetime, rule: ThrottleRule) -> None:
        """One statement, so replicas counting at once never lose a failure: a failure after
        the window starts a new count; at the limit and past it the key is locked out for
        base × 2^(failures − limit) seconds, at most `cap`."""
        table = LoginThrottle.__table__
        stale = table.c.window_started_at < now - rule.window
        failures = case((stale, 1), else_=table.c.failures + 1)
        backoff = func.least(rule.cap, rule.base * func.power(2, failures - rule.limit))
        first_lock = now + timedelta(seconds=rule.base) if rule.limit <= 1 else None
        statement = insert(LoginThrottle).values(
            key=key, failures=1, window_started_at=now, locked_until=first_lock
        )
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures,
                "window_started_at": case((stale, now), else_=table.c.window_started_at),
                "locked_until": case(
                    (failures >= rule.limit, now + func.make_interval(0, 0, 0, 0, 0, 0, backoff)),
                    else_=table.c.locked_until,
                ),
            },
        )
        await self.session.execute(statement)

    async def clear(self, key: str) -> None:
        await self.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
