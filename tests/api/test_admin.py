"""Operator endpoints: an order's attribution chain, refunds, commission decisions, payout runs and reconciliation."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from share.models import Channel, LinkTarget
from share.services import get_or_create_link
from storefront.audit.models import AuditEntry
from storefront.orders.models import Order
from tests.api.conftest import Api
from tests.commissions import conftest as commission_fixtures
from tests.conftest import Browser
from tests.share.conftest import follow

#: Place and pay an order whose lines credit a shop (the commission tests' fixture).
sell = commission_fixtures.sell

OPERATOR_ENDPOINTS = [
    ("GET", "/admin/orders/V23456789"),
    ("POST", "/admin/orders/V23456789/refunds"),
    ("GET", "/admin/commissions"),
    ("POST", "/admin/commissions/1/hold"),
    ("POST", "/admin/commissions/1/release"),
    ("POST", "/admin/commissions/1/reject"),
    ("POST", "/admin/commissions/mature"),
    ("POST", "/admin/payouts/runs"),
    ("GET", "/admin/payouts/runs/1"),
    ("POST", "/admin/payouts/runs/1/mark-paid"),
    ("GET", "/admin/reconciliation"),
]


@pytest.fixture
def paid_sale(create_shop: Any, create_product: Any, sell: Any) -> Order:
    """A paid order of two units of one product (30.00 each) and one of another (20.00), through @ana's page."""
    tee, cap = create_product(price_minor=3000), create_product(price_minor=2000)
    return sell(create_shop(tee, cap, handle="ana"), (tee, 2), (cap, 1))


@pytest.fixture
def matured_sale(app: Any, create_shop: Any, create_product: Any, sell: Any, frozen_clock: Any, operator_api: Api) -> Order:
    """A 2,000.00 sale through @ana whose 100.00 commission is past its hold period and available."""
    product = create_product(price_minor=200_000, stock=5)
    order = sell(create_shop(product, handle="ana"), (product, 1))
    frozen_clock.advance(days=31)
    assert operator_api.post("/admin/commissions/mature").get_json()["matured"] == 1
    return order


def first_commission_id(operator_api: Api) -> int:
    return operator_api.get("/admin/commissions").get_json()["items"][0]["id"]


# Access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), OPERATOR_ENDPOINTS)
def test_admin_endpoints_without_a_token_are_a_401(api: Api, method: str, path: str) -> None:
    response = api.call(method, path, {"reason": "x"} if method == "POST" else None)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("method", "path"), OPERATOR_ENDPOINTS)
def test_admin_endpoints_refuse_a_curator_with_a_403(curator_api: Api, method: str, path: str) -> None:
    response = curator_api.call(method, path, {"reason": "x"} if method == "POST" else None)
    assert response.status_code == 403 and "operators" in response.get_json()["detail"]


def test_admin_a_cookie_session_must_have_confirmed_its_password_recently_to_move_money(
    app: Any, create_user: Any, paid_sale: Order, frozen_clock: Any,
) -> None:
    from storefront.accounts.models import Role

    create_user(email="console@example.com", role=Role.OPERATOR)
    console = Browser(app.test_client())
    console.log_in("console@example.com")
    frozen_clock.advance(minutes=16)
    response = console.client.post(f"/api/v1/admin/orders/{paid_sale.number}/refunds", json={"amount_minor": 100, "reason": "late"},
                                   headers={"X-CSRFToken": console.csrf_token()})
    assert response.status_code == 403 and "confirm your password" in response.get_json()["detail"]


def test_admin_a_cookie_session_that_just_typed_its_password_may_move_money(app: Any, create_user: Any, paid_sale: Order) -> None:
    from storefront.accounts.models import Role

    create_user(email="console@example.com", role=Role.OPERATOR)
    console = Browser(app.test_client())
    console.log_in("console@example.com")
    response = console.client.post(f"/api/v1/admin/orders/{paid_sale.number}/refunds", json={"amount_minor": 100, "reason": "late"},
                                   headers={"X-CSRFToken": console.csrf_token()})
    assert response.status_code == 202


