"""The curator's earnings page and statement, the rate preview on products, and the operator's commission pages."""
from __future__ import annotations

import csv
import io
import secrets
from typing import Any

import pytest
from sqlalchemy import select

from commissions import rules
from commissions.models import Commission, CommissionStatus, CuratorTier, RateScope
from storefront.audit.models import AuditEntry
from tests.commissions.conftest import commissions_of, signed_in
from tests.conftest import Browser


@pytest.fixture
def curator_sale(app: Any, create_user: Any, create_shop: Any, create_product: Any, sell: Any) -> Any:
    product = create_product(title="=HYPERLINK(\"x\")", price_minor=5000, stock=20)
    shop = create_shop(product, user=create_user(email="ana@example.com"), handle="ana")
    return sell(shop, (product, 2))


@pytest.fixture
def ana(app: Any) -> Browser:
    return signed_in(app, "ana@example.com")


def test_the_earnings_page_shows_the_ledgers_balances_and_each_movement(curator_sale: Any, ana: Browser, refund: Any) -> None:
    refund(curator_sale, 5000)
    page = ana.get("/me/earnings").get_data(as_text=True)
    assert "$2.50" in page  # pending: 5.00 earned, 2.50 reversed by the half refund
    assert "Earned (pending)" in page and "Reversed (refund)" in page and curator_sale.number in page


def test_the_statement_downloads_as_csv_with_formulas_defused(curator_sale: Any, ana: Browser) -> None:
    response = ana.get("/me/earnings.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:5] == ["date", "order", "product", "movement", "amount"]
    assert rows[1][1:5] == [curator_sale.number, "'=HYPERLINK(\"x\")", "Earned (pending)", "5.00"]


def test_someone_elses_earnings_are_not_shown(curator_sale: Any, app: Any, create_user: Any) -> None:
    create_user(email="rui@example.com")
    rui = Browser(app.test_client())
    rui.log_in("rui@example.com")
    page = rui.get("/me/earnings").get_data(as_text=True)
    assert curator_sale.number not in page and "No earnings yet" in page


def test_earnings_need_a_sign_in(browser: Any) -> None:
    assert browser.get("/me/earnings").status_code == 302


def test_a_product_page_tells_a_signed_in_shopper_what_they_would_earn(app: Any, create_user: Any, create_product: Any, database: Any) -> None:
    product = create_product(price_minor=4000)
    rules.set_rate(RateScope.PRODUCT, product.id, 750)
    database.session.commit()
    create_user(email="bia@example.com")
    bia = Browser(app.test_client())
    bia.log_in("bia@example.com")
    page = bia.get(f"/products/{product.slug}").get_data(as_text=True)
    assert "earn 7.5%" in page and "$3.00 a unit" in page and "product rate" in page


def test_a_tier_adds_its_bonus_once_the_curator_sells_enough(curator_sale: Any, create_product: Any, database: Any) -> None:
    database.session.add(CuratorTier(name="Gold", currency="USD", min_sales_minor=10000, bonus_bps=250))
    database.session.commit()
    quote = rules.quote(create_product(), 500, commissions_of(curator_sale)[0].curator_user_id)
    assert (quote.rate_bps, quote.description) == (750, "default rate + Gold tier bonus")
    assert rules.quote(create_product(), 500, None).rate_bps == 500


def test_operator_pages_are_for_operators_only(curator_sale: Any, ana: Browser) -> None:
    assert ana.get("/operator/commissions").status_code == 403
    assert ana.get("/operator/rates").status_code == 403
    assert ana.post(f"/operator/commissions/{commissions_of(curator_sale)[0].id}/hold", {"reason": "x"}).status_code == 403


def test_an_operator_holds_and_rejects_with_reasons_in_the_audit_log(curator_sale: Any, operator: Browser, database: Any) -> None:
    commission = commissions_of(curator_sale)[0]
    assert "@ana" in operator.get("/operator/commissions?status=pending&curator=ana").get_data(as_text=True)
    operator.post(f"/operator/commissions/{commission.id}/hold", {"reason": "fraud review"})
    operator.post(f"/operator/commissions/{commission.id}/reject", {"reason": "bot traffic"})
    assert database.session.get(Commission, commission.id).status == CommissionStatus.REJECTED
    reasons = list(database.session.scalars(select(AuditEntry.reason).where(AuditEntry.subject_type == "commission")))
    assert reasons == ["fraud review", "bot traffic"]


def test_a_reject_without_a_reason_is_refused_with_a_message(curator_sale: Any, operator: Browser, database: Any) -> None:
    commission = commissions_of(curator_sale)[0]
    operator.post(f"/operator/commissions/{commission.id}/hold", {"reason": "fraud review"})
    response = operator.post(f"/operator/commissions/{commission.id}/reject", {"reason": ""}, follow_redirects=True)
    assert "Say why the commission is rejected." in response.get_data(as_text=True)
    assert database.session.get(Commission, commission.id).status == CommissionStatus.HELD


def test_an_unknown_commission_is_a_404(operator: Browser) -> None:
    assert operator.post("/operator/commissions/999999/hold", {"reason": "x"}).status_code == 404


def test_an_operator_sets_a_category_rate_and_a_tier(operator: Browser, create_product: Any, database: Any) -> None:
    product = create_product()
    operator.post(f"/operator/rates/category/{product.category_id}", {"rate": "8.25"})
    operator.post("/operator/tiers", {"name": "Silver", "min_sales": "500.00", "bonus": "1"})
    assert rules.base_rate(product, 500).rate_bps == 825
    page = operator.get("/operator/rates").get_data(as_text=True)
    assert "8.25%" in page and "Silver" in page and "$500.00" in page


@pytest.mark.parametrize("rate", ["abc", "101", "-1", "7.555", "nan", "sNaN", "1e999999", "Infinity", "100.01", "1" * 40])
def test_a_bad_rate_is_refused_with_a_message(operator: Browser, create_product: Any, rate: str) -> None:
    product = create_product()
    response = operator.post("/operator/rates/product", {"sku": product.sku, "rate": rate}, follow_redirects=True)
    assert response.status_code == 200
    assert "percentage" in response.get_data(as_text=True)
    assert rules.base_rate(product, 500).source == "default"


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "Gold", "min_sales": "lots", "bonus": "2"}, "is not an amount"),
    ({"name": "Gold", "min_sales": "100", "bonus": "sNaN"}, "percentage"),
    ({"name": "Gold", "min_sales": "1e999999", "bonus": "2"}, "is not an amount"),
    ({"name": "", "min_sales": "100", "bonus": "2"}, "needs a name"),
    ({"name": "Gold", "min_sales": "0", "bonus": "2"}, "positive amount"),
])
def test_a_bad_tier_is_refused_with_a_message(operator: Browser, form: dict[str, str], message: str) -> None:
    response = operator.post("/operator/tiers", form, follow_redirects=True)
    assert response.status_code == 200 and message in response.get_data(as_text=True)


