"""Opaque cursors for lists: the last id seen, so pages stay stable while rows are added."""
from __future__ import annotations

import base64
import binascii

from flask_babel import gettext as _

from storefront.api.framework import ApiProblem

MAX_LIMIT = 100


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """0 for the first page; a malformed cursor is the caller's 400."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _colon, value = text.partition(":")
        if kind != "id" or not value.isdigit() or len(value) > 18:
            raise ValueError(text)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiProblem(400, _("That cursor is not one of ours: use `next_cursor` from the previous page.")) from None
