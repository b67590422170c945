"""Which rate a curator earns on a product: product rate, else category rate, else the default; plus a tier bonus."""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ScalarSelect, Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from commissions.models import Commission, CommissionRate, CommissionStatus, CuratorTier, RateScope
from storefront import clock
from storefront.catalog.models import Category, Product
from storefront.extensions import db

TIER_PERIOD = timedelta(days=90)
MAX_RATE_BPS = 10_000


class RateError(ValueError):
    """A rate or tier an operator cannot set; the message is safe to show."""


RATE_SOURCE_LABELS = {"product": _l("product rate"), "category": _l("category rate"), "default": _l("default rate")}


@dataclass(frozen=True)
class RateQuote:
    base_bps: int
    #: "product", "category" or "default".
    source: str
    bonus_bps: int = 0
    tier_name: str = ""

    @property
    def rate_bps(self) -> int:
        return min(MAX_RATE_BPS, self.base_bps + self.bonus_bps)

    @property
    def description(self) -> str:
        """Where the rate comes from, in the reader's language: "category rate + Gold tier bonus"."""
        text = str(RATE_SOURCE_LABELS.get(self.source, self.source))
        return _("%(rate)s + %(tier)s tier bonus", rate=text, tier=self.tier_name) if self.tier_name else text


def base_rate(product: Product, default_bps: int) -> RateQuote:
    rates = dict(db.session.execute(
        select(CommissionRate.scope, CommissionRate.rate_bps).where(
            ((CommissionRate.scope == RateScope.PRODUCT) & (CommissionRate.target_id == product.id))
            | ((CommissionRate.scope == RateScope.CATEGORY) & (CommissionRate.target_id == product.category_id))
        )
    ).all())
    for scope in (RateScope.PRODUCT, RateScope.CATEGORY):
        if scope in rates:
            return RateQuote(rates[scope], scope.value)
    return RateQuote(default_bps, "default")


@functools.cache
def _rates_of_products() -> Select[tuple[int, int | None, int | None]]:
    """Each product's own rate and its category's, for the products in the expanding parameter `product_ids` (built once)."""
    product_rate, category_rate = aliased(CommissionRate), aliased(CommissionRate)
    return (
        select(Product.id, product_rate.rate_bps, category_rate.rate_bps)
        .select_from(Product)
        .outerjoin(product_rate, (product_rate.scope == RateScope.PRODUCT) & (product_rate.target_id == Product.id))
        .outerjoin(category_rate, (category_rate.scope == RateScope.CATEGORY) & (category_rate.target_id == Product.category_id))
        .where(Product.id.in_(bindparam("product_ids", expanding=True)))
    )


def base_rates(product_ids: Iterable[int], default_bps: int) -> dict[int, RateQuote]:
    """`base_rate` for many products in one query: product id → its quote (a product that does not exist has none)."""
    rows = db.session.execute(_rates_of_products(), {"product_ids": sorted(set(product_ids))})
    quotes = {}
    for product_id, product_bps, category_bps in rows:
        if product_bps is not None:
            quotes[product_id] = RateQuote(product_bps, RateScope.PRODUCT.value)
        elif category_bps is not None:
            quotes[product_id] = RateQuote(category_bps, RateScope.CATEGORY.value)
        else:
            quotes[product_id] = RateQuote(default_bps, "default")
    return quotes


@functools.cache
def _attributed_sales_total() -> ScalarSelect[int]:
    """The curator's sales (net of refunds) since `since`, for parameters `curator_user_id`, `currency` and `since` (built once)."""
    return select(func.coalesce(func.sum(Commission.base_minor - Commission.refunded_base_minor), 0)).where(
        Commission.curator_user_id == bindparam("curator_user_id"), Commission.currency == bindparam("currency"),
        Commission.created_at >= bindparam("since", type_=Commission.created_at.type),
        Commission.status.not_in([CommissionStatus.REJECTED, CommissionStatus.REVERSED]),
    ).scalar_subquery()


@functools.cache
def _tier_reached() -> Select[tuple[CuratorTier]]:
    return (
        select(CuratorTier)
        .where(CuratorTier.currency == bindparam("currency"), CuratorTier.min_sales_minor <= _attributed_sales_total())
        .order_by(CuratorTier.min_sales_minor.desc())
        .limit(1)
    )


