"""The caller's own money and numbers: balances, the ledger statement by cursor, and the shop's stats for a period.

Choices: amounts are integers in minor units of `currency` (the store's). `conversion_rate`
is what the web dashboard shows: orders per 100 unique visitors (a percentage, one
decimal), null without visitors; it is not a 0..1 ratio. Periods are the caller's local
days (their account's time zone), validated as the dashboard validates them (400).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from commissions import statements
from commissions.analytics.curator import curator_stats
from commissions.analytics.funnel import FunnelRow
from commissions.analytics.periods import PeriodError, choose_period
from share import rollups
from storefront import clock
from storefront.api import blueprint
from storefront.api.framework import Access, ApiProblem, endpoint, require_caller
from storefront.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from storefront.api.schemas import Strict
from storefront.shops.services import find_shop_for_user

_CONVERSION = "Orders per 100 unique visitors (a percentage, one decimal, as the dashboard shows); null without visitors."


class EarningsOut(BaseModel):
    """The caller's commission balances, in minor units of `currency`."""

    currency: str
    #: Earned, inside the return window.
    pending_minor: int
    #: Put on hold for review.
    held_minor: int
    #: Ready for the next payout.
    available_minor: int
    #: In a payout being sent.
    in_payout_minor: int
    paid_minor: int
    #: Clawed back after being paid: taken from future earnings.
    owed_minor: int
    #: Everything earned and not reversed or rejected, paid or not.
    lifetime_minor: int


class StatementQuery(Strict):
    cursor: str | None = Field(default=None, max_length=100, description="`next_cursor` of the previous page.")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)


class MovementOut(BaseModel):
    """One posting on the caller's commission ledger."""

    id: int
    at: datetime
    order_number: str
    product: str
    #: earn, mature, hold, release, reject, reversal, clawback.
    kind: str
    label: str
    #: Positive when earnings grew, negative when they shrank, zero for a move between stages.
    amount_minor: int
    currency: str
    #: From which stage to which ("platform → pending").
    moved: str
    #: The commission's status now.
    status: str
    reason: str


class StatementOut(BaseModel):
    """The caller's ledger movements, newest first; `next_cursor` is null on the last page."""

    items: list[MovementOut]
    next_cursor: str | None


class StatsQuery(Strict):
    from_: str | None = Field(default=None, alias="from", max_length=20,
                              description="First local day, YYYY-MM-DD (with `to`).")
    to: str | None = Field(default=None, max_length=20, description="Last local day, YYYY-MM-DD (with `from`), up to today.")
    days: str | None = Field(default=None, max_length=3,
                             description="Instead of from/to: the last 7, 30 or 90 days (today included). Default 30.")


class PeriodOut(BaseModel):
    """Local days, both included, in the caller's time zone."""

    first_day: date
    last_day: date
    time_zone: str


class FunnelRowOut(BaseModel):
    """Clicks → visitors → orders → sales for a channel, a link or a look."""

    key: str
    label: str
    clicks: int
    unique_visitors: int
    orders: int
    conversion_rate: float | None = Field(description=_CONVERSION)
    #: What buyers kept: paid line totals less refunds.
    sales_minor: int
    commission_minor: int


class ProductRowOut(BaseModel):
    """A product the caller's shop sold in the period."""

    product_id: int
    title: str
    units: int
    orders: int
    sales_minor: int


class DayOut(BaseModel):
    """One local day of the period."""

    day: date
    clicks: int
    unique_visitors: int
    orders: int


class StatsOut(BaseModel):
    """What the caller's links, looks and products brought in the period (the web dashboard's numbers)."""

    period: PeriodOut
    currency: str
    clicks: int
    unique_visitors: int
    orders: int
    conversion_rate: float | None = Field(description=_CONVERSION)
    #: What buyers kept: paid line totals less refunds.
    sales_minor: int
    refunded_minor: int
    commission_minor: int
    #: Distinct buyers (nobody's identity is shown).
    buyers: int
    by_channel: list[FunnelRowOut]
    by_link: list[FunnelRowOut]
    by_look: list[FunnelRowOut]
    #: The top products by sales.
    by_product: list[ProductRowOut]
    #: Every day of the period, oldest first.
    by_day: list[DayOut]


