"""Operator endpoints: an order's attribution chain and refunds, commission decisions, payout runs, reconciliation.

Each calls the services the operator console calls. The console asks for a recently typed
password before money moves; through the API a bearer token is itself the credential, so no
re-confirmation is asked of it. A request signed in by the console's cookie instead must still
have typed the password recently, exactly as on the console.
"""
from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from flask import current_app, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, Field, StringConstraints, model_validator

from commissions import payout_runs, payouts, queries, reconciliation, services
from commissions.ledger import LedgerError
from commissions.maturation import run_maturation
from commissions.models import Commission, CommissionStatus, Payout, PayoutMethod, PayoutRun
from share.models import OrderAttribution
from storefront import clock
from storefront.accounts import sessions
from storefront.api import blueprint
from storefront.api.buying import OrderLineOut as BuyerLineOut
from storefront.api.framework import Access, ApiProblem, current_token, endpoint, require_caller
from storefront.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from storefront.api.schemas import Strict, Text
from storefront.extensions import db
from storefront.money import Money, MoneyError
from storefront.orders import services as orders
from storefront.orders.models import Order
from storefront.payments import services as payments
from storefront.payments.providers import ProviderError, ProviderRefused, active_provider

TAG = "admin"
MAX_ID = 2**31 - 1
MAX_MONEY_MINOR = 10**12
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
#: Said of every endpoint that moves money (the console's `moves_money` actions).
MONEY_NOTE = (
    " Moves money: the console asks for a recently typed password first. With a bearer token no re-confirmation is "
    "asked (the token is the credential); a request signed in by the console's cookie must have confirmed the password "
    "within REAUTH_MINUTES, as on the console, else 403."
)

#: A reason as an operator types it: trimmed first, then not empty, at most 255 characters, no NUL (as `Text`).
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), *Text.__metadata__]
OptionalReason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255), *Text.__metadata__]


# Shapes -------------------------------------------------------------------------------------


class ShopRef(BaseModel):
    """A curator's shop."""

    id: int
    handle: str


class ClickOut(BaseModel):
    """The share-link click that won the order."""

    id: int
    link_code: str
    channel: str
    clicked_at: datetime
    device_class: str
    referrer_host: str


class AttributionOut(BaseModel):
    """Why the order was (or was not) credited to a curator, decided once at checkout."""

    shop: ShopRef | None
    rule: str
    self_referral: str
    review_reasons: list[str]
    explanation: str
    decided_at: datetime
    #: None for a direct sale or an add-to-cart from the shop page.
    click: ClickOut | None
    from_shop_page: bool


class AdminOrderLineOut(BuyerLineOut):
    """One order line, its price snapshot, and how much of it was refunded."""

    refunded_minor: int
    refundable_minor: int
    #: The shop the line credits, if any.
    shop_id: int | None


class RefundPartOut(BaseModel):
    """What one refund gave back on one line (line_id null: shipping)."""

    line_id: int | None
    amount_minor: int


class RefundOut(BaseModel):
    """A refund the payment provider confirmed."""

    id: int
    provider: str
    reference: str
    amount_minor: int
    currency: str
    created_at: datetime
    lines: list[RefundPartOut]


class CommissionOut(BaseModel):
    """What one order line earns its curator: the rate snapshot, the amounts and the status."""

    id: int
    order_id: int
    order_line_id: int
    shop_id: int
    curator_user_id: int
    status: str
    status_reason: str
    rate_bps: int
    rate_source: str
    base_minor: int
    earned_minor: int
    reversed_minor: int
    net_minor: int
    currency: str
    matures_at: datetime
    #: The payout that paid it, once paid.
    payout_id: int | None
    created_at: datetime


class CommissionListItemOut(CommissionOut):
    """A commission with its order, product and curator."""

    order_number: str
    product_title: str
    shop_handle: str
    curator_email: str


class CommissionPageOut(BaseModel):
    """A page of commissions, oldest first; `next_cursor` is null on the last page."""

    items: list[CommissionListItemOut]
    next_cursor: str | None


class OrderPayoutOut(BaseModel):
    """A payout that paid some of the order's commissions."""

    id: int
    reference: str
    run_id: int
    method: str
    status: str
    amount_minor: int
    currency: str
    provider_reference: str | None


class StatusChangeOut(BaseModel):
    """One step of the order's status history."""

    from_status: str | None
    to_status: str
    actor: str
    reason: str
    at: datetime


