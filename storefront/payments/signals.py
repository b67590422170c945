"""Payment facts other domains act on, inside the same database transaction as the webhook.

Payments sits below commissions in the layers, so it announces and commissions listens.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender=None, order=Order, payment=Payment — the order just became paid.
order_paid = _signals.signal("order-paid")
#: sender=None, order=Order, refund=Refund — a refund of the paying payment was recorded.
order_refunded = _signals.signal("order-refunded")
#: sender=None, order=Order, dispute_reference=str — a chargeback was opened on the order's payment.
dispute_opened = _signals.signal("dispute-opened")
#: sender=None, order=Order, dispute_reference=str, won=bool — the chargeback was decided.
dispute_closed = _signals.signal("dispute-closed")
#: sender=None, transfer_reference=str — the provider took back a transfer (a curator's payout); receivers return what they did.
transfer_reversed = _signals.signal("transfer-reversed")
