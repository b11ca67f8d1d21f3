"""The acting person, passed to every service function."""

from __future__ import annotations

from dataclasses import dataclass

from sijill.access.roles import PERMISSIONS, Permission, Role
from sijill.errors import ForbiddenError


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    role: Role
    # Territory code the actor is confined to; None means the whole country.
    scope_code: str | None
    # Where the action comes from: client address for the API, "cli:<os user>" for commands.
    source: str
    user_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise ForbiddenError(permission.value)

    @classmethod
    def system(cls, source: str) -> Actor:
        """The operator running a command on the server itself: national admin."""
        return cls(username="system", role=Role.ADMIN, scope_code=None, source=source)
