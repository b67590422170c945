"""Which rate a curator earns on a product: product rate, else category rate, else the default; plus a tier bonus."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from commissions.models import Commission, CommissionRate, CommissionStatus, CuratorTier, RateScope
from storefront import clock
from storefront.catalog.models import Category, Product
from storefront.extensions import db

TIER_PERIOD = timedelta(days=90)
MAX_RATE_BPS = 10_000


class RateError(ValueError):
    """A rate or tier an operator cannot set; the message is safe to show."""


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
        text = f"{self.source} rate"
        return f"{text} + {self.tier_name} tier bonus" if self.tier_name else text


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


def attributed_sales(curator_user_id: int, currency: str) -> int:
    """What the curator sold (net of refunds) in the last 90 days, in minor units."""
    since = clock.now() - TIER_PERIOD
    total = db.session.scalar(
        select(func.coalesce(func.sum(Commission.base_minor - Commission.refunded_base_minor), 0)).where(
            Commission.curator_user_id == curator_user_id, Commission.currency == currency, Commission.created_at >= since,
            Commission.status.not_in([CommissionStatus.REJECTED, CommissionStatus.REVERSED]),
        )
    )
    return int(total or 0)


def tier_for(curator_user_id: int, currency: str) -> CuratorTier | None:
    sales = attributed_sales(curator_user_id, currency)
    return db.session.scalar(
        select(CuratorTier)
        .where(CuratorTier.currency == currency, CuratorTier.min_sales_minor <= sales)
        .order_by(CuratorTier.min_sales_minor.desc())
        .limit(1)
    )


def rate_for(product: Product, default_bps: int, tier: CuratorTier | None) -> RateQuote:
    rate = base_rate(product, default_bps)
    return rate if tier is None else RateQuote(rate.base_bps, rate.source, tier.bonus_bps, tier.name)


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
