"""Pydantic I/O for users and audit entries."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sijill.access.roles import ACCOUNT_ROLES, Role


class UserIn(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=10, max_length=200)
    role: Role
    scope_code: str | None = None
    language: str = Field(default="ar", pattern="^(ar|fr)$")

    @field_validator("role")
    @classmethod
    def _an_account_role(cls, role: Role) -> Role:
        if role not in ACCOUNT_ROLES:
            raise ValueError("citizens have no account: choose a staff role")
        return role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    role: Role
    scope_code: str | None
    language: str
    is_active: bool
    created_at: datetime


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    entity: str
    entity_id: str | None
    scope_code: str | None
    source: str
    details: str
    row_hash: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int
