"""User accounts (platform.users): the one repository login and account management share."""

from __future__ import annotations

from sqlalchemy import Select, exists, or_, select, update
from sqlalchemy.orm import joinedload

from shared.models.platform import Role, Unit, User
from shared.repository import RepositoryBase


class UserRepository(RepositoryBase[User]):
    model = User

    def list_statement(
        self, *, role: Role | None, unit_code: str | None, q: str | None
    ) -> Select[User]:
        stmt = select(User).options(joinedload(User.unit)).order_by(User.username)
        if role is not None:
            stmt = stmt.where(User.role == role)
        if unit_code is not None:
            stmt = stmt.join(Unit, Unit.id == User.unit_id).where(Unit.code == unit_code)
        if q:
            pattern = f"%{q}%"
            stmt = stmt.where(or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
        return stmt

    async def get_by_username(self, username: str) -> User | None:
        """With its unit, read afresh (not as an earlier query of this session left it)."""
        return await self.get_one_or_none(
            select(User)
            .options(joinedload(User.unit))
            .where(User.username == username)
            .execution_options(populate_existing=True)
        )

    async def unit_by_code(self, code: str) -> Unit | None:
        return (
            await self.session.execute(select(Unit).where(Unit.code == code))
        ).scalar_one_or_none()

    async def any_with_role(self, role: Role) -> bool:
        return bool(await self.session.scalar(select(exists().where(User.role == role))))

    async def revoke_tokens_of_unit(self, unit_id: int) -> None:
        """Every token of the unit's users stops working (shared.auth checks the version)."""
        await self.session.execute(
            update(User).where(User.unit_id == unit_id).values(token_version=User.token_version + 1)
        )
