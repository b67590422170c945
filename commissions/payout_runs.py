"""A payout run, phase by phase, committing after each: reserve every due curator, then pay each through the provider.

This module commits by design (the command and the console button call it): a reserve must be
durable before money is asked of the provider, and each payout's outcome is its own
transaction. A crash between the phases leaves payouts reserved; `recover` finishes them after
looking the provider's transfer up, so nothing is paid twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _

from commissions import payouts
from commissions.models import Payout, PayoutMethod, PayoutRun, PayoutStatus
from storefront import clock
from storefront.audit.services import record_audit
from storefront.extensions import db
from storefront.payments.models import ConnectedAccount
from storefront.payments.providers import PaymentProvider, ProviderError, ProviderRefused
from storefront.payments.services import find_connected_account

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    run: PayoutRun
    reserved: list[Payout] = field(default_factory=list)
    settled: list[Payout] = field(default_factory=list)
    voided: list[Payout] = field(default_factory=list)
    #: The provider did not say either way: left reserved for `flask payouts recover`.
    unknown: list[Payout] = field(default_factory=list)
    #: Curator user id → why they were left out.
    skipped: dict[int, str] = field(default_factory=dict)


def _stripe_destination(user_id: int, provider: PaymentProvider) -> ConnectedAccount | None:
    account = find_connected_account(user_id, provider.name)
    return account if account is not None and account.payouts_enabled else None


def start_run(method: PayoutMethod, *, currency: str, minimum_minor: int, provider: PaymentProvider,
              started_by_user_id: int | None) -> RunReport:
    if method is PayoutMethod.STRIPE and not hasattr(provider, "create_transfer"):
        raise payouts.PayoutError(_("The %(provider)s payment provider cannot send transfers; use the manual method.",
                                    provider=provider.name))
    run = PayoutRun(method=method, currency=currency, started_by_user_id=started_by_user_id)
    db.session.add(run)
    db.session.flush()
    record_audit(actor_user_id=started_by_user_id, action="payouts.run", subject_type="payout_run", subject_id=run.id,
                 details={"method": method.value, "minimum_minor": minimum_minor})
    db.session.commit()
    report = RunReport(run)
    for user_id in payouts.curators_with_available(currency, minimum_minor):
        destination = ""
        if method is PayoutMethod.STRIPE:
            account = _stripe_destination(user_id, provider)
            if account is None:
                report.skipped[user_id] = _("no payout account with payouts enabled")
                continue
            destination = account.reference
        reservation = payouts.reserve(run, user_id, minimum_minor=minimum_minor, destination=destination)
        db.session.commit()
        if reservation.payout is None:
            report.skipped[user_id] = reservation.skipped
        else:
            report.reserved.append(reservation.payout)
    if method is PayoutMethod.STRIPE:
        for payout in report.reserved:
            _send(payout, provider, report)
    return report


def _send(payout: Payout, provider: PaymentProvider, report: RunReport) -> None:
    """Ask for the transfer (the key is the payout's own, so a retry never pays twice), then settle or void.

    Only a definite refusal voids the payout; when the outcome is unknown (a timeout, an outage,
    a failed lookup) it stays reserved and `recover` looks again later: voiding then could pay twice.
    """
    transfer_api: Any = provider
    try:
        reference = transfer_api.find_transfer(payout.reference) or transfer_api.create_transfer(
            destination=payout.destination, amount_minor=payout.amount_minor, currency=payout.currency,
            idempotency_key=f"vitrine-payout-{payout.id}", group=payout.reference,
        )
    except ProviderRefused as error:
        db.session.rollback()
        payouts.void(payout, str(error))
        db.session.commit()
        report.voided.append(payout)
        log.warning("payout %s voided: %s", payout.reference, error)
        return
    except ProviderError as error:
        db.session.rollback()
        report.unknown.append(payout)
        log.warning("payout %s left reserved, outcome unknown: %s", payout.reference, error)
        return
    try:
        payouts.settle(payout, reference)
    except payouts.PayoutError as error:
        db.session.rollback()
        report.unknown.append(payout)
        log.error("payout %s: transfer %s exists but the payout could not settle: %s", payout.reference, reference, error)
        return
    db.session.commit()
    report.settled.append(payout)


#: A reserved payout younger than this may still be in the hands of the run that reserved it.
RECOVERY_AGE = timedelta(minutes=10)


def recover(provider: PaymentProvider) -> RunReport:
    """Finish Stripe payouts left reserved (a crash, a timeout): look the transfer up first, then retry with the same key."""
    report = RunReport(run=PayoutRun(method=PayoutMethod.STRIPE, currency=""))
    for payout in payouts.stuck_payouts(PayoutMethod.STRIPE, reserved_before=clock.now() - RECOVERY_AGE):
        _send(payout, provider, report)
    record_audit(actor_user_id=None, action="payouts.recover", subject_type="payout_run", subject_id=0,
                 details={"settled": len(report.settled), "voided": len(report.voided), "unknown": len(report.unknown)})
    db.session.commit()
    return report


def mark_manual_run_paid(run: PayoutRun, *, actor_user_id: int | None) -> int:
    """The bank file was paid: every payout of the run still reserved settles under its own reference."""
    if run.method != PayoutMethod.MANUAL:
        raise payouts.PayoutError(_("Only a manual file is marked paid by hand; transfers settle themselves."))
    settled = 0
    for payout in list(run.payouts):
        if payout.status == PayoutStatus.RESERVED:
            settled += payouts.settle(payout, payout.reference)
    record_audit(actor_user_id=actor_user_id, action="payouts.paid", subject_type="payout_run", subject_id=run.id,
                 details={"settled": settled})
    db.session.commit()
    return settled


def mark_manual_payout_failed(payout: Payout, reason: str, *, actor_user_id: int | None) -> None:
    if payout.method != PayoutMethod.MANUAL:
        raise payouts.PayoutError(_("A transfer payout fails only when the provider says so; use `flask payouts recover`."))
    payouts.void(payout, reason or "the bank refused it")
    record_audit(actor_user_id=actor_user_id, action="payouts.failed", subject_type="payout", subject_id=payout.id, reason=reason)
    db.session.commit()
