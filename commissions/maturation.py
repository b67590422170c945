"""Maturing every due commission, curator by curator, committing after each (the command and the admin API call this).

Like payout_runs, this commits by design: each curator's lock is held for one short
transaction, and one curator's bad commission stops nobody else's.
"""
from __future__ import annotations

from commissions import services
from storefront.extensions import db


def run_maturation() -> services.Maturation:
    """Each curator in its own short transaction: one curator's lock at a time, one bad commission stops nothing."""
    total = services.Maturation()
    for user_id, currency in services.curators_with_due_commissions():
        one = services.mature_for_curator(user_id, currency)
        db.session.commit()
        total.matured += one.matured
        total.failed.update(one.failed)
    return total