def test_admin_a_bearer_token_moves_money_without_a_password_confirmation(operator_api: Api, paid_sale: Order, frozen_clock: Any) -> None:
    frozen_clock.advance(days=2)
    response = operator_api.post(f"/admin/orders/{paid_sale.number}/refunds", {"amount_minor": 100, "reason": "late"})
    assert response.status_code == 202


# Orders ----------------------------------------------------------------------------------------


def test_admin_order_shows_the_attribution_chain_from_the_click(
    create_shop: Any, create_product: Any, browser: Browser, operator_api: Api, database: Any,
) -> None:
    product = create_product(price_minor=4000)
    shop = create_shop(product, handle="ana")
    link = get_or_create_link(shop, LinkTarget.SHOP, 0, Channel.WHATSAPP)
    database.session.commit()
    follow(browser, link.code)
    browser.add_to_cart(product.id)
    browser.pay(browser.check_out().headers["Location"])
    number = database.session.scalars(select(Order.number).order_by(Order.id.desc())).first()

    body = operator_api.get(f"/admin/orders/{number}").get_json()

    attribution = body["attribution"]
    assert (attribution["shop"]["handle"], attribution["rule"], attribution["self_referral"]) == ("ana", "last_click", "none")
    assert (attribution["click"]["link_code"], attribution["click"]["channel"]) == (link.code, "whatsapp")
    assert f"/s/{link.code}" in attribution["explanation"] and attribution["click"]["clicked_at"].startswith("2026-11-22T12:00")
    assert body["status"] == "paid" and [line["title"] for line in body["lines"]] == [product.title]
    assert [(c["status"], c["shop_id"], c["earned_minor"]) for c in body["commissions"]] == [("pending", shop.id, 200)]
    assert body["refunds"] == [] and body["payouts"] == []


def test_admin_order_of_a_direct_sale_has_no_click(place_order: Any, operator_api: Api) -> None:
    order = place_order()
    body = operator_api.get(f"/admin/orders/{order.number}").get_json()
    assert body["attribution"] is None and body["status"] == "pending" and body["commissions"] == []


def test_admin_order_lists_the_payout_that_paid_its_commission(matured_sale: Order, operator_api: Api) -> None:
    run = operator_api.post("/admin/payouts/runs", {"method": "manual"}).get_json()
    operator_api.post(f"/admin/payouts/runs/{run['id']}/mark-paid")

    body = operator_api.get(f"/admin/orders/{matured_sale.number}").get_json()

    payout = run["payouts"][0]
    assert [(p["id"], p["reference"], p["status"]) for p in body["payouts"]] == [(payout["id"], payout["reference"], "settled")]
    assert [(c["status"], c["payout_id"]) for c in body["commissions"]] == [("paid", payout["id"])]


