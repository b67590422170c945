"""The commission's life, in one table: pending during the return window, then available, then paid."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

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

#: How each commission status reads to people (the stored value stays the English word).
COMMISSION_STATUS_LABELS = {
    S.PENDING: _l("pending"), S.HELD: _l("held"), S.AVAILABLE: _l("available"), S.PAID: _l("paid"),
    S.REVERSED: _l("reversed"), S.REJECTED: _l("rejected"),
}

#: How each payout status reads to the curator it pays.
PAYOUT_STATUS_LABELS = {
    P.RESERVED: _l("on its way"), P.SETTLED: _l("paid out"), P.VOIDED: _l("failed, back in available"),
    P.RETURNED: _l("returned, back in available"),
}

#: Where money sits, as a statement's "moved" column shows it ("platform" is the commission expense).
STAGE_LABELS = {
    "platform": _l("platform"), "pending": _l("pending"), "held": _l("held"), "available": _l("available"),
    "in_payout": _l("in payout"), "paid": _l("paid"), "receivable": _l("owed"),
}

#: A payout's status as operators read it in errors ("A settled payout cannot come back.").
PAYOUT_STATE_NAMES = {
    P.RESERVED: _l("reserved"), P.SETTLED: _l("settled"), P.VOIDED: _l("voided"), P.RETURNED: _l("returned"),
}
