"""The commission's life, in one table: pending during the return window, then available, then paid."""
from __future__ import annotations

from commissions.models import CommissionStatus as S
from commissions.models import PayoutStatus as P
from storefront.states import StateMachine

COMMISSION_STATES: StateMachine[S] = StateMachine(
    "commission",
    {
        S.PENDING: frozenset({S.AVAILABLE, S.HELD, S.REVERSED}),
        S.AVAILABLE: frozenset({S.PAID, S.HELD, S.REVERSED}),
        S.HELD: frozenset({S.PENDING, S.AVAILABLE, S.REJECTED, S.REVERSED}),
        # Back to available when the payout that paid it is returned by the provider.
        S.PAID: frozenset({S.REVERSED, S.AVAILABLE}),
        S.REVERSED: frozenset(),
        S.REJECTED: frozenset(),
    },
)

#: Where a commission's money sits while it is in each status.
BUCKET = {S.PENDING: "pending", S.HELD: "held", S.AVAILABLE: "available", S.PAID: "paid"}

#: A payout's life: reserved, then settled or voided; a settled one may come back (transfer reversed).
PAYOUT_STATES: StateMachine[P] = StateMachine(
    "payout",
    {
        P.RESERVED: frozenset({P.SETTLED, P.VOIDED}),
        P.SETTLED: frozenset({P.RETURNED}),
        P.VOIDED: frozenset(),
        P.RETURNED: frozenset(),
    },
)
