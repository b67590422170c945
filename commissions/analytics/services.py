"""The curator's own calendar: changing it recounts the visitors their dashboard shows per local day."""
from __future__ import annotations

import logging

from share import rollups
from storefront import localtime
from storefront.accounts.models import User
from storefront.shops.services import find_shop_for_user

log = logging.getLogger(__name__)


def set_user_time_zone(user: User, name: str) -> bool:
    """Days on the user's pages and dashboard follow the IANA zone `name`. Raises localtime.UnknownZone.

    A visitor counts once per local day, so a new zone rebuilds the rollups of the user's shop (flushes,
    never commits). Returns whether anything changed; the same zone again is ignored.
    """
    localtime.zone(name)
    if name == user.time_zone:
        return False
    user.time_zone = name
    shop = find_shop_for_user(user.id)
    if shop is not None:
        rollups.rebuild_link_hours([shop.id])
    log.info("user %s now counts days in %s", user.id, name)
    return True