def _rate(conversion: Decimal | None) -> float | None:
    return None if conversion is None else float(conversion)


def _funnel_row(row: FunnelRow) -> FunnelRowOut:
    return FunnelRowOut(
        key=row.key, label=str(row.label), clicks=row.clicks, unique_visitors=row.visitors, orders=row.orders,
        conversion_rate=_rate(row.conversion), sales_minor=row.sales.minor, commission_minor=row.commission.minor,
    )


@endpoint(blueprint, "GET", "/me/earnings", summary="My commission balances", tag="earnings", access=Access.USER,
          responses={200: EarningsOut})
def my_earnings() -> EarningsOut:
    balances = statements.balances_for(require_caller().id, current_app.config["CURRENCY"])
    return EarningsOut(
        currency=balances.currency, pending_minor=balances.pending.minor, held_minor=balances.held.minor,
        available_minor=balances.available.minor, in_payout_minor=balances.in_payout.minor, paid_minor=balances.paid.minor,
        owed_minor=balances.owed.minor, lifetime_minor=balances.lifetime.minor,
    )


@endpoint(blueprint, "GET", "/me/statement", summary="My ledger movements", tag="earnings", access=Access.USER,
          query=StatementQuery, responses={200: StatementOut})
def my_statement(query: StatementQuery) -> StatementOut:
    before_id = decode_cursor(query.cursor) or None
    found = statements.movements_before(require_caller().id, before_id=before_id, limit=query.limit + 1)
    page = found[:query.limit]
    return StatementOut(
        items=[
            MovementOut(id=m.id, at=m.at, order_number=m.order_number, product=m.product, kind=m.kind, label=m.label,
                        amount_minor=m.amount.minor, currency=m.amount.currency, moved=m.moved, status=m.status, reason=m.reason)
            for m in page
        ],
        next_cursor=encode_cursor(page[-1].id) if len(found) > query.limit else None,
    )


@endpoint(blueprint, "GET", "/me/stats", summary="My shop's stats for a period", tag="earnings", access=Access.USER,
          query=StatsQuery, responses={200: StatsOut}, description=(
              "`from` and `to` are local days in the caller's time zone (default: the last 30 days). A caller without a "
              "shop gets a 404. " + _CONVERSION
          ))
def my_stats(query: StatsQuery) -> StatsOut:
    user = require_caller()
    shop = find_shop_for_user(user.id)
    if shop is None:
        raise ApiProblem(404, _("You have no shop yet: open one, and your numbers start with its first share."))
    tz = rollups.curator_zone(user)
    chosen = {"from": query.from_ or "", "to": query.to or "", "days": query.days or ""}
    try:
        days = choose_period(chosen, clock.now(), tz)
    except PeriodError as error:
        raise ApiProblem(400, str(error)) from None
    stats = curator_stats(shop, days, current_app.config["CURRENCY"])
    totals = stats.totals
    return StatsOut(
        period=PeriodOut(first_day=days.first, last_day=days.last, time_zone=str(tz.key)),
        currency=stats.currency, clicks=totals.clicks, unique_visitors=totals.visitors, orders=totals.orders,
        conversion_rate=_rate(totals.conversion), sales_minor=totals.sales.minor, refunded_minor=stats.refunded.minor,
        commission_minor=totals.commission.minor, buyers=stats.buyers,
        by_channel=[_funnel_row(row) for row in stats.by_channel], by_link=[_funnel_row(row) for row in stats.by_link],
        by_look=[_funnel_row(row) for row in stats.by_look],
        by_product=[ProductRowOut(product_id=row.product_id, title=row.title, units=row.units, orders=row.orders,
                                  sales_minor=row.sales.minor) for row in stats.by_product],
        by_day=[DayOut(day=point.day, clicks=point.clicks, unique_visitors=point.visitors, orders=point.orders)
                for point in stats.by_day],
    )