class OrderDetailOut(BaseModel):
    """An order with its attribution chain: the attribution record, lines, refunds, commissions and the payouts that paid them."""

    number: str
    status: str
    email: str
    customer_name: str
    currency: str
    subtotal_minor: int
    shipping_minor: int
    total_minor: int
    refunded_minor: int
    shipping_refundable_minor: int
    created_at: datetime
    paid_at: datetime | None
    attribution: AttributionOut | None
    lines: list[AdminOrderLineOut]
    refunds: list[RefundOut]
    commissions: list[CommissionOut]
    payouts: list[OrderPayoutOut]
    history: list[StatusChangeOut]


class RefundLineIn(Strict):
    line_id: int = Field(ge=1, le=MAX_ID)
    quantity: int = Field(ge=1, le=99, description="Units to refund: quantity × unit price, capped at what is left on the line.")


class RefundIn(Strict):
    amount_minor: int | None = Field(default=None, ge=1, le=MAX_MONEY_MINOR,
                                     description="An amount, spread over the lines in proportion to what is left on each.")
    lines: list[RefundLineIn] | None = Field(default=None, min_length=1, max_length=100,
                                             description="Or chosen lines by quantity (each line once).")
    reason: Reason
    idempotency_key: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{16,64}$",
        description="The console's per-form request token, for API clients: send the same key when retrying a request whose "
                    "answer you did not get, and the provider refunds once. Omitted: a new key is made (and returned).",
    )

    @model_validator(mode="after")
    def _amount_or_lines(self) -> RefundIn:
        if (self.amount_minor is None) == (self.lines is None):
            raise ValueError(_("give either amount_minor or lines, not both"))
        if self.lines is not None and len({line.line_id for line in self.lines}) != len(self.lines):
            raise ValueError(_("name each line once"))
        return self


class SentLineOut(BaseModel):
    """The amount asked back on one line."""

    line_id: int
    quantity: int
    amount_minor: int


class RefundSentOut(BaseModel):
    """What was sent to the payment provider; the refund shows on the order once the provider confirms it."""

    order_number: str
    provider: str
    refund_reference: str
    amount_minor: int
    currency: str
    #: Empty for a refund by amount (the provider's confirmation spreads it over the lines).
    lines: list[SentLineOut]
    reason: str
    idempotency_key: str


class CommissionQuery(BaseModel):
    status: Literal[tuple(s.value for s in CommissionStatus)] | None = None  # type: ignore[valid-type]
    shop: Text | None = Field(default=None, max_length=40, description="A shop's handle (with or without @).")
    cursor: Text | None = Field(default=None, max_length=64)
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)


class ReasonIn(Strict):
    reason: Reason


class ReleaseIn(Strict):
    reason: OptionalReason = ""


class FailedMaturationOut(BaseModel):
    """A commission that could not mature (it stays pending, for an operator to look at)."""

    commission_id: int
    detail: str


class MaturationOut(BaseModel):
    """How many commissions past their hold period became available, and which could not."""

    matured: int
    failed: list[FailedMaturationOut]


class PayoutRunIn(Strict):
    method: Literal["manual", "stripe"] = Field(
        description="manual: a file to pay by bank, then mark paid; stripe: a transfer to each curator's connected account.",
    )


class CuratorOut(BaseModel):
    """The curator a payout is for."""

    id: int
    handle: str | None
    email: str


class RunPayoutOut(BaseModel):
    """One curator's payout in a run."""

    id: int
    reference: str
    curator: CuratorOut
    amount_minor: int
    netted_minor: int
    currency: str
    status: str
    provider_reference: str | None
    failure_reason: str


class PayoutRunOut(BaseModel):
    """A payout run and its payouts."""

    id: int
    method: str
    currency: str
    started_by_user_id: int | None
    created_at: datetime
    payouts: list[RunPayoutOut]


class SkippedCuratorOut(BaseModel):
    """A curator left out of the run, and why."""

    curator_id: int
    reason: str


class PayoutRunStartedOut(PayoutRunOut):
    """The new run: its payouts, and the curators left out. Transfers the provider did not confirm stay reserved."""

    settled: int
    voided: int
    awaiting_provider: int
    skipped: list[SkippedCuratorOut]


class RunPaidOut(BaseModel):
    """How many payouts of the manual run were marked paid, and the run now."""

    settled: int
    run: PayoutRunOut