@pytest.mark.parametrize("number", ["V00000000", "nope", "X" * 21])
def test_admin_an_unknown_order_is_a_404(operator_api: Api, number: str) -> None:
    response = operator_api.get(f"/admin/orders/{number}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


# Refunds ---------------------------------------------------------------------------------------


def test_admin_refunding_an_amount_is_sent_to_the_provider_and_audited(paid_sale: Order, operator_api: Api, database: Any) -> None:
    response = operator_api.post(f"/admin/orders/{paid_sale.number}/refunds",
                                 {"amount_minor": 1000, "reason": "scratched", "idempotency_key": "retry-key-0000000001"})

    assert response.status_code == 202
    sent = response.get_json()
    assert (sent["amount_minor"], sent["lines"], sent["provider"], sent["idempotency_key"]) == (1000, [], "test", "retry-key-0000000001")
    detail = operator_api.get(f"/admin/orders/{paid_sale.number}").get_json()
    assert detail["refunded_minor"] == 1000 and detail["status"] == "partially_refunded"
    assert [(r["reference"], r["amount_minor"]) for r in detail["refunds"]] == [(sent["refund_reference"], 1000)]
    entry = database.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.refund")).one()
    assert (entry.subject_id, entry.reason, entry.details["amount_minor"]) == (paid_sale.id, "scratched", 1000)


def test_admin_refunding_lines_turns_quantities_into_amounts(paid_sale: Order, operator_api: Api) -> None:
    tee = paid_sale.lines[0]

    sent = operator_api.post(f"/admin/orders/{paid_sale.number}/refunds",
                             {"lines": [{"line_id": tee.id, "quantity": 1}], "reason": "one was torn"}).get_json()

    assert sent["lines"] == [{"line_id": tee.id, "quantity": 1, "amount_minor": 3000}] and sent["amount_minor"] == 3000
    line = operator_api.get(f"/admin/orders/{paid_sale.number}").get_json()["lines"][0]
    assert (line["refunded_minor"], line["refundable_minor"]) == (3000, 3000)


def test_admin_a_line_refund_is_capped_at_what_is_left_on_the_line(paid_sale: Order, operator_api: Api) -> None:
    tee = paid_sale.lines[0]
    operator_api.post(f"/admin/orders/{paid_sale.number}/refunds", {"lines": [{"line_id": tee.id, "quantity": 1}], "reason": "torn"})

    sent = operator_api.post(f"/admin/orders/{paid_sale.number}/refunds",
                             {"lines": [{"line_id": tee.id, "quantity": 2}], "reason": "the other one too"}).get_json()

    assert sent["lines"][0]["amount_minor"] == 3000


def test_admin_a_generated_idempotency_key_is_returned(paid_sale: Order, operator_api: Api) -> None:
    sent = operator_api.post(f"/admin/orders/{paid_sale.number}/refunds", {"amount_minor": 100, "reason": "goodwill"}).get_json()
    assert len(sent["idempotency_key"]) == 32


@pytest.mark.parametrize(("body", "words"), [
    ({"amount_minor": 999_999, "reason": "too much"}, "Refund between"),
    ({"lines": [{"line_id": 2_000_000, "quantity": 1}], "reason": "not ours"}, "not a line of this order"),
    ({"lines": "QUANTITY_TOO_MANY", "reason": "three of two"}, "has 2 units"),
])
def test_admin_a_bad_refund_is_a_422_that_says_why(paid_sale: Order, operator_api: Api, body: dict[str, Any], words: str) -> None:
    if body.get("lines") == "QUANTITY_TOO_MANY":
        body = {**body, "lines": [{"line_id": paid_sale.lines[0].id, "quantity": 3}]}
    response = operator_api.post(f"/admin/orders/{paid_sale.number}/refunds", body)
    assert response.status_code == 422 and words in response.get_json()["detail"]


def test_admin_a_line_refunded_in_full_cannot_be_refunded_again(paid_sale: Order, operator_api: Api) -> None:
    cap = paid_sale.lines[1]
    operator_api.post(f"/admin/orders/{paid_sale.number}/refunds", {"lines": [{"line_id": cap.id, "quantity": 1}], "reason": "lost"})
    response = operator_api.post(f"/admin/orders/{paid_sale.number}/refunds",
                                 {"lines": [{"line_id": cap.id, "quantity": 1}], "reason": "again"})
    assert response.status_code == 422 and "already refunded in full" in response.get_json()["detail"]


@pytest.mark.parametrize("body", [
    {"reason": "neither"},
    {"amount_minor": 100, "lines": [{"line_id": 1, "quantity": 1}], "reason": "both"},
    {"lines": [{"line_id": 1, "quantity": 1}, {"line_id": 1, "quantity": 1}], "reason": "twice"},
    {"amount_minor": 100, "reason": "   "},
    {"amount_minor": 0, "reason": "zero"},
    {"amount_minor": 100, "reason": "short key", "idempotency_key": "abc"},
])
def test_admin_a_malformed_refund_request_is_a_422(paid_sale: Order, operator_api: Api, body: dict[str, Any]) -> None:
    assert operator_api.post(f"/admin/orders/{paid_sale.number}/refunds", body).status_code == 422


def test_admin_an_unpaid_order_cannot_be_refunded(place_order: Any, operator_api: Api) -> None:
    response = operator_api.post(f"/admin/orders/{place_order().number}/refunds", {"amount_minor": 100, "reason": "why"})
    assert response.status_code == 409 and "no successful payment" in response.get_json()["detail"]


def test_admin_refunding_an_unknown_order_is_a_404(operator_api: Api) -> None:
    assert operator_api.post("/admin/orders/V00000000/refunds", {"amount_minor": 100, "reason": "why"}).status_code == 404


# Commissions -----------------------------------------------------------------------------------


def test_admin_commissions_are_listed_by_status_and_shop(
    create_shop: Any, create_product: Any, create_user: Any, sell: Any, operator_api: Api,
) -> None:
    product = create_product()
    ana, bia = create_shop(product, handle="ana"), create_shop(product, handle="bia", user=create_user(email="bia@example.com"))
    sell(ana, (product, 1))
    sell(bia, (product, 1))

    items = operator_api.get("/admin/commissions?shop=@BIA&status=pending").get_json()["items"]

    assert [(c["shop_handle"], c["status"], c["curator_email"]) for c in items] == [("bia", "pending", "bia@example.com")]
    assert operator_api.get("/admin/commissions?status=held").get_json() == {"items": [], "next_cursor": None}


def test_admin_commissions_come_a_page_at_a_time(create_shop: Any, create_product: Any, sell: Any, operator_api: Api) -> None:
    product = create_product(stock=10)
    shop = create_shop(product)
    for _ in range(3):
        sell(shop, (product, 1))

    first = operator_api.get("/admin/commissions?limit=2").get_json()
    second = operator_api.get(f"/admin/commissions?limit=2&cursor={first['next_cursor']}").get_json()

    ids = [c["id"] for c in first["items"] + second["items"]]
    assert len(ids) == 3 and ids == sorted(ids) and second["next_cursor"] is None


@pytest.mark.parametrize("query", ["cursor=not-ours", "limit=0", "limit=101", "status=lost"])
def test_admin_bad_commission_list_parameters_are_a_400(operator_api: Api, query: str) -> None:
    assert operator_api.get(f"/admin/commissions?{query}").status_code == 400


def test_admin_a_commission_is_held_then_released(paid_sale: Order, operator_api: Api) -> None:
    commission_id = first_commission_id(operator_api)

    held = operator_api.post(f"/admin/commissions/{commission_id}/hold", {"reason": "fraud review"})
    released = operator_api.post(f"/admin/commissions/{commission_id}/release", {"reason": ""})

    assert (held.status_code, held.get_json()["status"], held.get_json()["status_reason"]) == (200, "held", "fraud review")
    assert released.get_json()["status"] == "pending"


def test_admin_rejecting_a_pending_commission_is_a_409(paid_sale: Order, operator_api: Api) -> None:
    response = operator_api.post(f"/admin/commissions/{first_commission_id(operator_api)}/reject", {"reason": "self-purchase"})
    assert response.status_code == 409 and response.get_json()["detail"] == "Hold a commission before rejecting it."


def test_admin_a_held_commission_is_rejected_for_good(paid_sale: Order, operator_api: Api) -> None:
    commission_id = first_commission_id(operator_api)
    operator_api.post(f"/admin/commissions/{commission_id}/hold", {"reason": "fraud review"})

    rejected = operator_api.post(f"/admin/commissions/{commission_id}/reject", {"reason": "self-purchase"}).get_json()

    assert (rejected["status"], rejected["net_minor"]) == ("rejected", 0)


def test_admin_a_hold_needs_a_reason(paid_sale: Order, operator_api: Api) -> None:
    response = operator_api.post(f"/admin/commissions/{first_commission_id(operator_api)}/hold", {"reason": " "})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "reason"


@pytest.mark.parametrize("commission_id", [999_999, 2**31, 10**30])
def test_admin_deciding_an_unknown_commission_is_a_404(operator_api: Api, commission_id: int) -> None:
    assert operator_api.post(f"/admin/commissions/{commission_id}/hold", {"reason": "x"}).status_code == 404


def test_admin_maturing_makes_commissions_past_their_hold_available(paid_sale: Order, operator_api: Api, frozen_clock: Any) -> None:
    assert operator_api.post("/admin/commissions/mature").get_json() == {"matured": 0, "failed": []}
    frozen_clock.advance(days=31)
    assert operator_api.post("/admin/commissions/mature").get_json() == {"matured": 2, "failed": []}
    assert {c["status"] for c in operator_api.get("/admin/commissions").get_json()["items"]} == {"available"}


# Payouts ---------------------------------------------------------------------------------------


def test_admin_a_manual_payout_run_reserves_then_is_marked_paid(matured_sale: Order, operator_api: Api, database: Any) -> None:
    started = operator_api.post("/admin/payouts/runs", {"method": "manual"})

    assert started.status_code == 201
    run = started.get_json()
    payout = run["payouts"][0]
    assert (run["method"], len(run["payouts"]), run["skipped"]) == ("manual", 1, [])
    assert (payout["curator"]["handle"], payout["amount_minor"], payout["currency"], payout["status"]) == ("ana", 10_000, "USD", "reserved")
    assert payout["curator"]["email"].startswith("curator")

    paid = operator_api.post(f"/admin/payouts/runs/{run['id']}/mark-paid")

    assert paid.status_code == 200 and paid.get_json()["settled"] == 1
    assert [p["status"] for p in operator_api.get(f"/admin/payouts/runs/{run['id']}").get_json()["payouts"]] == ["settled"]


def test_admin_a_run_with_nobody_due_has_no_payouts(operator_api: Api) -> None:
    run = operator_api.post("/admin/payouts/runs", {"method": "manual"}).get_json()
    assert run["payouts"] == [] and operator_api.get(f"/admin/payouts/runs/{run['id']}").get_json()["id"] == run["id"]


def test_admin_a_stripe_run_cannot_be_marked_paid_by_hand(operator_api: Api) -> None:
    run = operator_api.post("/admin/payouts/runs", {"method": "stripe"}).get_json()
    response = operator_api.post(f"/admin/payouts/runs/{run['id']}/mark-paid")
    assert response.status_code == 409 and "manual" in response.get_json()["detail"]


def test_admin_an_unknown_payment_method_is_a_422(operator_api: Api) -> None:
    assert operator_api.post("/admin/payouts/runs", {"method": "cheque"}).status_code == 422


@pytest.mark.parametrize("path", ["/admin/payouts/runs/999999", "/admin/payouts/runs/99999999999999999999"])
def test_admin_an_unknown_payout_run_is_a_404(operator_api: Api, path: str) -> None:
    assert operator_api.get(path).status_code == 404
    assert operator_api.post(f"{path}/mark-paid").status_code == 404


# Reconciliation --------------------------------------------------------------------------------


def test_admin_reconciliation_gives_the_totals_and_discrepancies(paid_sale: Order, operator_api: Api) -> None:
    response = operator_api.get("/admin/reconciliation?from=2026-11-01&to=2026-11-30")

    assert response.status_code == 200
    body = response.get_json()
    assert (body["first_day"], body["last_day"], body["currency"]) == ("2026-11-01", "2026-11-30", "USD")
    assert body["totals"]["gross_sales_minor"] == paid_sale.total_minor and body["totals"]["commission_earned_minor"] == 400
    assert body["discrepancies"] == [] and body["reconciles"] is True


def test_admin_reconciliation_defaults_to_this_month_so_far(operator_api: Api) -> None:
    body = operator_api.get("/admin/reconciliation").get_json()
    assert (body["first_day"], body["last_day"]) == ("2026-11-01", "2026-11-22")


@pytest.mark.parametrize("query", ["from=2026-02-30", "from=yesterday", "to=1999-12-31", "from=2026-11-10&to=2026-11-01"])
def test_admin_a_bad_reconciliation_period_is_a_400(operator_api: Api, query: str) -> None:
    response = operator_api.get(f"/admin/reconciliation?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
