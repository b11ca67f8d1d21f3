"""OAuth2 password flow: username and password in, short-lived bearer token out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from sijill.access.queries import active_user
from sijill.access.schemas import Token, UserOut
from sijill.access.service import authenticate
from sijill.access.tokens import issue_token
from sijill.api.deps import CurrentActor, SessionDep, SettingsDep, client_source

router = APIRouter(prefix="/auth", tags=["auth"])

BAD_CREDENTIALS = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    # Same answer for unknown user, wrong password and disabled account: nothing to enumerate.
    detail={
        "code": "bad_credentials",
        "message": {
            "ar": "اسم المستخدم أو كلمة المرور غير صحيحة",
            "fr": "Identifiant ou mot de passe incorrect",
            "en": "incorrect username or password",
        },
    },
    headers={"WWW-Authenticate": "Bearer"},
)


@router.post("/token")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    actor = authenticate(
        session=session,
        username=form.username,
        password=form.password,
        source=client_source(request),
        max_failures=settings.login_max_failures,
        lock_minutes=settings.login_lock_minutes,
    )
    if actor is None:
        # Keep the failure count and lock-out; the 401 below would otherwise roll them back.
        session.commit()
        raise BAD_CREDENTIALS
    token = issue_token(actor.username, settings.secret_key, settings.token_minutes)
    return Token(access_token=token, expires_in=settings.token_minutes * 60)


@router.get("/me")
def me(actor: CurrentActor, session: SessionDep) -> UserOut:
    user = active_user(session, actor.username)
    return UserOut.model_validate(user)
