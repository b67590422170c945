"""The payment attempt state machine."""
from __future__ import annotations

from typing import Any

from storefront import clock
from storefront.payments.models import Payment, PaymentStatus
from storefront.states import StateMachine

P = PaymentStatus

PAYMENT_TRANSITIONS = StateMachine[PaymentStatus](
    "payment",
    {
        P.STARTED: frozenset({P.SUCCEEDED, P.FAILED}),
        # A failed attempt may still succeed: asynchronous methods (Pix, boleto) retry.
        P.FAILED: frozenset({P.SUCCEEDED}),
        P.SUCCEEDED: frozenset(),
    },
)


def transition_payment(payment: Payment, target: PaymentStatus) -> bool:
    values = payment_transition_values(payment, target)
    for key, value in values.items():
        setattr(payment, key, value)
    return bool(values)


def payment_transition_values(payment: Payment, target: PaymentStatus) -> dict[str, Any]:
    """The columns `transition_payment` sets (none when the payment is there already), for a caller writing them
    itself; raises InvalidTransition for a move the machine does not allow."""
    if not PAYMENT_TRANSITIONS.check(PaymentStatus(payment.status), target):
        return {}
    values: dict[str, Any] = {"status": target}
    if target is PaymentStatus.SUCCEEDED:
        values["succeeded_at"] = clock.now()
    return values