class ReconciliationQuery(BaseModel):
    from_: str | None = Field(default=None, alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$",
                              description="First day (UTC), YYYY-MM-DD; the first of this month by default.")
    to: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="Last day (UTC), included; today by default.")


class TotalsOut(BaseModel):
    """The period's money, in minor units of the store's currency."""

    gross_sales_minor: int
    refunds_minor: int
    net_sales_minor: int
    commission_earned_minor: int
    commission_reversed_minor: int
    commission_paid_minor: int


class DiscrepancyOut(BaseModel):
    """Something that does not reconcile."""

    kind: str
    subject: str
    detail: str


class ReconciliationOut(BaseModel):
    """Orders and refunds, the ledger and the provider's records compared for the period (UTC days, both included)."""

    first_day: date
    last_day: date
    currency: str
    provider_checked: bool
    reconciles: bool
    totals: TotalsOut
    discrepancies: list[DiscrepancyOut]


# Helpers ------------------------------------------------------------------------------------


def _confirm_money_move() -> None:
    """A bearer token is the credential; a cookie session must have typed the password recently, as on the console."""
    if current_token() is not None:
        return
    if not sessions.confirmed_recently(sessions.current(), timedelta(minutes=current_app.config["REAUTH_MINUTES"])):
        raise ApiProblem(403, _("Signed in by cookie: confirm your password first (%(url)s), or use a bearer token.",
                                url=url_for("accounts.confirm_password")))


def _order(number: str) -> Order:
    order = orders.find_order_by_number(number.upper()) if len(number) <= 20 and number.isascii() and number.isalnum() else None
    if order is None:
        raise ApiProblem(404, _("There is no order with that number."))
    return order


def _commission(commission_id: int) -> Commission:
    commission = queries.find_commission(commission_id) if commission_id <= MAX_ID else None
    if commission is None:
        raise ApiProblem(404, _("There is no such commission."))
    return commission


def _run(run_id: int) -> PayoutRun:
    run = queries.find_payout_run(run_id) if run_id <= MAX_ID else None
    if run is None:
        raise ApiProblem(404, _("There is no such payout run."))
    return run


def _attribution_out(record: OrderAttribution | None) -> AttributionOut | None:
    if record is None:
        return None
    click = record.click
    return AttributionOut(
        shop=ShopRef(id=record.shop.id, handle=record.shop.handle) if record.shop else None, rule=record.rule,
        self_referral=record.self_referral, review_reasons=list(record.review_reasons or []), explanation=record.explanation,
        decided_at=record.decided_at, from_shop_page=click is None and record.touch_id is not None,
        click=ClickOut(id=click.id, link_code=click.link.code, channel=click.link.channel, clicked_at=click.created_at,
                       device_class=click.device_class, referrer_host=click.referrer_host) if click else None,
    )


def _commission_fields(commission: Commission) -> dict[str, object]:
    return {
        "id": commission.id, "order_id": commission.order_id, "order_line_id": commission.order_line_id,
        "shop_id": commission.shop_id, "curator_user_id": commission.curator_user_id, "status": commission.status,
        "status_reason": commission.status_reason, "rate_bps": commission.rate_bps, "rate_source": commission.rate_source,
        "base_minor": commission.base_minor, "earned_minor": commission.earned_minor,
        "reversed_minor": commission.reversed_minor, "net_minor": commission.net_minor, "currency": commission.currency,
        "matures_at": commission.matures_at, "payout_id": commission.payout_id, "created_at": commission.created_at,
    }


def _commission_out(commission: Commission) -> CommissionOut:
    return CommissionOut.model_validate(_commission_fields(commission))


def _payout_out(payout: Payout) -> OrderPayoutOut:
    return OrderPayoutOut(id=payout.id, reference=payout.reference, run_id=payout.run_id, method=payout.method,
                          status=payout.status, amount_minor=payout.amount_minor, currency=payout.currency,
                          provider_reference=payout.provider_reference)


def _run_fields(run: PayoutRun) -> dict[str, object]:
    return {
        "id": run.id, "method": run.method, "currency": run.currency, "started_by_user_id": run.started_by_user_id,
        "created_at": run.created_at,
        "payouts": [
            RunPayoutOut(
                id=payout.id, reference=payout.reference, curator=CuratorOut(id=payout.curator_user_id, handle=handle or None, email=email),
                amount_minor=payout.amount_minor, netted_minor=payout.netted_minor, currency=payout.currency, status=payout.status,
                provider_reference=payout.provider_reference, failure_reason=payout.failure_reason,
            )
            for payout, email, handle in queries.payout_lines(run.id)
        ],
    }


