"""The operator console: every page and action is for operators only; orders, curators, commissions and the audit log
are searchable, paginated and exportable."""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.commissions.conftest import signed_in
from tests.conftest import Browser


def operator_rules(app: Any) -> list[tuple[str, str]]:
    """(method, concrete URL) for every operator route, with 1 for every id in it."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/operator"):
            continue
        values = {arg: ("manual" if arg == "method" else "hold" if arg == "action" else "V0000000" if arg == "number" else 1)
                  for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


@pytest.fixture
def curator(app: Any, create_user: Any, create_shop: Any) -> Browser:
    create_shop(user=create_user(email="curator@example.com"), handle="cur")
    return signed_in(app, "curator@example.com")


def test_there_are_operator_pages_to_check(app: Any) -> None:
    assert len(operator_rules(app)) >= 25


@pytest.mark.parametrize("who", ["shopper", "curator"])
def test_every_operator_page_and_action_is_403_for_customers_and_curators(app: Any, request: pytest.FixtureRequest, who: str) -> None:
    browser = request.getfixturevalue(who)
    for method, url in operator_rules(app):
        response = browser.get(url) if method == "GET" else browser.post(url, {"reason": "x", "method": "manual"})
        assert response.status_code == 403, (method, url, response.status_code)


def test_operator_links_are_not_shown_to_customers(shopper: Browser) -> None:
    assert "/operator" not in shopper.get("/").get_data(as_text=True)


@pytest.fixture
def orders(app: Any, create_shop: Any, create_product: Any, sell: Any) -> dict[str, Any]:
    product = create_product(price_minor=4000, stock=50)
    shop = create_shop(product, handle="ana")
    return {"through": sell(shop, (product, 1)), "direct": sell(None, (product, 2), pay=False), "shop": shop}


def test_orders_are_found_by_number_email_status_and_shop(operator: Browser, orders: dict[str, Any]) -> None:
    through, direct = orders["through"], orders["direct"]
    assert operator.get(f"/operator/orders?q={through.number}").headers["Location"].endswith(f"/operator/orders/{through.number}")
    by_status = operator.get("/operator/orders?status=pending").get_data(as_text=True)
    assert direct.number in by_status and through.number not in by_status
    by_shop = operator.get("/operator/orders?shop=@ana").get_data(as_text=True)
    assert through.number in by_shop and direct.number not in by_shop
    by_email = operator.get("/operator/orders?q=FRIEND@example.com").get_data(as_text=True)
    assert through.number in by_email and direct.number in by_email
    assert "No order matches" in operator.get("/operator/orders?shop=@nobody").get_data(as_text=True)


def test_orders_export_as_csv(operator: Browser, orders: dict[str, Any]) -> None:
    rows = list(csv.reader(io.StringIO(operator.get("/operator/orders.csv?status=paid").get_data(as_text=True))))
    assert rows[0][:4] == ["number", "created_at", "email", "status"] and [r[0] for r in rows[1:]] == [orders["through"].number]


def test_the_order_page_shows_the_chain_to_its_commission(operator: Browser, orders: dict[str, Any]) -> None:
    page = operator.get(f"/operator/orders/{orders['through'].number}").get_data(as_text=True)
    assert "The chain:" in page and "1 line → 1 commission" in page


def test_curators_show_their_balances_and_export(operator: Browser, orders: dict[str, Any]) -> None:
    page = operator.get("/operator/curators?q=ana").get_data(as_text=True)
    assert "@ana" in page and "$2.00" in page
    rows = list(csv.reader(io.StringIO(operator.get("/operator/curators.csv?q=ana").get_data(as_text=True))))
    assert rows[1][:4] == ["ana", rows[1][1], "published", "2.00"]


def test_commissions_filter_by_date_and_export(operator: Browser, orders: dict[str, Any]) -> None:
    assert "@ana" in operator.get("/operator/commissions?from=2026-11-22&to=2026-11-22").get_data(as_text=True)
    assert "No commission matches" in operator.get("/operator/commissions?from=2026-11-23").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(operator.get("/operator/commissions.csv?status=pending").get_data(as_text=True))))
    assert rows[0][:3] == ["id", "order", "product"] and rows[1][1] == orders["through"].number and rows[1][6] == "2.00"
    assert operator.get("/operator/commissions?from=yesterday").status_code == 400


def test_the_audit_log_pages_and_exports(operator: Browser, orders: dict[str, Any], database: Any) -> None:
    from storefront.audit.services import record_audit

    for n in range(105):
        record_audit(actor_user_id=None, action="test.entry", subject_type="test", subject_id=n, reason=f"=cmd {n}")
    database.session.commit()
    assert "Page 1 of 2" in operator.get("/operator/audit").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(operator.get("/operator/audit.csv").get_data(as_text=True))))
    assert len(rows) == 106 and rows[1][5] == "'=cmd 0"


@pytest.mark.parametrize(("path", "header"), [
    ("/operator/shops.csv", "handle,title,email,status"),
    ("/operator/payments.csv", "received_at,provider,kind,event_id,outcome"),
    ("/operator/payouts.csv", "reference,run,method,curator_user_id,amount"),
    ("/operator/catalog.csv", "sku,title,price,currency"),
    ("/operator/curators.csv", "handle,email,status,pending"),
    ("/operator/orders.csv", "number,created_at,email,status"),
    ("/operator/commissions.csv", "id,order,product,shop"),
    ("/operator/audit.csv", "at,actor_user_id,action"),
])
def test_every_operator_list_exports_as_csv(operator: Browser, orders: dict[str, Any], path: str, header: str) -> None:
    response = operator.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith(header)


def test_the_shops_list_is_paginated(operator: Browser, create_shop: Any) -> None:
    for n in range(51):
        create_shop(handle=f"shop-{n:02d}")
    assert "Page 1 of 2" in operator.get("/operator/shops").get_data(as_text=True)


def test_the_audit_log_says_who_did_what_and_why(operator: Browser, orders: dict[str, Any]) -> None:
    operator.post(f"/operator/shops/{orders['shop'].id}/suspend", {"reason": "fake reviews"})
    page = operator.get("/operator/audit").get_data(as_text=True)
    assert "op@example.com" in page and "fake reviews" in page


@pytest.mark.parametrize("path", [
    "/operator/commissions?to=9999-12-31", "/operator/commissions.csv?from=0001-01-01",
    "/operator/reconciliation?to=9999-12-31", "/operator/reconciliation.csv?from=1999-12-31",
])
def test_dates_out_of_range_are_400s_not_500s(operator: Browser, path: str) -> None:
    assert operator.get(path).status_code == 400
