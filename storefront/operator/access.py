"""Operator-only pages: everyone else gets 403; moving money wants a recently typed password."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from storefront.accounts import sessions
from storefront.navigation import safe_next_path

F = TypeVar("F", bound=Callable[..., Any])


def operator_required(view: F) -> F:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_operator:
            abort(403, description=_("This page is for the store's operators."))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def password_confirmation_needed() -> Response | None:
    """A redirect to confirm the password when it was typed too long ago in this session; None when recent enough.

    Nothing is done meanwhile: after confirming, the operator is back on the page they acted from.
    """
    if sessions.confirmed_recently(sessions.current(), timedelta(minutes=current_app.config["REAUTH_MINUTES"])):
        return None
    referrer = urlsplit(request.referrer or "")
    back = safe_next_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""), url_for("operator_dashboard.home"))
    flash(_("Confirm your password first: nothing was done yet."), "info")
    return redirect(url_for("accounts.confirm_password", next=back), 303)


def moves_money(view: F) -> F:
    """For operator actions that move money (refunds, payouts, rejections)."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return password_confirmation_needed() or view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
