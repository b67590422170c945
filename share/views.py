"""Following a share link (/s/<code>), its QR codes, and the curator's share pages."""
from __future__ import annotations

import io
import logging
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path

import segno
from flask import Blueprint, Response, abort, after_this_request, current_app, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_in
from sqlalchemy import Connection

from share import services, visits
from share.destinations import recent_destinations
from share.models import Channel, LinkTarget
from share.panel import build_panel
from share.services import ClickFacts, ShareError
from share.spool import ClickSpool, new_spooled_click
from storefront import clock, outage, throttle
from storefront.extensions import db, may_be_signed_in, reading_only, standalone_statements
from storefront.shops import services as shops
from storefront.shops.models import Shop

log = logging.getLogger(__name__)
blueprint = Blueprint("share", __name__)


def _remember_touch(response: Response, touch: services.RecordedTouch, connection: Connection | None) -> None:
    window = visits.attribution_window()
    visits.remember_touch(
        response, request, touch.id, touch.visitor_id,
        lambda touch_id: services.touch_still_counts(touch_id, window, connection=connection),
    )


def _under_rate_limit(key: str) -> bool:
    return throttle.hit(current_app.config["SHARE_CLICK_RATE_LIMIT"], "share-click", key)


@blueprint.route("/s/<code>", methods=["GET", "HEAD"])
def follow(code: str) -> Response:
    # Decided up front: the link is read with this visitor's last click on it, and a click spooled after an
    # uncertain commit is recognised by the replay.
    visitor, clicked_at = visits.current_visitor_id(request), clock.now()
    # A visitor's click is written in one statement on PostgreSQL (share.click_statement) after one read of the
    # link: neither needs a transaction around it, nor the session. A signed-in visitor's click also ties the
    # browser to the account, in several statements, which keep their transaction.
    if may_be_signed_in():
        try:
            signed_in_user = current_user.id if current_user.is_authenticated else None
        except outage.DATABASE_UNAVAILABLE as error:
            return _follow_without_database(code, error)
        return _follow(code, visitor, clicked_at, signed_in_user=signed_in_user, connection=None)
    try:
        with standalone_statements() as connection:
            return _follow(code, visitor, clicked_at, signed_in_user=None, connection=connection)
    except outage.DATABASE_UNAVAILABLE as error:
        # No connection to be had (`_follow` deals with the errors of its own statements).
        return _follow_without_database(code, error)


def _follow(code: str, visitor: str, clicked_at: datetime, *, signed_in_user: int | None, connection: Connection | None) -> Response:
    """Land the visitor and record the click, on `connection` (its statements commit by themselves) or else the session."""
    # Without a connection of its own (SQLite; a session that names a user no longer signed in), a visitor's click reads
    # outside its transaction, which then holds SQLite's one write lock for the writes alone (the visitor's last click
    # may be a moment old, as on PostgreSQL).
    reads_apart = connection is None and signed_in_user is None
    try:
        if reads_apart:
            with reading_only():
                link = services.resolve_link(code, visitor)
                # Ends the read, which began no transaction (objects stay loaded: the session keeps them on commit).
                db.session.commit()
        else:
            link = services.resolve_link(code, visitor, connection=connection)
    except outage.DATABASE_UNAVAILABLE as error:
        return _follow_without_database(code, error)
    if link is None:
        abort(404, description=_("This share link does not exist. It may have been mistyped — the store is still here."))
    destination = link.destination
    if destination is None:
        # A suspended shop or a target that is gone: the visitor still lands in the store, unattributed.
        recent_destinations.forget(code)
        return redirect("/", 302)
    recent_destinations.remember(code, destination)
    response = redirect(destination, 302)
    if not visits.is_countable(request):
        return response
    try:
        if not _under_rate_limit(visits.rate_limit_key(request.remote_addr)):
            log.warning("share click over the rate limit on link %s", link.id)
            return response
        facts = ClickFacts(
            visitor_id=visitor, referrer_host=visits.referrer_host(request),
            device_class=visits.device_class(request.headers.get("User-Agent", "")),
            ip_hash=visits.ip_hash(request.remote_addr),
            user_id=signed_in_user,
        )
        # A visitor's click on its own connection commits without waiting for the disk unless SHARE_CLICK_COMMIT=sync;
        # a signed-in visitor's transaction also ties the browser to the account, and waits.
        touch = services.record_click(
            link, facts, at=clicked_at, connection=connection,
            waits_for_flush=connection is None or current_app.config["SHARE_CLICK_COMMIT"] == "sync",
        )
        if signed_in_user is not None:
            services.remember_visitor(signed_in_user, facts.visitor_id, window=visits.attribution_window())
        if connection is None:
            db.session.commit()
        # A returning visitor's cookie names their first touch, read to keep it while it counts.
        with reading_only() if reads_apart else nullcontext():
            _remember_touch(response, touch, connection)
    except outage.DATABASE_UNAVAILABLE as error:
        # The database went away after the lookup: keep the click for `flask share replay-spool`.
        outage.discard_transaction()
        log.warning("could not record a click on share link code %s: %s", code, outage.describe(error))
        _spool_click(code, response, visitor, clicked_at)
    except Exception:
        # The visitor must land whatever happens to the bookkeeping.
        db.session.rollback()
        log.exception("could not record a click on share link %s", link.id)
    return response


