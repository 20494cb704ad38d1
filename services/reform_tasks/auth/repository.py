from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shared.models.platform import User
from shared.repository import RepositoryBase


class UserRepository(RepositoryBase[User]):
    model = User

    async def get_by_username(self, username: str) -> User | None:
        return await self.get_one_or_none(
            select(User).options(joinedload(User.unit)).where(User.username == username)
        )
