"""Share-link helpers: a phone visitor following links, and links made for a shop."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from share.models import Channel, LinkTarget
from share.services import get_or_create_link
from storefront.extensions import db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"


def follow(browser: Any, code: str, **headers: str) -> Any:
    """Open a share link the way a phone's browser does after a tap in a chat app."""
    return browser.client.get(f"/s/{code}", headers={"User-Agent": PHONE, "Sec-Fetch-Dest": "document", **headers})


@pytest.fixture
def share_link(database: Any) -> Callable[..., Any]:
    def make(shop: Any, target: LinkTarget = LinkTarget.SHOP, target_id: int = 0, channel: Channel = Channel.WHATSAPP) -> Any:
        link = get_or_create_link(shop, target, target_id, channel)
        db.session.commit()
        return link

    return make
