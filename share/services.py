"""Share links, clicks, attribution touches and the order's attribution decision. Flush, never commit."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from share.attribution import AttributionModel, BuyerSignals, Touchpoint, decide, judge_self_referral
from share.models import Channel, Click, KnownVisitor, LinkTarget, OrderAttribution, SelfReferral, ShareLink, Touch, TouchKind
from storefront import clock
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
    raise ShareError("You can only share your shop, your looks, and products in your shop.")


def get_or_create_link(shop: Shop, target_type: LinkTarget, target_id: int, channel: Channel) -> ShareLink:
    """The one link for (shop, target, channel): asking again returns the same code."""
    key = (ShareLink.shop_id == shop.id, ShareLink.target_type == target_type, ShareLink.target_id == target_id,
           ShareLink.channel == channel)
    link = db.session.scalar(select(ShareLink).where(*key))
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
    raise ShareError("Could not make a share link just now; please try again.")


def links_for_target(shop: Shop, target_type: LinkTarget, target_id: int) -> dict[Channel, ShareLink]:
    return {channel: get_or_create_link(shop, target_type, target_id, channel) for channel in Channel}


def find_link(code: str) -> ShareLink | None:
    if not CODE_PATTERN.match(code):
        return None
    return db.session.scalar(select(ShareLink).where(ShareLink.code == code))


def link_destination(link: ShareLink) -> str | None:
    """The site path a link leads to, or None when it may no longer attribute (suspended shop, gone target)."""
    shop = link.shop
    if not shop.is_public:
        return None
    if link.target_type == LinkTarget.SHOP:
        return f"/@{shop.handle}"
    if link.target_type == LinkTarget.LOOK:
        slug = db.session.scalar(select(Look.slug).where(Look.id == link.target_id, Look.shop_id == shop.id))
        return f"/@{shop.handle}/looks/{slug}" if slug else None
    product = db.session.scalar(
        select(Product)
        .join(ShopItem, ShopItem.product_id == Product.id)
        .where(ShopItem.shop_id == shop.id, Product.id == link.target_id, Product.active.is_(True))
    )
    return f"/products/{product.slug}" if product else None


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


def record_click(link: ShareLink, facts: ClickFacts) -> Touch:
    """Store one counted click and the attribution touch it gives the link's shop."""
    since = clock.now() - UNIQUE_VISIT_WINDOW
    seen = db.session.scalar(
        select(Click.id).where(Click.link_id == link.id, Click.visitor_id == facts.visitor_id, Click.created_at >= since).limit(1)
    )
    click = Click(
        link_id=link.id, visitor_id=facts.visitor_id, referrer_host=facts.referrer_host[:255],
        device_class=facts.device_class, ip_hash=facts.ip_hash, unique_visit=seen is None,
    )
    db.session.add(click)
    db.session.flush()
    touch = Touch(visitor_id=facts.visitor_id, user_id=facts.user_id, shop_id=link.shop_id, click_id=click.id, kind=TouchKind.CLICK)
    db.session.add(touch)
    db.session.flush()
    return touch


def record_cart_touch(shop_id: int, visitor_id: str, user_id: int | None) -> Touch:
    touch = Touch(visitor_id=visitor_id, user_id=user_id, shop_id=shop_id, kind=TouchKind.CART)
    db.session.add(touch)
    db.session.flush()
    return touch


def remember_visitor(user_id: int, visitor_id: str, *, window: timedelta) -> None:
    """On sign-in: this browser is the user's, and its recent touches now follow the account."""
    known = db.session.get(KnownVisitor, visitor_id)
    if known is None:
        db.session.add(KnownVisitor(visitor_id=visitor_id, user_id=user_id, last_seen_at=clock.now()))
    else:
        known.user_id, known.last_seen_at = user_id, clock.now()
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


def _candidate_touches(touch_ids: list[int], user_id: int | None, since_window: timedelta) -> list[Touch]:
    conditions = [Touch.id.in_(touch_ids)] if touch_ids else []
    if user_id is not None:
        conditions.append(Touch.user_id == user_id)
    if not conditions:
        return []
    query = (
        select(Touch)
        .join(Shop, Shop.id == Touch.shop_id)
        .where(or_(*conditions), Touch.created_at >= clock.now() - since_window)
        .where(Shop.status == ShopStatus.PUBLISHED, Shop.suspended_at.is_(None))
    )
    return list(db.session.scalars(query))