def _sales_parameters(curator_user_id: int, currency: str) -> dict[str, object]:
    return {"curator_user_id": curator_user_id, "currency": currency, "since": clock.now() - TIER_PERIOD}


def attributed_sales(curator_user_id: int, currency: str) -> int:
    """What the curator sold (net of refunds) in the last 90 days, in minor units."""
    return int(db.session.scalar(select(_attributed_sales_total()), _sales_parameters(curator_user_id, currency)) or 0)


def tier_for(curator_user_id: int, currency: str) -> CuratorTier | None:
    """The highest tier the curator's `attributed_sales` reach (one query)."""
    return db.session.scalar(_tier_reached(), _sales_parameters(curator_user_id, currency))


def with_tier(rate: RateQuote, tier: CuratorTier | None) -> RateQuote:
    return rate if tier is None else RateQuote(rate.base_bps, rate.source, tier.bonus_bps, tier.name)


def rate_for(product: Product, default_bps: int, tier: CuratorTier | None) -> RateQuote:
    return with_tier(base_rate(product, default_bps), tier)


def quote(product: Product, default_bps: int, curator_user_id: int | None = None) -> RateQuote:
    """The rate this curator would earn on this product today (tier included); the plain rate for nobody."""
    tier = tier_for(curator_user_id, product.currency) if curator_user_id is not None else None
    return rate_for(product, default_bps, tier)


def _check_bps(rate_bps: int) -> None:
    if not isinstance(rate_bps, int) or not 0 <= rate_bps <= MAX_RATE_BPS:
        raise RateError(_("A rate is between 0 and 10000 basis points (0% to 100%)."))


def set_rate(scope: RateScope, target_id: int, rate_bps: int | None) -> None:
    """Set (or, with None, remove) a product or category rate; past orders keep their snapshot."""
    target = db.session.get(Product if scope is RateScope.PRODUCT else Category, target_id)
    if target is None:
        raise RateError(_("No such product.") if scope is RateScope.PRODUCT else _("No such category."))
    existing = db.session.scalar(select(CommissionRate).where(CommissionRate.scope == scope, CommissionRate.target_id == target_id))
    if rate_bps is None:
        if existing is not None:
            db.session.delete(existing)
        return
    _check_bps(rate_bps)
    try:
        with db.session.begin_nested():
            if existing is None:
                db.session.add(CommissionRate(scope=scope, target_id=target_id, rate_bps=rate_bps))
            else:
                existing.rate_bps = rate_bps
    except IntegrityError:
        raise RateError(_("Someone changed this rate at the same moment; look again and retry.")) from None


def rates_by_scope(scope: RateScope) -> dict[int, int]:
    return dict(db.session.execute(select(CommissionRate.target_id, CommissionRate.rate_bps).where(CommissionRate.scope == scope)).all())


def add_tier(name: str, currency: str, min_sales_minor: int, bonus_bps: int) -> CuratorTier:
    name = name.strip()
    if not name or len(name) > 60:
        raise RateError(_("A tier needs a name of 1 to 60 characters."))
    if min_sales_minor <= 0:
        raise RateError(_("A tier's threshold is a positive amount."))
    if not 0 < bonus_bps <= 5000:
        raise RateError(_("A tier bonus is between 1 and 5000 basis points."))
    if db.session.scalar(select(CuratorTier.id).where(CuratorTier.currency == currency, CuratorTier.min_sales_minor == min_sales_minor)):
        raise RateError(_("A tier with this threshold exists already."))
    tier = CuratorTier(name=name, currency=currency, min_sales_minor=min_sales_minor, bonus_bps=bonus_bps)
    try:
        with db.session.begin_nested():
            db.session.add(tier)
    except IntegrityError:
        raise RateError(_("A tier with this threshold exists already.")) from None
    return tier


def list_tiers(currency: str) -> list[CuratorTier]:
    return list(db.session.scalars(select(CuratorTier).where(CuratorTier.currency == currency).order_by(CuratorTier.min_sales_minor)))


def remove_tier(tier_id: int) -> None:
    tier = db.session.get(CuratorTier, tier_id)
    if tier is None:
        raise RateError(_("No such tier."))
    db.session.delete(tier)
