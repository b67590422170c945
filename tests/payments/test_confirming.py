"""Back from the payment provider before its event is applied: a page that waits, not "Pay now" for an order being paid."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storefront.orders.models import Order
from storefront.payments.models import Payment
from storefront.payments.providers import EventKind
from storefront.payments.services import start_payment
from storefront.payments.views import CONFIRMING_RELOAD_SECONDS, CONFIRMING_RELOADS

DECLINED_CARD = "4000 0000 0000 0002"


def check_out(browser: Any, create_product: Any, database: Any) -> tuple[Order, str]:
    """A shopper's order, its payment attempt started at the provider; returns the order and the provider's page."""
    browser.add_to_cart(create_product().id)
    payment_url = browser.check_out().headers["Location"]
    return database.session.scalar(select(Order)), payment_url


def latest_reference(database: Any, order: Order) -> str:
    return database.session.scalar(select(Payment.reference).where(Payment.order_id == order.id).order_by(Payment.id.desc()))


def test_back_before_the_payment_event_the_page_waits_and_reloads(browser: Any, create_product: Any, database: Any) -> None:
    order, _url = check_out(browser, create_product, database)

    response = browser.get(f"/orders/{order.number}/confirming")

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Confirming your payment" in page
    assert f'content="{CONFIRMING_RELOAD_SECONDS};url=/orders/{order.number}/confirming?n=1"' in page
    assert "Pay now" not in page


def test_once_the_order_is_paid_it_goes_to_the_order(browser: Any, create_product: Any, database: Any, provider: Any) -> None:
    order, _url = check_out(browser, create_product, database)
    provider.deliver(EventKind.PAYMENT_SUCCEEDED, {
        "order_number": order.number, "payment_reference": latest_reference(database, order), "amount_minor": order.total_minor, "currency": "USD",
    })
    database.session.commit()

    response = browser.get(f"/orders/{order.number}/confirming?n=3")

    assert response.status_code == 302 and response.headers["Location"] == f"/orders/{order.number}"


def test_a_declined_attempt_goes_to_the_order_to_pay_again(browser: Any, create_product: Any, database: Any) -> None:
    order, payment_url = check_out(browser, create_product, database)
    browser.pay(payment_url, card=DECLINED_CARD)

    response = browser.get(f"/orders/{order.number}/confirming")

    assert response.status_code == 302 and response.headers["Location"] == f"/orders/{order.number}"


def test_after_its_last_reload_it_lets_go_and_says_not_to_pay_again(browser: Any, create_product: Any, database: Any) -> None:
    order, _url = check_out(browser, create_product, database)

    response = browser.get(f"/orders/{order.number}/confirming?n={CONFIRMING_RELOADS}")

    assert response.status_code == 302 and response.headers["Location"] == f"/orders/{order.number}"
    assert "please do not pay again" in browser.get(f"/orders/{order.number}").get_data(as_text=True)


def test_it_waits_for_the_attempt_the_provider_names(browser: Any, create_product: Any, database: Any) -> None:
    order, payment_url = check_out(browser, create_product, database)
    browser.pay(payment_url, card=DECLINED_CARD)
    declined = latest_reference(database, order)
    browser.post(f"/orders/{order.number}/pay")  # a second attempt, still open
    still_open = latest_reference(database, order)

    back_from_declined = browser.get(f"/orders/{order.number}/confirming?attempt={declined}")
    back_from_open = browser.get(f"/orders/{order.number}/confirming?attempt={still_open}")

    assert back_from_declined.status_code == 302
    assert back_from_open.status_code == 200 and f"n=1&amp;attempt={still_open}" in back_from_open.get_data(as_text=True)


def test_an_attempt_of_another_order_is_not_followed(browser: Any, create_product: Any, database: Any, place_order: Any,
                                                     provider: Any) -> None:
    order, _url = check_out(browser, create_product, database)
    other = place_order()
    other_payment, _other_url = start_payment(other, provider)
    database.session.commit()

    response = browser.get(f"/orders/{order.number}/confirming?attempt={other_payment.reference}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f'url=/orders/{order.number}/confirming?n=1">' in page


def test_a_mangled_reload_count_starts_again(browser: Any, create_product: Any, database: Any) -> None:
    order, _url = check_out(browser, create_product, database)
    for mangled in ("-1%20or%201", "%C2%B2", "-5", "9" * 40):
        response = browser.get(f"/orders/{order.number}/confirming?n={mangled}")
        assert response.status_code in (200, 302), mangled
    response = browser.get(f"/orders/{order.number}/confirming?n=%C2%B2")
    assert response.status_code == 200 and "confirming?n=1" in response.get_data(as_text=True)


def test_someone_elses_order_is_not_found(browser: Any, create_product: Any, database: Any, app: Any) -> None:
    order, _url = check_out(browser, create_product, database)
    stranger = app.test_client()
    assert stranger.get(f"/orders/{order.number}/confirming").status_code == 404
