"""The payment attempt state machine."""
from __future__ import annotations

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
    if not PAYMENT_TRANSITIONS.check(PaymentStatus(payment.status), target):
        return False
    payment.status = target
    if target is PaymentStatus.SUCCEEDED:
        payment.succeeded_at = clock.now()
    return True
