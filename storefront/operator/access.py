"""Operator-only pages: everyone else gets 403."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., Any])


def operator_required(view: F) -> F:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_operator:
            abort(403, description="This page is for the store's operators.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