def test_a_second_tier_with_the_same_threshold_is_refused(operator: Browser) -> None:
    operator.post("/operator/tiers", {"name": "Gold", "min_sales": "100", "bonus": "2"})
    response = operator.post("/operator/tiers", {"name": "Gold again", "min_sales": "100.00", "bonus": "3"}, follow_redirects=True)
    assert "exists already" in response.get_data(as_text=True)


def test_the_operator_order_page_lists_its_commissions(curator_sale: Any, operator: Browser) -> None:
    page = operator.get(f"/operator/orders/{curator_sale.number}").get_data(as_text=True)
    assert "Commissions" in page and "$5.00" in page and "default rate" in page


def test_a_curator_sets_up_payouts_and_the_provider_confirms_it(curator_sale: Any, ana: Browser, database: Any) -> None:
    from storefront.payments.models import ConnectedAccount

    assert "Set up payouts" in ana.get("/me/earnings").get_data(as_text=True)
    started = ana.post("/me/payouts/connect")
    assert started.status_code == 302 and "/pay/test/onboarding/" in started.headers["Location"]
    finished = ana.post(started.headers["Location"], follow_redirects=True)
    assert "Your payout account is set up" in finished.get_data(as_text=True)
    account = database.session.scalar(select(ConnectedAccount))
    assert (account.payouts_enabled, account.details_submitted) == (True, True)


def test_someone_elses_onboarding_link_is_a_404(curator_sale: Any, ana: Browser, app: Any, create_user: Any) -> None:
    link = ana.post("/me/payouts/connect").headers["Location"]
    create_user(email="rui@example.com")
    rui = Browser(app.test_client())
    rui.log_in("rui@example.com")
    assert rui.get(link).status_code == 404


@pytest.mark.parametrize(("form", "refunded"), [
    ({"what": "full"}, 10000),
    ({"what": "amount", "amount": "12.50"}, 1250),
    ({"what": "lines", "line-LINE": "20.00"}, 2000),
])
def test_an_operator_refunds_through_the_provider_with_a_reason(curator_sale: Any, operator: Browser, database: Any, form: dict[str, str], refunded: int) -> None:
    from storefront.orders.models import Order

    line_id = database.session.get(Order, curator_sale.id).lines[0].id
    data = {key.replace("LINE", str(line_id)): value for key, value in form.items()}
    form = {**data, "reason": "customer returned it", "request_token": secrets.token_hex(16)}
    response = operator.post(f"/operator/orders/{curator_sale.number}/refund", form, follow_redirects=True)
    assert "Refund sent to the payment provider" in response.get_data(as_text=True)
    assert database.session.get(Order, curator_sale.id).refunded_minor == refunded
    reasons = list(database.session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "order.refund")))
    assert reasons == ["customer returned it"]


@pytest.mark.parametrize(("form", "message"), [
    ({"what": "amount", "amount": "abc", "reason": "x"}, "is not an amount"),
    ({"what": "amount", "amount": "1000.00", "reason": "x"}, "Refund between"),
    ({"what": "lines", "reason": "x"}, "at least one line"),
    ({"what": "sideways", "reason": "x"}, "Choose what to refund"),
    ({"what": "full", "reason": ""}, "Say why you refund"),
])
def test_a_bad_refund_request_is_refused_with_a_message(curator_sale: Any, operator: Browser, database: Any, form: dict[str, str], message: str) -> None:
    from storefront.orders.models import Order

    response = operator.post(f"/operator/orders/{curator_sale.number}/refund", {**form, "request_token": secrets.token_hex(16)}, follow_redirects=True)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert database.session.get(Order, curator_sale.id).refunded_minor == 0


def test_a_refund_form_without_its_token_is_refused(curator_sale: Any, operator: Browser, database: Any) -> None:
    from storefront.orders.models import Order

    response = operator.post(f"/operator/orders/{curator_sale.number}/refund", {"what": "full", "reason": "x"}, follow_redirects=True)
    assert "out of date" in response.get_data(as_text=True)
    assert database.session.get(Order, curator_sale.id).refunded_minor == 0


def test_refunds_are_for_operators_only(curator_sale: Any, ana: Browser) -> None:
    assert ana.post(f"/operator/orders/{curator_sale.number}/refund", {"what": "full", "reason": "x"}).status_code == 403
