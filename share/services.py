"""Share links, clicks, attribution touches and the order's attribution decision. Flush, never commit."""
from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Connection, Insert, Select, bindparam, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from share import rollups
from share.attribution import (
    AttributionModel, BuyerSignals, SelfReferralVerdict, Touchpoint, decide, judge_self_referral,
)
from share.click_statement import click_statement
from share.models import Channel, Click, DeviceClass, KnownVisitor, LinkTarget, OrderAttribution, SelfReferral, ShareLink, Touch, TouchKind
from storefront import clock, localtime
from storefront.accounts.models import User
from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.shops.models import Look, Shop, ShopItem, ShopStatus

log = logging.getLogger(__name__)

#: Lower-case letters and digits a person cannot confuse (no 0/o, 1/l/i).
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 8
CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
UNIQUE_VISIT_WINDOW = timedelta(minutes=30)


class ShareError(Exception):
    """A share request that cannot be met; the message is safe to show."""


class TargetNotShareable(ShareError):
    """Not the curator's shop, one of their looks, or a product in their shop."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _check_target(shop: Shop, target_type: LinkTarget, target_id: int) -> None:
    if target_type is LinkTarget.SHOP and target_id == 0:
        return
    if target_type is LinkTarget.LOOK and db.session.scalar(select(Look.id).where(Look.id == target_id, Look.shop_id == shop.id)):
        return
    if target_type is LinkTarget.PRODUCT and db.session.scalar(
        select(ShopItem.id).where(ShopItem.shop_id == shop.id, ShopItem.product_id == target_id)
    ):
        return
    raise TargetNotShareable(_("You can only share your shop, your looks, and products in your shop."))


def _link_key(shop: Shop, target_type: LinkTarget, target_id: int, channel: Channel) -> tuple[object, ...]:
    return (ShareLink.shop_id == shop.id, ShareLink.target_type == target_type, ShareLink.target_id == target_id,
            ShareLink.channel == channel)


def find_share_link(shop: Shop, target_type: LinkTarget, target_id: int, channel: Channel) -> ShareLink | None:
    """The link for (shop, target, channel) if it was made already."""
    return db.session.scalar(select(ShareLink).where(*_link_key(shop, target_type, target_id, channel)))


def get_or_create_link(shop: Shop, target_type: LinkTarget, target_id: int, channel: Channel) -> ShareLink:
    """The one link for (shop, target, channel): asking again returns the same code."""
    key = _link_key(shop, target_type, target_id, channel)
    link = find_share_link(shop, target_type, target_id, channel)
    if link is not None:
        return link
    _check_target(shop, target_type, target_id)
    for _attempt in range(5):
        link = ShareLink(shop_id=shop.id, target_type=target_type, target_id=target_id, channel=channel, code=new_code())
        try:
            with db.session.begin_nested():
                db.session.add(link)
            return link
        except IntegrityError:
            # Another request made this link first, or (rarely) the random code was taken.
            existing = db.session.scalar(select(ShareLink).where(*key))
            if existing is not None:
                return existing
    raise ShareError(_("Could not make a share link just now; please try again."))


def links_for_target(shop: Shop, target_type: LinkTarget, target_id: int) -> dict[Channel, ShareLink]:
    return {channel: get_or_create_link(shop, target_type, target_id, channel) for channel in Channel}


def find_link(code: str) -> ShareLink | None:
    if not CODE_PATTERN.match(code):
        return None
    return db.session.scalar(select(ShareLink).where(ShareLink.code == code))


@dataclass(frozen=True)
class LinkRoute:
    """What following a link needs, read in one query: where it leads (None: nowhere that may attribute)
    and what its click is recorded against."""

    id: int
    code: str
    shop_id: int
    destination: str | None
    curator_time_zone: str
    #: The visitor the link was resolved for, and when they last clicked it (None: never), read in the same query.
    visitor_id: str | None = None
    visitor_last_click_at: datetime | None = None


@functools.cache
def _route_query() -> Select[Any]:
    """Built once: constructing the statement cost more than running it."""
    clicks = Click.__table__.c
    visitor_last_click = (
        select(func.max(clicks.created_at))
        .where(clicks.visitor_id == bindparam("visitor_id"), clicks.link_id == ShareLink.id)
        .scalar_subquery()
    )
    look_slug = (
        select(Look.slug).where(Look.id == ShareLink.target_id, Look.shop_id == ShareLink.shop_id).scalar_subquery()
    )
    product_slug = (
        select(Product.slug)
        .join(ShopItem, ShopItem.product_id == Product.id)
        .where(ShopItem.shop_id == ShareLink.shop_id, Product.id == ShareLink.target_id, Product.active.is_(True))
        .scalar_subquery()
    )
    return (
        select(ShareLink.id, ShareLink.shop_id, ShareLink.target_type, Shop.handle, Shop.status, Shop.suspended_at,
               User.time_zone,
               case((ShareLink.target_type == LinkTarget.LOOK, look_slug),
                    (ShareLink.target_type == LinkTarget.PRODUCT, product_slug), else_=None),
               visitor_last_click)
        .join(Shop, Shop.id == ShareLink.shop_id)
        .join(User, User.id == Shop.user_id)
        .where(ShareLink.code == bindparam("code"))
    )


def resolve_link(code: str, visitor_id: str | None = None, *, connection: Connection | None = None) -> LinkRoute | None:
    """The link behind a code, where it leads and when `visitor_id` last clicked it, in one SELECT (every click runs this),
    on `connection` (default: the session's).

    A link leads nowhere once its shop is not public (a draft, a suspension) or its look or product is gone
    from the shop (or the product is inactive): the visitor then lands in the store, unattributed."""
    if not CODE_PATTERN.match(code):
        return None
    connection = connection or db.session.connection()
    row = connection.execute(_route_query(), {"code": code, "visitor_id": visitor_id}).one_or_none()
    if row is None:
        return None
    link_id, shop_id, target_type, handle, status, suspended_at, time_zone, slug, last_click_at = row
    destination: str | None = None
    if status == ShopStatus.PUBLISHED and suspended_at is None:
        if target_type == LinkTarget.SHOP:
            destination = f"/@{handle}"
        elif slug:
            destination = f"/@{handle}/looks/{slug}" if target_type == LinkTarget.LOOK else f"/products/{slug}"
    return LinkRoute(id=link_id, code=code, shop_id=shop_id, destination=destination, curator_time_zone=time_zone,
                     visitor_id=visitor_id, visitor_last_click_at=last_click_at)


def link_path(link: ShareLink) -> str:
    return f"/s/{link.code}"


# Clicks and touches -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClickFacts:
    visitor_id: str
    referrer_host: str
    device_class: str
    ip_hash: str
    user_id: int | None


@dataclass(frozen=True)
class RecordedTouch:
    """The touch a click gave its link's shop: what the redirect's attribution cookie needs."""

    id: int
    visitor_id: str
    click_id: int


def record_click(
    link: LinkRoute, facts: ClickFacts, *, at: datetime | None = None, connection: Connection | None = None,
    waits_for_flush: bool = True,
) -> RecordedTouch:
    """Store one counted click and the attribution touch it gives the link's shop, both at `at` (default: now), on
    `connection` (default: the session's, in its transaction). On PostgreSQL, a click that need not `waits_for_flush`
    commits without waiting for the disk (see `share.click_statement`): a visitor's click on its own connection.

    Every click a share link gets comes through here, so it is written in Core (no ORM objects): the visitor's
    previous click on the link (read with the link when it was resolved for this visitor), then the click, its touch
    and the two rollup rows (none for a bot) — in one statement on PostgreSQL (`share.click_statement`), atomic
    even on a connection in autocommit; in four elsewhere, the rollups last, which keeps their rows locked for as
    short a time as possible before the caller commits.
    """
    now = at or clock.now()
    # Core statements, past the ORM's per-statement work.
    connection = connection or db.session.connection()
    if link.visitor_id is not None and link.visitor_id == facts.visitor_id:
        previous = link.visitor_last_click_at
    else:
        previous = connection.scalar(_previous_click_query(), {"visitor_id": facts.visitor_id, "link_id": link.id})
    click = {
        "link_id": link.id, "visitor_id": facts.visitor_id, "referrer_host": facts.referrer_host[:255], "created_at": now,
        "device_class": facts.device_class, "ip_hash": facts.ip_hash,
        "unique_visit": previous is None or previous < now - UNIQUE_VISIT_WINDOW,
    }
    touch = {"user_id": facts.user_id, "shop_id": link.shop_id, "kind": TouchKind.CLICK}
    tz = rollups.zone_named(link.curator_time_zone)
    first_of_day, day = rollups.first_click_of_day(previous, now, tz), localtime.local_date(now, tz)
    if connection.dialect.name == "postgresql":
        statement = click_statement(counted=facts.device_class != DeviceClass.BOT, waits_for_flush=waits_for_flush)
        touch_id, click_id = connection.execute(statement, {
            **click, **touch, "hour": rollups.hour_of(now), "day": day, "clicks": 1, "visitors": int(first_of_day),
        }).one()
        return RecordedTouch(id=touch_id, visitor_id=facts.visitor_id, click_id=click_id)
    click_id = connection.execute(_insert_click(), click).scalar_one()
    touch_id = connection.execute(_insert_touch(), {
        **touch, "visitor_id": facts.visitor_id, "click_id": click_id, "created_at": now,
    }).scalar_one()
    rollups.count_click(connection, link.id, now, facts.device_class, first_of_day=first_of_day, day=day)
    return RecordedTouch(id=touch_id, visitor_id=facts.visitor_id, click_id=click_id)


@functools.cache
def _previous_click_query() -> Select[Any]:
    clicks = Click.__table__.c
    return select(func.max(clicks.created_at)).where(clicks.visitor_id == bindparam("visitor_id"), clicks.link_id == bindparam("link_id"))


@functools.cache
def _insert_click() -> Insert:
    return insert(Click.__table__).returning(Click.__table__.c.id)


@functools.cache
def _insert_touch() -> Insert:
    return insert(Touch.__table__).returning(Touch.__table__.c.id)


def find_click(link: LinkRoute, visitor_id: str, at: datetime) -> Click | None:
    """The click this visitor made on this link at exactly this instant, if it was stored."""
    return db.session.scalar(
        select(Click).where(Click.link_id == link.id, Click.visitor_id == visitor_id, Click.created_at == at).limit(1)
    )


def record_cart_touch(shop_id: int, visitor_id: str, user_id: int | None) -> Touch:
    touch = Touch(visitor_id=visitor_id, user_id=user_id, shop_id=shop_id, kind=TouchKind.CART)
    db.session.add(touch)
    db.session.flush()
    return touch


def touch_still_counts(touch_id: int, window: timedelta, *, connection: Connection | None = None) -> bool:
    """Whether the touch exists and is younger than `window`, read on `connection` (default: the session's)."""
    created_at = (connection or db.session.connection()).scalar(_touch_time_query(), {"touch_id": touch_id})
    return created_at is not None and created_at >= clock.now() - window


@functools.cache
def _touch_time_query() -> Select[Any]:
    touches = Touch.__table__.c
    return select(touches.created_at).where(touches.id == bindparam("touch_id"))


def remember_visitor(user_id: int, visitor_id: str, *, window: timedelta) -> None:
    """On sign-in: this browser is one of the user's, and its recent touches now follow the account.

    A browser can belong to several accounts (a shared family tablet): each pair is kept.
    """
    known = db.session.get(KnownVisitor, (visitor_id, user_id))
    if known is not None:
        known.last_seen_at = clock.now()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(KnownVisitor(visitor_id=visitor_id, user_id=user_id, last_seen_at=clock.now()))
        except IntegrityError:
            pass  # the same sign-in, recorded by a concurrent request
    db.session.execute(
        update(Touch)
        .where(Touch.visitor_id == visitor_id, Touch.user_id.is_(None), Touch.created_at >= clock.now() - window)
        .values(user_id=user_id)
        .execution_options(synchronize_session=False)
    )


# The order's attribution ------------------------------------------------------------------


@dataclass(frozen=True)
class AttributionSettings:
    model: AttributionModel
    window: timedelta
    #: Server-side salt for comparing e-mails and addresses as hashes.
    salt: bytes


def identity_hash(salt: bytes, text: str) -> str:
    normalized = re.sub(r"[\W_]+", "", text.casefold())
    return hmac.new(salt, normalized.encode(), hashlib.sha256).hexdigest()


def _address_text(order: Order) -> str:
    return f"{order.address_line1}|{order.postal_code}|{order.country}"


@dataclass(frozen=True)
class Shopper:
    """What ties a purchase to earlier touches: the browser's signed touches, its visitor id, the account."""

    touch_ids: list[int]
    visitor_id: str | None
    user_id: int | None


def _candidate_touches(shopper: Shopper, window: timedelta) -> list[Touch]:
    """Touches in the window for this browser or account, on shops that may earn (published, not suspended)."""
    conditions = []
    if shopper.visitor_id is not None:
        # The cookie's touches count only as this visitor's (which `visits.read_attribution` makes them, so this adds
        # no touch to the condition below): after a crash of PostgreSQL a touch's id may have been given again, to
        # another visitor's touch (clicks commit without waiting for the disk: share.click_statement).
        if shopper.touch_ids:
            conditions.append(Touch.id.in_(shopper.touch_ids) & (Touch.visitor_id == shopper.visitor_id))
        conditions.append(Touch.visitor_id == shopper.visitor_id)
    if shopper.user_id is not None:
        conditions.append(Touch.user_id == shopper.user_id)
    if not conditions:
        return []
    query = (
        select(Touch)
        .join(Shop, Shop.id == Touch.shop_id)
        .where(or_(*conditions), Touch.created_at >= clock.now() - window)
        .where(Shop.status == ShopStatus.PUBLISHED, Shop.suspended_at.is_(None))
    )
    return list(db.session.scalars(query))


def _touchpoint(touch: Touch) -> Touchpoint:
    return Touchpoint(touch_id=touch.id, shop_id=touch.shop_id, at=touch.created_at, kind=touch.kind, click_id=touch.click_id)


def _decide(shopper: Shopper, settings: AttributionSettings) -> tuple[dict[int, Touch], Touch | None, int]:
    touches = {t.id: t for t in _candidate_touches(shopper, settings.window)}
    decision = decide([_touchpoint(t) for t in touches.values()], now=clock.now(), window=settings.window, model=settings.model)
    winner = touches[decision.winner.touch_id] if decision.winner else None
    return touches, winner, decision.considered


def preview_referrer(shopper: Shopper, settings: AttributionSettings) -> Shop | None:
    """Who would be credited if the order were placed now (for "You were referred by @handle").

    Nobody is shown to a curator browsing through their own links.
    """
    _touches, winner, _considered = _decide(shopper, settings)
    if winner is None or (shopper.user_id is not None and winner.shop.user_id == shopper.user_id):
        return None
    return winner.shop


def _buyer_signals(order: Order, shop: Shop, visitor_ids: set[str], salt: bytes) -> BuyerSignals:
    curator: User = shop.user
    curator_visitors = set(db.session.scalars(select(KnownVisitor.visitor_id).where(KnownVisitor.user_id == curator.id)))
    curator_orders = db.session.scalars(
        select(Order).where(Order.user_id == curator.id, Order.id != order.id).order_by(Order.id.desc()).limit(50)
    )
    curator_addresses = {identity_hash(salt, _address_text(o)) for o in curator_orders}
    return BuyerSignals(
        buyer_is_curator_account=order.user_id is not None and order.user_id == curator.id,
        visitor_is_curators=bool(visitor_ids & curator_visitors),
        email_matches_curator=identity_hash(salt, order.email) == identity_hash(salt, curator.email),
        address_matches_curator=identity_hash(salt, _address_text(order)) in curator_addresses,
    )


def _credit_lines(order: Order, touches: dict[int, Touch], winner: Touch | None) -> None:
    """A line added from a shop page keeps that shop while the shop has a touch in the window; the rest go to the winner."""
    shops_in_window = {t.shop_id for t in touches.values()}
    for line in order.lines:
        if line.shop_id is not None and line.shop_id not in shops_in_window:
            line.shop_id = None
        if line.shop_id is None and winner is not None:
            line.shop_id = winner.shop_id


def _judge_credited_shops(
    order: Order, touches: dict[int, Touch], shopper: Shopper, salt: bytes
) -> dict[int, SelfReferralVerdict]:
    verdicts = {}
    for shop_id in {line.shop_id for line in order.lines if line.shop_id is not None}:
        shop = db.session.get(Shop, shop_id)
        visitor_ids = {t.visitor_id for t in touches.values() if t.shop_id == shop_id} | ({shopper.visitor_id} - {None})
        verdicts[shop_id] = judge_self_referral(_buyer_signals(order, shop, visitor_ids, salt))
    return verdicts


def attribute_order(order: Order, shopper: Shopper, settings: AttributionSettings) -> OrderAttribution:
    """Decide and record, once, who referred this order and why, and which shop each line credits.

    Only published, unsuspended shops with a touch in the window earn. Each credited shop is
    checked for a self-purchase: the curator's own account earns nothing on its lines; weaker
    signs put the whole order to review.
    """
    touches, winner, considered = _decide(shopper, settings)
    _credit_lines(order, touches, winner)
    verdicts = _judge_credited_shops(order, touches, shopper, settings.salt)
    for line in order.lines:
        # A line credits its shop unless the buyer is that shop's curator (the record still says who and why).
        if line.shop_id is not None and verdicts[line.shop_id].status is SelfReferral.SELF:
            line.shop_id = None
    handles = {shop_id: db.session.get(Shop, shop_id).handle for shop_id in verdicts}
    under_review = sorted(shop_id for shop_id, verdict in verdicts.items() if verdict.status is SelfReferral.REVIEW)
    review = [f"@{handles[shop_id]}: {reason}" for shop_id in under_review for reason in verdicts[shop_id].reasons]
    if winner is None:
        credited = sorted({line.shop_id for line in order.lines if line.shop_id is not None})
        explanation = (
            f"No share-link click or shop visit in the last {settings.window.days} days: a direct sale."
            if not credited else f"No winning touch; lines added from shop pages keep their shop ({len(credited)} shop(s))."
        )
        record = OrderAttribution(order_id=order.id, rule=settings.model, explanation=explanation)
        if review:
            record.self_referral = SelfReferral.REVIEW
            record.explanation = f"{explanation} Self-referral check: review ({'; '.join(review)})."[:500]
    else:
        record = _winner_record(order, winner, considered, verdicts, review, settings)
    record.review_shop_ids = under_review
    record.review_reasons = (record.review_reasons or []) + review
    db.session.add(record)
    db.session.flush()
    log.info("order %s attributed to shop %s (%s)", order.number, record.shop_id, record.self_referral)
    return record


def _winner_record(
    order: Order, winner: Touch, considered: int, verdicts: dict[int, SelfReferralVerdict], review: list[str],
    settings: AttributionSettings,
) -> OrderAttribution:
    """The winner's record; the order is self-referred when the winner is the buyer's own shop, else under review
    when any credited shop is."""
    shop = winner.shop
    own = verdicts.get(shop.id, SelfReferralVerdict(SelfReferral.NONE))
    status = own.status if own.status is SelfReferral.SELF else (SelfReferral.REVIEW if review else SelfReferral.NONE)
    what = f"click #{winner.click_id} on {winner.click.link.channel} link /s/{winner.click.link.code}" if winner.click else "add to cart from the shop page"
    rule_text = "last touch wins" if settings.model is AttributionModel.LAST_CLICK else "first touch wins"
    explanation = (
        f"@{shop.handle}: {what} at {winner.created_at:%Y-%m-%d %H:%M} UTC; {rule_text} among {considered} "
        f"touch(es) in the last {settings.window.days} days."
    )
    if status is SelfReferral.SELF:
        explanation += f" Self-referral: {'; '.join(own.reasons)}."
    if review:
        explanation += f" Self-referral check: review ({'; '.join(review)})."
    return OrderAttribution(
        order_id=order.id, shop_id=shop.id, touch_id=winner.id, click_id=winner.click_id, rule=settings.model,
        self_referral=status, review_reasons=list(own.reasons) if status is SelfReferral.SELF else [],
        explanation=explanation[:500],
    )


def find_order_attribution(order_id: int) -> OrderAttribution | None:
    return db.session.scalar(select(OrderAttribution).where(OrderAttribution.order_id == order_id))


@dataclass(frozen=True)
class PaidOrderAttribution:
    """What paying an order needs of its attribution (`find_paid_order_attribution`), without its related objects."""

    shop_id: int | None
    #: The credited shops under self-referral review, and why (`OrderAttribution.review_*`).
    review_shop_ids: list[int]
    review_reasons: list[str]
    #: The link of the click that won the order; None when no click did.
    link_id: int | None


def find_paid_order_attribution(order_id: int) -> PaidOrderAttribution | None:
    """The order's attribution as paying it reads it: one small SELECT, where `find_order_attribution` loads
    the attribution with its shop, click, link and their owners (every payment runs this)."""
    row = db.session.connection().execute(_paid_order_attribution_query(), {"order_id": order_id}).one_or_none()
    if row is None:
        return None
    shop_id, review_shop_ids, review_reasons, link_id = row
    return PaidOrderAttribution(shop_id=shop_id, review_shop_ids=list(review_shop_ids or []),
                                review_reasons=list(review_reasons or []), link_id=link_id)


@functools.cache
def _paid_order_attribution_query() -> Select[Any]:
    """Built once, in Core (no ORM compilation per payment)."""
    attributions, clicks = OrderAttribution.__table__.c, Click.__table__.c
    return (
        select(attributions.shop_id, attributions.review_shop_ids, attributions.review_reasons, clicks.link_id)
        .outerjoin_from(OrderAttribution.__table__, Click.__table__, clicks.id == attributions.click_id)
        .where(attributions.order_id == bindparam("order_id"))
    )