def preview_referrer(touch_ids: list[int], user_id: int | None, settings: AttributionSettings) -> Shop | None:
    """Who would be credited if the order were placed now (for "You were referred by @handle")."""
    touches = _candidate_touches(touch_ids, user_id, settings.window)
    decision = decide([_touchpoint(t) for t in touches], now=clock.now(), window=settings.window, model=settings.model)
    return db.session.get(Shop, decision.winner.shop_id) if decision.winner else None


def _touchpoint(touch: Touch) -> Touchpoint:
    return Touchpoint(touch_id=touch.id, shop_id=touch.shop_id, at=touch.created_at, kind=touch.kind, click_id=touch.click_id)


def _buyer_signals(order: Order, shop: Shop, visitor_id: str | None, winner: Touch, salt: bytes) -> BuyerSignals:
    curator: User = shop.user
    curator_visitors = set(db.session.scalars(select(KnownVisitor.visitor_id).where(KnownVisitor.user_id == curator.id)))
    curator_orders = db.session.scalars(
        select(Order).where(Order.user_id == curator.id, Order.id != order.id).order_by(Order.id.desc()).limit(50)
    )
    curator_addresses = {identity_hash(salt, _address_text(o)) for o in curator_orders}
    return BuyerSignals(
        buyer_is_curator_account=order.user_id is not None and order.user_id == curator.id,
        visitor_is_curators=bool({visitor_id, winner.visitor_id} & curator_visitors - {None}),
        email_matches_curator=identity_hash(salt, order.email) == identity_hash(salt, curator.email),
        address_matches_curator=identity_hash(salt, _address_text(order)) in curator_addresses,
    )


def attribute_order(order: Order, *, touch_ids: list[int], visitor_id: str | None, settings: AttributionSettings) -> OrderAttribution:
    """Decide and record who referred this order, and why, once; lines without a shop take the winner's.

    Only published, unsuspended shops can win. Lines added from a shop page keep that shop.
    """
    touches = {t.id: t for t in _candidate_touches(touch_ids, order.user_id, settings.window)}
    decision = decide([_touchpoint(t) for t in touches.values()], now=clock.now(), window=settings.window, model=settings.model)
    days = settings.window.days
    if decision.winner is None:
        record = OrderAttribution(
            order_id=order.id, rule=settings.model, explanation=f"No share-link click or shop visit in the last {days} days: a direct sale.",
        )
        db.session.add(record)
        db.session.flush()
        return record
    winner = touches[decision.winner.touch_id]
    shop = winner.shop
    verdict = judge_self_referral(_buyer_signals(order, shop, visitor_id, winner, settings.salt))
    what = f"click #{winner.click_id} on {winner.click.link.channel} link /s/{winner.click.link.code}" if winner.click else "add to cart from the shop page"
    rule_text = "last touch wins" if settings.model is AttributionModel.LAST_CLICK else "first touch wins"
    explanation = (
        f"@{shop.handle}: {what} at {winner.created_at:%Y-%m-%d %H:%M} UTC; {rule_text} among {decision.considered} "
        f"touch(es) in the last {days} days."
    )
    if verdict.status is not SelfReferral.NONE:
        explanation += f" Self-referral check: {verdict.status.value} ({'; '.join(verdict.reasons)})."
    record = OrderAttribution(
        order_id=order.id, shop_id=shop.id, touch_id=winner.id, click_id=winner.click_id, rule=settings.model,
        self_referral=verdict.status, review_reasons=verdict.reasons, explanation=explanation[:500],
    )
    db.session.add(record)
    for line in order.lines:
        if line.shop_id is None:
            line.shop_id = shop.id
    db.session.flush()
    log.info("order %s attributed to shop %s (%s)", order.number, shop.id, verdict.status)
    return record


def find_order_attribution(order_id: int) -> OrderAttribution | None:
    return db.session.scalar(select(OrderAttribution).where(OrderAttribution.order_id == order_id))