def _follow_without_database(code: str, error: Exception) -> Response:
    """The database is down: land on the link's last known destination (else the store's home) and spool the click."""
    outage.discard_transaction()
    log.warning("share link %s followed while the database is unavailable: %s", code, outage.describe(error))
    response = redirect(recent_destinations.find(code) or "/", 302)
    if not visits.is_countable(request):
        return response
    try:
        under_limit = _under_rate_limit(visits.rate_limit_key(request.remote_addr))
    except Exception:
        log.exception("could not check the click rate limit on share link code %s", code)
        return response
    if not under_limit:
        log.warning("share click over the rate limit on link code %s", code)
        return response
    _spool_click(code, response, visits.current_visitor_id(request), clock.now())
    return response


def _spool_click(code: str, response: Response, visitor: str, clicked_at: datetime) -> None:
    """Keep the click in the instance folder's spool, and give a new browser the visitor id it was spooled with."""
    facts = ClickFacts(
        visitor_id=visitor, referrer_host=visits.referrer_host(request),
        device_class=visits.device_class(request.headers.get("User-Agent", "")), ip_hash=visits.ip_hash(request.remote_addr),
        user_id=None,
    )
    spooled = new_spooled_click(code, facts, clicked_at)
    try:
        ClickSpool(Path(current_app.instance_path)).append(spooled)
    except OSError:
        # The visitor must land whatever happens to the bookkeeping.
        log.exception("could not spool click %s on share link code %s", spooled.id, code)
        return
    if visits.visitor_id(request) is None:
        visits.write_visitor_cookie(response, request, visitor)
    log.info("click %s on share link code %s spooled", spooled.id, code)


def _qr_for(code: str) -> segno.QRCode:
    link = services.find_link(code)
    if link is None:
        abort(404, description=_("This share link does not exist."))
    return segno.make(f"{current_app.config['BASE_URL']}/s/{link.code}", error="m")


@blueprint.route("/s/<code>/qr.svg")
def qr_svg(code: str) -> Response:
    buffer = io.BytesIO()
    _qr_for(code).save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
    return Response(buffer.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@blueprint.route("/s/<code>/qr.png")
def qr_png(code: str) -> Response:
    buffer = io.BytesIO()
    _qr_for(code).save(buffer, kind="png", scale=8, border=2)
    return Response(buffer.getvalue(), mimetype="image/png", headers={
        "Cache-Control": "public, max-age=86400", "Content-Disposition": f'inline; filename="vitrine-{code}.png"',
    })


def _target_title(shop: Shop, target_type: LinkTarget, target_id: int) -> str:
    if target_type is LinkTarget.LOOK:
        return next((look.title for look in shop.looks if look.id == target_id), shop.title)
    if target_type is LinkTarget.PRODUCT:
        return next((item.product.title for item in shop.items if item.product_id == target_id), shop.title)
    return shop.title


def build_share_panel(shop: Shop, target_type: LinkTarget, target_id: int):  # type: ignore[no-untyped-def]
    """Links for every channel (made on first use) and the panel around them."""
    title = _target_title(shop, target_type, target_id)
    # The message a friend reads first, prefilled in the curator's language.
    text = _("%(title)s — picked by @%(handle)s on Vitrine", title=title, handle=shop.handle)
    links = services.links_for_target(shop, target_type, target_id)
    return build_panel(links, base_url=current_app.config["BASE_URL"], title=title, text=text)


@blueprint.app_template_global("share_panel_for")
def share_panel_for(shop: Shop, target: str = "shop", target_id: int = 0):  # type: ignore[no-untyped-def]
    """The share panel, for the curator's own pages only; links are made (and kept) on first use."""
    if not current_user.is_authenticated or current_user.id != shop.user_id:
        return None
    panel = build_share_panel(shop, LinkTarget(target), target_id)
    db.session.commit()
    return panel


@blueprint.route("/me/shop/share", defaults={"target": "shop", "target_id": 0})
@blueprint.route("/me/shop/share/<target>/<int(max=999999999):target_id>")
@login_required
def share_page(target: str, target_id: int) -> str:
    shop = shops.find_shop_for_user(current_user.id)
    if shop is None:
        abort(404, description=_("Open your shop first, then share it."))
    try:
        target_type = LinkTarget(target)
        panel = build_share_panel(shop, target_type, target_id)
    except (ValueError, ShareError):
        abort(404, description=_("You can only share your shop, your looks, and products in your shop."))
    db.session.commit()
    return render_template("share/share_page.html", shop=shop, panel=panel, channels=Channel)


@user_logged_in.connect
def _claim_browser_touches(app: object, user: object, **_extra: object) -> None:
    """On sign-in, this browser becomes one of the account's, and its recent touches follow the account.

    A browser without a visitor id gets one now, so that the curator's own browser is known
    even before it ever follows a share link. The signing-in view commits.
    """
    visitor = visits.visitor_id(request)
    if visitor is None:
        visitor = visits.new_visitor_id()
        after_this_request(lambda response: _set_visitor_cookie(response, visitor))
    services.remember_visitor(user.id, visitor, window=visits.attribution_window())  # type: ignore[attr-defined]


def _set_visitor_cookie(response: Response, visitor: str) -> Response:
    visits.write_visitor_cookie(response, request, visitor)
    return response