def _day(raw: str | None, default: date, name: str) -> date:
    if raw is None:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ApiProblem(400, _("`%(name)s` is not a date: write it like 2026-11-01.", name=name),
                         errors=[{"field": name, "pointer": f"/{name}", "detail": _("not a calendar date")}]) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ApiProblem(400, _("`%(name)s` must be between 2000-01-01 and 2999-12-31.", name=name),
                         errors=[{"field": name, "pointer": f"/{name}", "detail": _("out of range")}])
    return day


# Orders -------------------------------------------------------------------------------------


@endpoint(blueprint, "GET", "/admin/orders/<number>", summary="An order with its attribution chain", tag=TAG,
          access=Access.OPERATOR, responses={200: OrderDetailOut},
          description="The attribution record (shop, rule, self-referral verdict, explanation, the winning click), lines with "
                      "what is left to refund, confirmed refunds, commissions and the payouts that paid them.")
def admin_get_order(number: str) -> OrderDetailOut:
    order = _order(number)
    chain = queries.order_chain(order)
    refunded, refundable = payments.refunded_by_line(order), payments.refundable_by_line(order)
    return OrderDetailOut(
        number=order.number, status=order.status, email=order.email, customer_name=order.customer_name, currency=order.currency,
        subtotal_minor=order.subtotal_minor, shipping_minor=order.shipping_minor, total_minor=order.total_minor,
        refunded_minor=order.refunded_minor, shipping_refundable_minor=refundable[None], created_at=order.created_at,
        paid_at=order.paid_at, attribution=_attribution_out(chain.attribution),
        lines=[
            AdminOrderLineOut(id=line.id, product_id=line.product_id, sku=line.sku, title=line.title,
                         unit_price_minor=line.unit_price_minor, quantity=line.quantity, line_total_minor=line.line_total_minor,
                         refunded_minor=refunded.get(line.id, 0), refundable_minor=refundable[line.id], shop_id=line.shop_id)
            for line in order.lines
        ],
        refunds=[
            RefundOut(id=record.refund.id, provider=record.refund.provider, reference=record.refund.reference,
                      amount_minor=record.refund.amount_minor, currency=record.refund.currency, created_at=record.refund.created_at,
                      lines=[RefundPartOut(line_id=line_id, amount_minor=amount) for line_id, amount in record.lines.items()])
            for record in chain.refunds
        ],
        commissions=[_commission_out(commission) for commission in chain.commissions],
        payouts=[_payout_out(payout) for payout in chain.payouts.values()],
        history=[StatusChangeOut(from_status=change.from_status, to_status=change.to_status, actor=change.actor, reason=change.reason,
                                 at=change.created_at) for change in order.status_changes],
    )


@endpoint(blueprint, "POST", "/admin/orders/<number>/refunds", summary="Refund an amount or chosen lines of an order", tag=TAG,
          access=Access.OPERATOR, body=RefundIn, responses={202: RefundSentOut},
          description="Sent to the payment provider, like the console's refund form (and audited the same way); the refund "
                      "counts on the order once the provider confirms it. Lines are given by quantity: each becomes "
                      "quantity × unit price, capped at what is still refundable on the line. A wrong amount or line is a "
                      "422; an order without a payment to refund a 409; a provider that does not answer a 503 (retry with "
                      "the same idempotency_key)." + MONEY_NOTE)
def admin_refund_order(number: str, body: RefundIn) -> RefundSentOut:
    order = _order(number)
    _confirm_money_move()
    operator = require_caller()
    key = body.idempotency_key or secrets.token_hex(16)
    quantities = {line.line_id: line.quantity for line in body.lines or []}
    try:
        amounts = payments.refund_amounts_for_quantities(order, quantities) if quantities else None
        amount = Money(body.amount_minor, order.currency) if body.amount_minor is not None else None
        reference = payments.refund_order_by_operator(order, amount, active_provider(), actor_user_id=operator.id,
                                                      reason=body.reason, lines=amounts, request_key=key)
    except (orders.OrderError, MoneyError) as error:
        where = "lines" if quantities else "amount_minor"
        raise ApiProblem(422, str(error), errors=[{"field": where, "pointer": f"/{where}", "detail": str(error)}]) from None
    except ProviderRefused as error:
        raise ApiProblem(409, str(error)) from None
    except ProviderError as error:
        raise ApiProblem(503, _("%(error)s The outcome is unknown: retry with the same idempotency_key, which refunds at most once.",
                                error=error),
                         headers={"Retry-After": "30"}) from None
    db.session.commit()
    return RefundSentOut(
        order_number=order.number, provider=active_provider().name, refund_reference=reference,
        amount_minor=sum(amounts.values()) if amounts else body.amount_minor or 0, currency=order.currency,
        lines=[SentLineOut(line_id=line_id, quantity=quantities[line_id], amount_minor=amount) for line_id, amount in (amounts or {}).items()],
        reason=body.reason, idempotency_key=key,
    )


