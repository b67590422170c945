"""The operator's dashboard: attributed and direct sales, balances, top curators and links, channels, and its CSV.

No request context is held: every page request gets its own (the `sell` fixture pushes its own too).
"""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from commissions import services
from share.models import Channel, LinkTarget
from share.services import get_or_create_link
from storefront.orders.models import Order, OrderStatus
from tests.conftest import Browser
from tests.share.conftest import follow


def rows_of(operator: Browser, days: Any = 7) -> list[list[str]]:
    response = operator.get(f"/operator/dashboard.csv?days={days}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def figures(operator: Browser, days: Any = 7) -> dict[tuple[str, str], str]:
    return {(section, name): value for section, name, value in rows_of(operator, days)[1:]}


def section(operator: Browser, name: str, days: Any = 7) -> list[tuple[str, str]]:
    return [(row[1], row[2]) for row in rows_of(operator, days)[1:] if row[0] == name]


def make_link(shop: Any, channel: Channel, database: Any) -> Any:
    link = get_or_create_link(shop, LinkTarget.SHOP, 0, channel)
    database.session.commit()
    return link


def buy_through(browser: Browser, product: Any, database: Any) -> Order:
    """The shopper who followed a link adds the product, checks out and pays with the test card."""
    browser.add_to_cart(product.id)
    payment_url = browser.check_out().headers["Location"]
    browser.pay(payment_url)
    database.session.expire_all()
    order = database.session.scalars(select(Order).order_by(Order.id.desc())).first()
    assert order is not None and order.status == OrderStatus.PAID
    return order


def test_attributed_and_direct_sales_and_the_attributed_share(operator: Browser, create_shop: Any, create_product: Any, sell: Any) -> None:
    tee, cap = create_product(price_minor=3000, stock=50), create_product(price_minor=1000, stock=50)
    ana = create_shop(tee, handle="ana")
    sell(ana, (tee, 2))                          # 60.00 attributed
    sell(None, (cap, 1))                         # 10.00 direct
    sell(None, (tee, 1, ana), (cap, 2, None))    # 30.00 attributed + 20.00 direct in one order
    sell(ana, (tee, 1), pay=False)               # never paid: not a sale
    found = figures(operator)
    assert found[("sales", "attributed")] == "90.00" and found[("sales", "direct")] == "30.00"
    assert found[("sales", "attributed_share_percent")] == "75.0" and found[("sales", "orders")] == "3"
    page = operator.get("/operator/").get_data(as_text=True)
    assert "$90.00" in page and "$30.00" in page and "75.0%" in page
    assert "Refunds are not subtracted here" in page


def test_a_refunded_order_still_counts_as_sold(operator: Browser, create_shop: Any, create_product: Any, sell: Any, refund: Any) -> None:
    tee = create_product(price_minor=3000)
    order = sell(create_shop(tee), (tee, 1))
    refund(order, 1000)
    assert figures(operator)[("sales", "attributed")] == "30.00"


def test_the_period_leaves_out_older_orders(operator: Browser, create_shop: Any, create_product: Any, sell: Any, frozen_clock: Any) -> None:
    tee = create_product(price_minor=3000, stock=50)
    ana = create_shop(tee, handle="ana")
    sell(ana, (tee, 1))
    frozen_clock.advance(days=8)
    sell(None, (tee, 1))
    frozen_clock.advance(hours=1)
    week = figures(operator, 7)
    assert (week[("sales", "attributed")], week[("sales", "direct")]) == ("0.00", "30.00")
    assert week[("sales", "attributed_share_percent")] == "0.0" and week[("curators", "active")] == "0"
    month = figures(operator, 30)
    assert (month[("sales", "attributed")], month[("sales", "direct")]) == ("30.00", "30.00")
    assert month[("curators", "active")] == "1"


def test_today_starts_at_midnight_utc(operator: Browser, create_product: Any, sell: Any, frozen_clock: Any) -> None:
    tee = create_product(price_minor=3000, stock=50)
    sell(None, (tee, 1))                 # 12:00 on the 22nd
    frozen_clock.advance(hours=13)       # 01:00 on the 23rd
    assert figures(operator, 1)[("sales", "direct")] == "0.00"
    assert figures(operator, 7)[("sales", "direct")] == "30.00"
    assert 'aria-current="page">Today<' in operator.get("/operator/dashboard?days=1").get_data(as_text=True)


def test_top_curators_are_ordered_by_attributed_sales_and_capped_at_five(operator: Browser, create_shop: Any, create_product: Any, sell: Any) -> None:
    product = create_product(price_minor=1000, stock=100)
    for handle, quantity in [("ana", 3), ("bia", 5), ("caio", 1), ("dora", 4), ("edu", 2), ("fabi", 6)]:
        sell(create_shop(product, handle=handle), (product, quantity))
    assert section(operator, "top_curator_sales") == [
        ("fabi", "60.00"), ("bia", "50.00"), ("dora", "40.00"), ("ana", "30.00"), ("edu", "20.00"),
    ]
    assert section(operator, "top_curator_commission")[0] == ("fabi", "3.00")  # the default 5%
    page = operator.get("/operator/").get_data(as_text=True)
    assert page.index("@fabi") < page.index("@bia") < page.index("@edu") and "@caio" not in page


def test_commission_earned_before_the_period_is_not_counted(operator: Browser, create_shop: Any, create_product: Any, sell: Any, frozen_clock: Any) -> None:
    product = create_product(price_minor=1000, stock=100)
    ana = create_shop(product, handle="ana")
    sell(ana, (product, 4))
    frozen_clock.advance(days=8)
    sell(ana, (product, 2))
    assert section(operator, "top_curator_sales") == [("ana", "20.00")]
    assert section(operator, "top_curator_commission") == [("ana", "1.00")]


def test_top_links_and_sales_by_channel_follow_clicks_to_orders(
    app: Any, operator: Browser, browser: Browser, create_shop: Any, create_product: Any, database: Any,
) -> None:
    tee = create_product(price_minor=4000, stock=20)
    ana, bia = create_shop(tee, handle="ana"), create_shop(tee, handle="bia")
    whatsapp, telegram = make_link(ana, Channel.WHATSAPP, database), make_link(bia, Channel.TELEGRAM, database)
    for _ in range(2):
        follow(Browser(app.test_client()), telegram.code)   # two friends look, nobody buys
    follow(browser, whatsapp.code)
    buy_through(browser, tee, database)

    assert section(operator, "top_link_clicks") == [(telegram.code, "2"), (whatsapp.code, "1")]
    assert section(operator, "top_link_orders") == [(telegram.code, "0"), (whatsapp.code, "1")]
    assert section(operator, "channel_sales") == [("whatsapp", "40.00"), ("telegram", "0.00")]
    assert section(operator, "channel_clicks") == [("whatsapp", "1"), ("telegram", "2")]
    assert section(operator, "channel_orders") == [("whatsapp", "1"), ("telegram", "0")]
    assert figures(operator)[("curators", "active")] == "2"
    page = operator.get("/operator/").get_data(as_text=True)
    assert whatsapp.code in page and telegram.code in page and "@bia" in page and "$40.00" in page


def test_clicks_before_the_period_are_left_out(app: Any, operator: Browser, create_shop: Any, create_product: Any, database: Any, frozen_clock: Any) -> None:
    link = make_link(create_shop(handle="ana"), Channel.EMAIL, database)
    follow(Browser(app.test_client()), link.code)
    frozen_clock.advance(days=2)
    assert section(operator, "top_link_clicks", 1) == [] and figures(operator, 1)[("curators", "active")] == "0"
    assert section(operator, "top_link_clicks", 7) == [(link.code, "1")]
    assert "No share link was clicked in this period" in operator.get("/operator/?days=1").get_data(as_text=True)


def test_balances_sum_every_curators_pending_available_and_paid(
    app: Any, operator: Browser, create_shop: Any, create_product: Any, sell: Any, frozen_clock: Any, database: Any,
) -> None:
    big, small, tiny = (create_product(price_minor=p, stock=10) for p in (200_000, 100_000, 40_000))
    sell(create_shop(big, handle="ana"), (big, 1))            # earns 100.00
    frozen_clock.advance(days=31)
    with app.app_context():  # maturing notifies the curator (its e-mail reads the app's config)
        services.mature_due()
        database.session.commit()
    operator.log_in("op@example.com")                         # a month went by: a new session
    run_path = operator.post("/operator/payouts/run", {"method": "manual"}).headers["Location"]
    operator.post(run_path + "/paid")                         # ana's 100.00 is paid
    sell(create_shop(small, handle="bia"), (small, 1))        # earns 50.00
    frozen_clock.advance(days=31)
    with app.app_context():
        services.mature_due()
        database.session.commit()                             # bia's 50.00 is available
    sell(create_shop(tiny, handle="caio"), (tiny, 1))         # earns 20.00, pending
    sell(create_shop(tiny, handle="dora"), (tiny, 1))         # earns 20.00, pending
    operator.log_in("op@example.com")
    found = figures(operator)
    assert (found[("balances", "pending")], found[("balances", "available")], found[("balances", "paid")]) == ("40.00", "50.00", "100.00")
    page = operator.get("/operator/").get_data(as_text=True)
    assert "$40.00" in page and "$50.00" in page and "$100.00" in page


def test_the_csv_export_has_a_header_plain_decimals_and_safe_handles(operator: Browser, create_shop: Any, create_product: Any, sell: Any, database: Any) -> None:
    product = create_product(price_minor=1999)
    shop = create_shop(product, handle="ana")
    shop.handle = "-ana"  # as if a handle could start like a formula: the export must defuse it
    database.session.commit()
    sell(shop, (product, 1))
    rows = rows_of(operator, 30)
    assert rows[0] == ["section", "name", "value"]
    assert ["period", "days", "30"] in rows and ["period", "currency", "USD"] in rows
    assert ["sales", "attributed", "19.99"] in rows and ["balances", "pending", "0.99"] in rows
    assert ["top_curator_sales", "'-ana", "19.99"] in rows
    response = operator.get("/operator/dashboard.csv")
    assert "attachment" in response.headers["Content-Disposition"] and response.headers["Cache-Control"] == "private, no-store"


def test_an_empty_dashboard_says_what_will_appear(operator: Browser) -> None:
    page = operator.get("/operator/dashboard").get_data(as_text=True)
    assert "No order was paid in this period" in page and "No curator sold anything" in page
    assert "No channel brought clicks or orders" in page and "—" in page
    for path in ("/operator/orders", "/operator/commissions", "/operator/payouts", "/operator/reconciliation", "/operator/shops", "/operator/audit"):
        assert f'href="{path}"' in page


@pytest.mark.parametrize("path", ["/operator/", "/operator/dashboard", "/operator/dashboard.csv"])
def test_customers_and_curators_are_refused(app: Any, create_user: Any, create_shop: Any, path: str) -> None:
    create_user(email="cus@example.com")
    create_shop(user=create_user(email="cur@example.com"), handle="cur")
    for email in ("cus@example.com", "cur@example.com"):
        someone = Browser(app.test_client())
        someone.log_in(email)
        assert someone.get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(browser: Browser) -> None:
    response = browser.get("/operator/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("days", ["abc", "3", "", "-7", "1e3", "30.0"])
def test_a_bad_period_falls_back_to_seven_days(operator: Browser, days: str) -> None:
    assert operator.get(f"/operator/?days={days}").status_code == 200
    assert 'aria-current="page">7 days<' in operator.get(f"/operator/?days={days}").get_data(as_text=True)
    assert figures(operator, days)[("period", "days")] == "7"
