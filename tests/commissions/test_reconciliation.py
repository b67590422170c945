"""Reconciliation: a clean month reconciles; every planted discrepancy is reported and the command exits non-zero."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from commissions import payout_runs, services
from commissions.models import PayoutMethod
from storefront.payments.models import ConnectedAccount, Payment
from storefront.payments.providers import EventKind, active_provider
from tests.commissions.conftest import commissions_of

pytestmark = pytest.mark.usefixtures("request_context")
MONTH = ["commissions", "reconcile", "--from", "2026-11-01", "--to", "2026-12-31"]


@pytest.fixture
def month(create_shop: Any, create_product: Any, sell: Any, refund: Any, frozen_clock: Any, database: Any) -> dict[str, Any]:
    """A normal month: two curator sales, a direct sale, a partial refund, maturity and a transfer payout."""
    tee, cap = create_product(price_minor=100_000, stock=50), create_product(price_minor=3_333, stock=50)
    shop = create_shop(tee, cap)
    first = sell(shop, (tee, 1), (cap, 2))
    direct = sell(None, (cap, 1))
    refund(first, 1_000)
    frozen_clock.advance(days=31)
    services.mature_due()
    database.session.add(ConnectedAccount(user_id=shop.user_id, provider="test", reference="tacct_rec", payouts_enabled=True))
    database.session.commit()
    report = payout_runs.start_run(PayoutMethod.STRIPE, currency="USD", minimum_minor=100, provider=active_provider(),
                                   started_by_user_id=None)
    assert report.settled
    return {"shop": shop, "order": first, "direct": direct}


def reconcile(app: Any) -> Any:
    """As from cron: a fresh look at the rows (what a test changed behind the app's back included)."""
    from storefront.extensions import db

    db.session.expire_all()
    return app.test_cli_runner().invoke(args=MONTH)


def test_a_clean_month_reconciles_with_totals_that_tie_out(app: Any, month: dict[str, Any]) -> None:
    result = reconcile(app)
    assert result.exit_code == 0, result.output
    assert "everything reconciles" in result.output and "provider records: compared" in result.output
    # 1,000.00 + 2 × 33.33 through the curator, 33.33 + 5.00 shipping direct; 10.00 refunded.
    assert "gross sales $1,104.99  refunds $10.00  net $1,094.99" in result.output
    # 5% of 1,000.00 and of 66.66 (rounded down), 0.50 reversed by the refund, the rest paid out.
    assert "commission earned $53.33  reversed $0.50  paid $52.83" in result.output


def test_orders_are_read_in_chunks_with_the_same_result(app: Any, month: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids go to the database in chunks (PostgreSQL takes at most 65,535 parameters in one statement)."""
    from commissions import reconciliation

    whole = reconcile(app).output
    monkeypatch.setattr(reconciliation, "ID_CHUNK", 1)
    assert reconcile(app).output == whole


def test_a_commission_edited_behind_the_apps_back_is_reported(app: Any, month: dict[str, Any], database: Any) -> None:
    commission = commissions_of(month["order"])[0]
    database.session.execute(text("UPDATE commissions SET earned_minor = earned_minor + 1 WHERE id = :id"), {"id": commission.id})
    result = reconcile(app)
    assert result.exit_code == 1 and "[commission amount is not rate × net paid]" in result.output


def test_a_lost_payment_webhook_is_reported(app: Any, month: dict[str, Any], place_order: Any, database: Any) -> None:
    from storefront.payments.services import start_payment

    order = place_order()
    payment, _url = start_payment(order, active_provider())
    active_provider().build_event(EventKind.PAYMENT_SUCCEEDED, {  # type: ignore[attr-defined]
        "order_number": order.number, "payment_reference": payment.reference, "amount_minor": order.total_minor, "currency": "USD",
    })
    database.session.commit()
    result = reconcile(app)
    assert result.exit_code == 1 and f"[payment at the provider missing here] payment {payment.reference}" in result.output


def test_a_provider_amount_that_differs_is_reported(app: Any, month: dict[str, Any], database: Any) -> None:
    database.session.execute(text("UPDATE payments SET amount_minor = amount_minor - 1 WHERE order_id = :id"), {"id": month["order"].id})
    result = reconcile(app)
    assert result.exit_code == 1 and "[payment amount differs from the provider's]" in result.output


def test_a_refund_not_reversed_is_reported(app: Any, month: dict[str, Any], database: Any) -> None:
    commission = commissions_of(month["order"])[0]
    database.session.execute(text("UPDATE commissions SET refunded_base_minor = 0 WHERE id = :id"), {"id": commission.id})
    result = reconcile(app)
    assert result.exit_code == 1 and "[refund not reversed]" in result.output


def test_a_paid_attributed_order_without_commission_is_reported(app: Any, month: dict[str, Any], database: Any) -> None:
    database.session.execute(text("UPDATE order_lines SET shop_id = :shop WHERE order_id = :order"),
                             {"shop": month["shop"].id, "order": month["direct"].id})
    result = reconcile(app)
    assert result.exit_code == 1 and "[paid attributed order without commission]" in result.output


def test_a_commission_without_a_paid_order_is_reported(app: Any, month: dict[str, Any], database: Any) -> None:
    database.session.execute(text("UPDATE orders SET status = 'canceled' WHERE id = :id"), {"id": month["order"].id})
    result = reconcile(app)
    assert result.exit_code == 1 and "[commission without a paid order]" in result.output


def test_a_payout_whose_transfer_is_unknown_is_reported(app: Any, month: dict[str, Any], database: Any) -> None:
    database.session.execute(text("UPDATE payouts SET provider_reference = 'ttr_nowhere'"))
    result = reconcile(app)
    assert result.exit_code == 1 and "[payout without a matching transfer]" in result.output
    assert "[transfer without a matching payout]" in result.output


def test_bad_dates_are_refused_with_a_message(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["commissions", "reconcile", "--from", "November", "--to", "2026-11-30"])
    assert result.exit_code == 2 and "a date like 2026-11-01" in result.output


def test_the_payment_rows_of_a_clean_month_are_untouched_by_reconciling(app: Any, month: dict[str, Any], database: Any) -> None:
    before = [(p.id, p.amount_minor, p.status) for p in database.session.query(Payment).order_by(Payment.id)]
    reconcile(app)
    assert [(p.id, p.amount_minor, p.status) for p in database.session.query(Payment).order_by(Payment.id)] == before


def test_a_date_out_of_range_is_refused_with_a_message(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["commissions", "reconcile", "--from", "2026-11-01", "--to", "9999-12-31"])
    assert result.exit_code == 2 and "between 2000 and 2999" in result.output


def test_a_payout_whose_amount_was_changed_disagrees_with_the_ledger_and_its_transfer(app: Any, month: dict[str, Any], database: Any) -> None:
    database.session.execute(text("UPDATE payouts SET amount_minor = amount_minor + 1"))
    result = reconcile(app)
    assert result.exit_code == 1 and "[transfer amount differs from its payout]" in result.output


def test_a_reserved_payout_with_no_money_in_payout_is_reported(app: Any, month: dict[str, Any], database: Any) -> None:
    database.session.execute(text("UPDATE payouts SET status = 'reserved'"))
    result = reconcile(app)
    assert result.exit_code == 1 and "[payouts and the ledger disagree] in_payout" in result.output