# Commissions --------------------------------------------------------------------------------


@endpoint(blueprint, "GET", "/admin/commissions", summary="Commissions, by status and shop", tag=TAG, access=Access.OPERATOR,
          query=CommissionQuery, responses={200: CommissionPageOut},
          description="Oldest first, a page at a time: pass `next_cursor` back as `cursor`.")
def admin_list_commissions(query: CommissionQuery) -> CommissionPageOut:
    after = decode_cursor(query.cursor)
    rows = queries.list_commissions_after(
        after_id=after, limit=query.limit + 1, status=CommissionStatus(query.status) if query.status else None,
        shop_handle=query.shop or "",
    )
    page = rows[:query.limit]
    return CommissionPageOut(
        items=[
            CommissionListItemOut.model_validate({**_commission_fields(row.commission), "order_number": row.order_number,
                                                  "product_title": row.product, "shop_handle": row.handle,
                                                  "curator_email": row.curator_email})
            for row in page
        ],
        next_cursor=encode_cursor(page[-1].commission.id) if len(rows) > query.limit else None,
    )


def _decide(commission_id: int, action: str, reason: str) -> CommissionOut:
    commission = _commission(commission_id)
    operator = require_caller()
    try:
        getattr(services, action)(commission, reason=reason, actor_user_id=operator.id)
    except services.CommissionError as error:
        raise ApiProblem(409, str(error)) from None
    except LedgerError as error:
        raise ApiProblem(409, _("The ledger refused this: %(error)s. Nothing was changed; run `flask commissions check`.",
                                error=error)) from None
    db.session.commit()
    return _commission_out(commission)


@endpoint(blueprint, "POST", "/admin/commissions/<int:commission_id>/hold", summary="Hold a commission", tag=TAG,
          access=Access.OPERATOR, body=ReasonIn, responses={200: CommissionOut},
          description="Takes a pending or available commission out of the payable balance (fraud review, dispute); "
                      "409 when its status does not allow it.")
def admin_hold_commission(commission_id: int, body: ReasonIn) -> CommissionOut:
    return _decide(commission_id, "hold", body.reason)


@endpoint(blueprint, "POST", "/admin/commissions/<int:commission_id>/release", summary="Release a held commission", tag=TAG,
          access=Access.OPERATOR, body=ReleaseIn, responses={200: CommissionOut},
          description="Back to pending, or to available when its hold period passed meanwhile; 409 unless it is held.")
def admin_release_commission(commission_id: int, body: ReleaseIn) -> CommissionOut:
    return _decide(commission_id, "release", body.reason)


@endpoint(blueprint, "POST", "/admin/commissions/<int:commission_id>/reject", summary="Reject a held commission for good", tag=TAG,
          access=Access.OPERATOR, body=ReasonIn, responses={200: CommissionOut},
          description="Its amount goes back to the platform; 409 unless it is held (hold it first)." + MONEY_NOTE)
def admin_reject_commission(commission_id: int, body: ReasonIn) -> CommissionOut:
    commission = _commission(commission_id)
    _confirm_money_move()
    return _decide(commission.id, "reject", body.reason)


@endpoint(blueprint, "POST", "/admin/commissions/mature", summary="Make every commission past its hold period available", tag=TAG,
          access=Access.OPERATOR, responses={200: MaturationOut},
          description="What `flask commissions mature` does, curator by curator; safe to call at any time and twice at once.")
def admin_mature_commissions() -> MaturationOut:
    result = run_maturation()
    return MaturationOut(matured=result.matured, failed=[
        FailedMaturationOut(commission_id=commission_id, detail=detail) for commission_id, detail in sorted(result.failed.items())
    ])


# Payouts ------------------------------------------------------------------------------------


