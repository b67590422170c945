"""The payout console and the curators' payouts, through the pages (no request context held: each request has its own)."""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from commissions import payout_runs, services
from commissions.models import PayoutMethod
from storefront.accounts.models import User
from storefront.payments.providers import active_provider
from tests.commissions.conftest import balances
from tests.conftest import Browser

OPERATOR = "op@example.com"


@pytest.fixture
def earned(app: Any, create_shop: Any, create_product: Any, sell: Any, frozen_clock: Any, database: Any) -> Any:
    def earn(price_minor: int) -> Any:
        product = create_product(price_minor=price_minor, stock=100)
        shop = create_shop(product)
        sell(shop, (product, 1))
        frozen_clock.advance(days=31)
        with app.app_context():  # maturing notifies the curator (its e-mail reads the app's config)
            services.mature_due()
            database.session.commit()
        return shop
    return earn


def run_manual(app: Any) -> payout_runs.RunReport:
    with app.test_request_context():
        return payout_runs.start_run(PayoutMethod.MANUAL, currency="USD", minimum_minor=5000, provider=active_provider(),
                                     started_by_user_id=None)


def test_an_operator_runs_a_manual_file_downloads_it_and_marks_it_paid(earned: Any, operator: Browser) -> None:
    shop = earned(200_000)
    operator.log_in(OPERATOR)  # a month went by: a new session
    run_path = operator.post("/operator/payouts/run", {"method": "manual"}).headers["Location"]
    rows = list(csv.reader(io.StringIO(operator.get(run_path + ".csv").get_data(as_text=True))))
    assert rows[0] == ["curator", "email", "amount", "currency", "reference"] and rows[1][2:4] == ["100.00", "USD"]
    operator.post(run_path + "/paid")
    assert balances(shop.user_id)["paid"] == 10_000
    assert "settled" in operator.get(run_path).get_data(as_text=True)


def test_an_operator_marks_one_line_failed_with_a_reason(app: Any, earned: Any, operator: Browser) -> None:
    shop = earned(200_000)
    operator.log_in(OPERATOR)  # a month went by: a new session
    report = run_manual(app)
    payout_id = report.reserved[0].id
    refused = operator.post(f"/operator/payouts/lines/{payout_id}/failed", {"reason": ""}, follow_redirects=True)
    assert "Say why" in refused.get_data(as_text=True) and balances(shop.user_id)["in_payout"] == 10_000
    operator.post(f"/operator/payouts/lines/{payout_id}/failed", {"reason": "account closed"})
    assert balances(shop.user_id)["available"] == 10_000


def test_a_bad_method_is_refused_with_a_message(operator: Browser) -> None:
    response = operator.post("/operator/payouts/run", {"method": "cash"}, follow_redirects=True)
    assert "Choose how to pay" in response.get_data(as_text=True)


def test_unknown_runs_and_payouts_are_404s(operator: Browser) -> None:
    assert operator.get("/operator/payouts/999999").status_code == 404
    assert operator.post("/operator/payouts/lines/999999/failed", {"reason": "x"}).status_code == 404


def test_a_customer_cannot_reach_any_payout_page_or_action(app: Any, earned: Any, create_user: Any) -> None:
    earned(200_000)
    report = run_manual(app)
    create_user(email="shopper@example.com")
    shopper = Browser(app.test_client())
    shopper.log_in("shopper@example.com")
    run_id, payout_id = report.run.id, report.reserved[0].id
    for path in ("/operator/payouts", f"/operator/payouts/{run_id}", f"/operator/payouts/{run_id}.csv"):
        assert shopper.get(path).status_code == 403, path
    for path in ("/operator/payouts/run", f"/operator/payouts/{run_id}/paid", f"/operator/payouts/lines/{payout_id}/failed"):
        assert shopper.post(path, {"method": "manual", "reason": "x"}).status_code == 403, path


def test_curators_see_their_payouts(app: Any, earned: Any, database: Any) -> None:
    shop = earned(200_000)
    with app.test_request_context():
        payout_runs.mark_manual_run_paid(run_manual(app).run, actor_user_id=None)
    curator = Browser(app.test_client())
    curator.log_in(database.session.get(User, shop.user_id).email)
    page = curator.get("/me/earnings").get_data(as_text=True)
    assert "My payouts" in page and "VTP-" in page and "$100.00" in page


def test_the_reconciliation_page_lists_discrepancies_with_a_csv(app: Any, earned: Any, operator: Browser, database: Any) -> None:
    from sqlalchemy import text

    earned(200_000)
    operator.log_in(OPERATOR)  # a month went by: a new session
    clean = operator.get("/operator/reconciliation?from=2026-11-01&to=2026-12-31").get_data(as_text=True)
    assert "Everything reconciles" in clean and "Gross sales" in clean
    database.session.execute(text("UPDATE commissions SET earned_minor = earned_minor + 7"))
    database.session.commit()
    page = operator.get("/operator/reconciliation?from=2026-11-01&to=2026-12-31").get_data(as_text=True)
    assert "commission amount is not rate × net paid" in page
    csv_text = operator.get("/operator/reconciliation.csv?from=2026-11-01&to=2026-12-31").get_data(as_text=True)
    assert csv_text.startswith("kind,subject,detail") and "commission amount" in csv_text


@pytest.mark.parametrize("query", ["from=nonsense", "from=2026-11-30&to=2026-11-01"])
def test_a_bad_reconciliation_period_is_a_400(operator: Browser, query: str) -> None:
    assert operator.get(f"/operator/reconciliation?{query}").status_code == 400


def test_reconciliation_is_for_operators_only(app: Any, create_user: Any) -> None:
    create_user(email="shopper@example.com")
    shopper = Browser(app.test_client())
    shopper.log_in("shopper@example.com")
    assert shopper.get("/operator/reconciliation").status_code == 403
    assert shopper.get("/operator/reconciliation.csv").status_code == 403


def test_a_curator_reads_the_statement_of_a_payout_and_nobody_else_can(app: Any, earned: Any, database: Any, create_user: Any) -> None:
    shop = earned(200_000)
    with app.test_request_context():
        report = run_manual(app)
        payout_id = report.reserved[0].id
    curator = Browser(app.test_client())
    curator.log_in(database.session.get(User, shop.user_id).email)
    page = curator.get(f"/me/payouts/{payout_id}").get_data(as_text=True)
    assert "What it paid" in page and "$100.00" in page
    create_user(email="other@example.com")
    other = Browser(app.test_client())
    other.log_in("other@example.com")
    assert other.get(f"/me/payouts/{payout_id}").status_code == 404
