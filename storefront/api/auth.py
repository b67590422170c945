"""Sign up, tokens, and who am I."""
from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from pydantic import BaseModel, EmailStr, Field

from storefront import throttle
from storefront.accounts import services as accounts
from storefront.accounts.tokens import issue_token, revoke_token
from storefront.api import blueprint
from storefront.api.framework import Access, ApiProblem, current_token, endpoint, require_caller
from storefront.api.schemas import Strict, Text, UserOut, user_out
from storefront.extensions import db


class SignupIn(Strict):
    email: EmailStr = Field(max_length=254)
    password: Text = Field(min_length=10, max_length=200)
    display_name: Text = Field(min_length=1, max_length=80)


class SignupOut(BaseModel):
    """The new account and its first token (shown once)."""

    user: UserOut
    token: str


class TokenIn(Strict):
    email: EmailStr = Field(max_length=254)
    password: Text = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    """A new bearer token: keep it, it is shown only this once."""

    token: str


def _over(limit_key: str, namespace: str, value: str) -> bool:
    return not throttle.allow(current_app.config[limit_key], namespace, value)


@endpoint(blueprint, "POST", "/auth/signup", summary="Create an account", tag="auth", body=SignupIn, responses={201: SignupOut})
def sign_up(body: SignupIn) -> SignupOut:
    if _over("SIGNUP_RATE_LIMIT", "signup-ip", throttle.network_of(request.remote_addr)):
        raise ApiProblem(429, _("Too many sign-ups from here; wait a while."), headers={"Retry-After": "60"})
    try:
        user = accounts.create_user(body.email, body.display_name, body.password)
    except accounts.EmailTaken as error:
        raise ApiProblem(409, str(error)) from None
    except accounts.WeakPassword as error:
        raise ApiProblem(422, str(error), errors=[{"field": "password", "pointer": "/password", "detail": str(error)}]) from None
    token = issue_token(user)
    db.session.commit()
    return SignupOut(user=user_out(user), token=token)


@endpoint(blueprint, "POST", "/auth/tokens", summary="Log in: a new bearer token", tag="auth", body=TokenIn, responses={201: TokenOut})
def create_token(body: TokenIn) -> TokenOut:
    if (_over("LOGIN_IP_RATE_LIMIT", "login-ip", throttle.network_of(request.remote_addr))
            | _over("LOGIN_ACCOUNT_RATE_LIMIT", "login-account", accounts.normalize_email(body.email))):
        raise ApiProblem(429, _("Too many attempts; wait a minute."), headers={"Retry-After": "60"})
    user = accounts.authenticate(body.email, body.password)
    if user is None:
        raise ApiProblem(401, _("That e-mail and password do not match an account."))
    token = issue_token(user)
    db.session.commit()
    return TokenOut(token=token)


@endpoint(blueprint, "DELETE", "/auth/tokens/current", summary="Revoke the token of this request", tag="auth",
          access=Access.USER, responses={204: None})
def delete_current_token() -> None:
    token = current_token()
    if token is None:
        raise ApiProblem(400, _("This request was not made with a bearer token; there is nothing to revoke."))
    revoke_token(token)
    db.session.commit()


@endpoint(blueprint, "GET", "/me", summary="The signed-in account", tag="auth", access=Access.USER, responses={200: UserOut})
def me() -> UserOut:
    return user_out(require_caller())