@endpoint(blueprint, "POST", "/admin/payouts/runs", summary="Start a payout run", tag=TAG, access=Access.OPERATOR,
          body=PayoutRunIn, responses={201: PayoutRunStartedOut},
          description="One payout per curator whose available balance reaches PAYOUT_MIN_MINOR (their debt netted first), "
                      "as the console's button and `flask payouts run` do. 409 when the provider cannot pay that way."
                      + MONEY_NOTE)
def admin_start_payout_run(body: PayoutRunIn) -> PayoutRunStartedOut:
    _confirm_money_move()
    operator = require_caller()
    config = current_app.config
    try:
        report = payout_runs.start_run(PayoutMethod(body.method), currency=config["CURRENCY"],
                                       minimum_minor=config["PAYOUT_MIN_MINOR"], provider=active_provider(),
                                       started_by_user_id=operator.id)
    except payouts.PayoutError as error:
        raise ApiProblem(409, str(error)) from None
    db.session.commit()
    return PayoutRunStartedOut.model_validate({
        **_run_fields(report.run), "settled": len(report.settled), "voided": len(report.voided),
        "awaiting_provider": len(report.unknown),
        "skipped": [SkippedCuratorOut(curator_id=user_id, reason=why) for user_id, why in sorted(report.skipped.items())],
    })


@endpoint(blueprint, "GET", "/admin/payouts/runs/<int:run_id>", summary="A payout run and its payouts", tag=TAG,
          access=Access.OPERATOR, responses={200: PayoutRunOut}, description="Each payout with its curator.")
def admin_get_payout_run(run_id: int) -> PayoutRunOut:
    return PayoutRunOut.model_validate(_run_fields(_run(run_id)))


@endpoint(blueprint, "POST", "/admin/payouts/runs/<int:run_id>/mark-paid", summary="Mark a manual payout run paid", tag=TAG,
          access=Access.OPERATOR, responses={200: RunPaidOut},
          description="The bank file was paid: every payout of the run still reserved settles. 409 for a Stripe run "
                      "(transfers settle themselves)." + MONEY_NOTE)
def admin_mark_payout_run_paid(run_id: int) -> RunPaidOut:
    run = _run(run_id)
    _confirm_money_move()
    operator = require_caller()
    try:
        settled = payout_runs.mark_manual_run_paid(run, actor_user_id=operator.id)
    except payouts.PayoutError as error:
        raise ApiProblem(409, str(error)) from None
    db.session.commit()
    return RunPaidOut(settled=settled, run=PayoutRunOut.model_validate(_run_fields(run)))


# Reconciliation -----------------------------------------------------------------------------


@endpoint(blueprint, "GET", "/admin/reconciliation", summary="Reconcile orders, the ledger and the provider for a period", tag=TAG,
          access=Access.OPERATOR, query=ReconciliationQuery, responses={200: ReconciliationOut},
          description="The totals and every discrepancy, as the console page and `flask commissions reconcile` show them. "
                      "Days are UTC, both included; a bad date is a 400, and 503 when the provider's records cannot be read.")
def admin_reconcile(query: ReconciliationQuery) -> ReconciliationOut:
    today = clock.now().astimezone(UTC).date()
    first = _day(query.from_, today.replace(day=1), "from")
    last = _day(query.to, today, "to")
    if last < first:
        raise ApiProblem(400, _("The period ends before it starts."),
                         errors=[{"field": "to", "pointer": "/to", "detail": _("before from")}])
    start = datetime.combine(first, datetime.min.time(), UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    try:
        report = reconciliation.reconcile_with(active_provider(), start, end, currency=current_app.config["CURRENCY"],
                                               default_bps=current_app.config["COMMISSION_DEFAULT_BPS"])
    except ProviderError as error:
        raise ApiProblem(503, _("The payment provider's records could not be read: %(error)s", error=error), headers={"Retry-After": "60"}) from None
    totals = report.totals
    return ReconciliationOut(
        first_day=first, last_day=last, currency=report.currency, provider_checked=report.provider_checked,
        reconciles=report.reconciles,
        totals=TotalsOut(gross_sales_minor=totals.gross_sales, refunds_minor=totals.refunds, net_sales_minor=totals.net_sales,
                         commission_earned_minor=totals.commission_earned, commission_reversed_minor=totals.commission_reversed,
                         commission_paid_minor=totals.commission_paid),
        discrepancies=[DiscrepancyOut(kind=item.kind.value, subject=item.subject, detail=item.detail) for item in report.discrepancies],
    )
