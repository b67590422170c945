"""Commissions follow payment facts: a paid order earns, a refund reverses."""
from __future__ import annotations

from typing import Any

from flask import current_app

from commissions import services
from commissions.analytics import facts
from commissions.services import CommissionSettings
from share.services import find_paid_order_attribution
from storefront.payments import signals


def settings_from_config(config: Any) -> CommissionSettings:
    return CommissionSettings(default_bps=config["COMMISSION_DEFAULT_BPS"], hold_days=config["COMMISSION_HOLD_DAYS"])


def _on_order_paid(_sender: object, *, order: Any, payment: Any) -> None:
    attribution = find_paid_order_attribution(order.id)  # read once, for the commissions and the facts
    made = services.earn_for_paid_order(order, payment, settings_from_config(current_app.config), attribution=attribution)
    # The order has just become paid (once, under its row lock): the commissions made now are all it has.
    facts.refresh_order(order, winner=facts.winner_of(attribution), kept=facts.kept_by_line_of(made))


def _on_order_refunded(_sender: object, *, order: Any, refund: Any) -> None:
    services.reverse_for_refund(order, refund)
    facts.refresh_order(order)


def _on_dispute_opened(_sender: object, *, order: Any, dispute_reference: str) -> None:
    services.hold_for_dispute(order, dispute_reference=dispute_reference)


def _on_dispute_closed(_sender: object, *, order: Any, dispute_reference: str, won: bool) -> None:
    services.close_dispute(order, dispute_reference=dispute_reference, won=won)
    facts.refresh_order(order)


def _on_transfer_reversed(_sender: object, *, transfer_reference: str, reversed_minor: int | None) -> str:
    from commissions import payouts

    payout = payouts.find_payout_by_reference(transfer_reference) if transfer_reference else None
    if payout is None:
        return ""
    back = payouts.returned(payout, reversed_minor if reversed_minor is not None else payout.amount_minor,
                            "transfer reversed by the provider")
    return f"{back} of payout {payout.reference} returned to available"


def connect() -> None:
    signals.transfer_reversed.connect(_on_transfer_reversed)
    signals.order_paid.connect(_on_order_paid)
    signals.order_refunded.connect(_on_order_refunded)
    signals.dispute_opened.connect(_on_dispute_opened)
    signals.dispute_closed.connect(_on_dispute_closed)
