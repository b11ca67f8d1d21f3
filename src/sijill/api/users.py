"""User administration."""

from __future__ import annotations

from fastapi import APIRouter, status

from sijill.access import queries, service
from sijill.access.schemas import UserIn, UserOut
from sijill.api.deps import CurrentActor, SessionDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(actor: CurrentActor, session: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in queries.list_users(session, actor)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(data: UserIn, actor: CurrentActor, session: SessionDep) -> UserOut:
    return UserOut.model_validate(service.create_user(session=session, actor=actor, data=data))


@router.post("/{username}/disable")
def disable_user(username: str, actor: CurrentActor, session: SessionDep) -> UserOut:
    return UserOut.model_validate(service.disable_user(session=session, actor=actor, username=username))
