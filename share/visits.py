"""Reading a visit: is it a person navigating, what device, which referrer, and the visitor's cookies.

Attribution cookies are first-party, HttpOnly, SameSite=Lax and signed; a forged or tampered
one reads as no cookie at all.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeSerializer

from share.models import DeviceClass
from storefront.throttle import network_of

VISITOR_COOKIE = "vt_visitor"
ATTRIBUTION_COOKIE = "vt_ref"
VISITOR_COOKIE_DAYS = 730
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,32}$")

#: Link-preview fetchers and crawlers: they get the redirect, but are never a click.
BOT_USER_AGENT = re.compile(
    r"facebookexternalhit|facebot|twitterbot|whatsapp|telegrambot|slackbot|slack-imgproxy|discordbot|linkedinbot"
    r"|googlebot|google-inspectiontool|adsbot|bingbot|bingpreview|yandex|baiduspider|sogou|360spider|bytespider"
    r"|petalbot|applebot|duckduckbot|pinterest|redditbot|skypeuripreview|vkshare|embedly|quora link preview"
    r"|wechatbot|weibobot|iframely|outbrain|headlesschrome|python-requests|python-urllib|curl/|wget/|go-http-client"
    r"|okhttp|java/|libwww|httpclient|\bbot\b|[a-z]bot/|crawler|spider|preview",
    re.IGNORECASE,
)
_MOBILE_USER_AGENT = re.compile(r"mobi|android|iphone|ipad|ipod|windows phone|harmonyos|micromessenger", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def device_class(user_agent: str) -> DeviceClass:
    """Remembered per user agent: a handful of agents make most visits, and the crawler pattern is long."""
    if not user_agent.strip() or BOT_USER_AGENT.search(user_agent):
        return DeviceClass.BOT
    return DeviceClass.MOBILE if _MOBILE_USER_AGENT.search(user_agent) else DeviceClass.DESKTOP


def _is_speculative(request: Request) -> bool:
    """A prefetch or prerender: the browser guessing, not the person tapping."""
    purpose = " ".join(request.headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")).lower()
    return "prefetch" in purpose or "prerender" in purpose or "preview" in purpose


def is_countable(request: Request) -> bool:
    """A person's top-level navigation: not a HEAD, not a crawler, not a prefetch, not an <img> or <iframe> load."""
    if request.method != "GET" or _is_speculative(request):
        return False
    if device_class(request.headers.get("User-Agent", "")) is DeviceClass.BOT:
        return False
    fetch_dest = request.headers.get("Sec-Fetch-Dest")
    return fetch_dest is None or fetch_dest == "document"


def referrer_host(request: Request) -> str:
    try:
        return (urlsplit(request.referrer or "").hostname or "")[:255]
    except ValueError:
        return ""


def _salt(purpose: str) -> bytes:
    return _salt_for(current_app.config["SECRET_KEY"], purpose)


@functools.lru_cache(maxsize=16)
def _salt_for(secret_key: str, purpose: str) -> bytes:
    return hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


def ip_hash(address: str | None) -> str:
    """A keyed hash of the IP: equal IPs compare equal, the IP itself cannot be read back."""
    return _ip_hash_for(_salt("vitrine ip hash"), address or "")


@functools.lru_cache(maxsize=4096)
def _ip_hash_for(salt: bytes, address: str) -> str:
    """Remembered for the addresses seen last: a phone following several links pays for its hash once."""
    return hmac.new(salt, address.encode(), hashlib.sha256).hexdigest()[:32]


def rate_limit_key(address: str | None) -> str:
    return ip_hash(_network_of(address or ""))


@functools.lru_cache(maxsize=4096)
def _network_of(address: str) -> str:
    return network_of(address)


def identity_salt() -> bytes:
    return _salt("vitrine identity hash")


def visitor_id(request: Request) -> str | None:
    value = request.cookies.get(VISITOR_COOKIE, "")
    return value if _VISITOR_ID.match(value) else None


def new_visitor_id() -> str:
    return secrets.token_urlsafe(18)[:24]


def _serializer() -> URLSafeSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeSerializer:
    """Built once per key: every click reads and writes the attribution cookie."""
    return URLSafeSerializer(secret_key, salt="vitrine attribution cookie")


@dataclass(frozen=True)
class AttributionCookie:
    visitor_id: str
    first_touch_id: int
    last_touch_id: int

    @property
    def touch_ids(self) -> list[int]:
        return sorted({self.first_touch_id, self.last_touch_id})


def read_attribution(request: Request) -> AttributionCookie | None:
    """The signed cookie's touches; None when absent, forged or tampered."""
    raw = request.cookies.get(ATTRIBUTION_COOKIE)
    if not raw or len(raw) > 500:
        return None
    try:
        data = _serializer().loads(raw)
        cookie = AttributionCookie(str(data["v"]), int(data["f"]), int(data["l"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    # The touches belong to this browser only: a cookie copied beside another visitor id is ignored.
    return cookie if cookie.visitor_id == visitor_id(request) else None


def attribution_window() -> timedelta:
    return timedelta(days=current_app.config["ATTRIBUTION_WINDOW_DAYS"])


def current_visitor_id(request: Request) -> str:
    """This browser's visitor id, or a new one (which the response must then set)."""
    return visitor_id(request) or new_visitor_id()


def write_visitor_cookie(response: Response, request: Request, visitor: str) -> None:
    response.set_cookie(
        VISITOR_COOKIE, visitor, max_age=VISITOR_COOKIE_DAYS * 86400, httponly=True, samesite="Lax", secure=request.is_secure
    )


def write_cookies(response: Response, request: Request, cookie: AttributionCookie, window: timedelta) -> None:
    secure = request.is_secure
    write_visitor_cookie(response, request, cookie.visitor_id)
    payload = _serializer().dumps({"v": cookie.visitor_id, "f": cookie.first_touch_id, "l": cookie.last_touch_id})
    response.set_cookie(
        ATTRIBUTION_COOKIE, payload, max_age=int(window.total_seconds()), httponly=True, samesite="Lax", secure=secure
    )


def remember_touch(response: Response, request: Request, touch_id: int, visitor: str, first_still_counts: Callable[[int], bool]) -> None:
    """Point the browser's attribution cookie at this touch, keeping its first touch while that one still counts."""
    existing = read_attribution(request)
    first = existing.first_touch_id if existing and existing.visitor_id == visitor and first_still_counts(existing.first_touch_id) else touch_id
    write_cookies(response, request, AttributionCookie(visitor, first, touch_id), attribution_window())
