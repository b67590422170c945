"""Shapes shared by several API modules: text without NUL bytes, money, users."""
from __future__ import annotations

from typing import Annotated

from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("must not contain a NUL character"))
    return value


#: Text as people type it: NUL bytes are refused (the database cannot store them).
Text = Annotated[str, AfterValidator(_no_nul)]


class Strict(BaseModel):
    """Request bodies refuse fields they do not know, so a typo is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class MoneyOut(BaseModel):
    """An amount in minor units (cents) of an ISO currency."""

    amount_minor: int
    currency: str = Field(pattern="^[A-Z]{3}$")


class UserOut(BaseModel):
    """A Vitrine account."""

    id: int
    email: str
    display_name: str
    is_operator: bool
    time_zone: str


def user_out(user: object) -> UserOut:
    return UserOut(id=user.id, email=user.email, display_name=user.display_name,  # type: ignore[attr-defined]
                   is_operator=user.is_operator, time_zone=user.time_zone)  # type: ignore[attr-defined]
