"""From a friend's click to the paid order: who is credited, by which rule, and when it is the curator themself."""
from __future__ import annotations

from typing import Any

from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from share import visits
from share.models import KnownVisitor, OrderAttribution, SelfReferral, Touch
from storefront.orders.models import Order, OrderLine
from tests.conftest import Browser
from tests.share.conftest import follow


def buy(browser: Any, product: Any, **form: Any) -> OrderAttribution:
    browser.add_to_cart(product.id)
    response = browser.check_out(**form)
    assert response.status_code == 302, response.get_data(as_text=True)
    from storefront.extensions import db

    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    record = db.session.scalar(select(OrderAttribution).where(OrderAttribution.order_id == order.id))
    assert record is not None
    return record


def test_an_order_after_a_click_is_credited_with_click_and_rule(create_shop: Any, create_product: Any, share_link: Any, browser: Any, database: Any) -> None:
    product = create_product()
    shop = create_shop(product, handle="ana")
    link = share_link(shop)
    follow(browser, link.code)
    record = buy(browser, product)
    assert (record.shop_id, record.rule, record.self_referral) == (shop.id, "last_click", SelfReferral.NONE)
    assert record.click is not None and record.click.link_id == link.id
    assert f"/s/{link.code}" in record.explanation
    assert database.session.scalar(select(OrderLine.shop_id)) == shop.id


def test_checkout_says_who_referred_the_shopper(create_shop: Any, create_product: Any, share_link: Any, browser: Any) -> None:
    product = create_product()
    follow(browser, share_link(create_shop(product, handle="ana")).code)
    browser.add_to_cart(product.id)
    assert "You were referred by" in browser.get("/checkout").get_data(as_text=True)
    assert "@ana" in browser.get("/checkout").get_data(as_text=True)


def test_an_order_without_any_touch_is_a_direct_sale(create_product: Any, browser: Any) -> None:
    record = buy(browser, create_product())
    assert record.shop_id is None and "direct sale" in record.explanation


def test_last_click_wins_across_two_curators(create_shop: Any, create_product: Any, share_link: Any, browser: Any, frozen_clock: Any) -> None:
    product = create_product()
    ana, bia = create_shop(product, handle="ana"), create_shop(product, handle="bia")
    follow(browser, share_link(ana).code)
    frozen_clock.advance(hours=2)
    follow(browser, share_link(bia).code)
    assert buy(browser, product).shop_id == bia.id


def test_first_click_model_credits_the_first_curator(app: Any, create_shop: Any, create_product: Any, share_link: Any, browser: Any, frozen_clock: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "ATTRIBUTION_MODEL", "first_click")
    product = create_product()
    ana, bia = create_shop(product, handle="ana"), create_shop(product, handle="bia")
    follow(browser, share_link(ana).code)
    frozen_clock.advance(hours=2)
    follow(browser, share_link(bia).code)
    record = buy(browser, product)
    assert (record.shop_id, record.rule) == (ana.id, "first_click")


def test_a_click_older_than_the_window_credits_nobody(create_shop: Any, create_product: Any, share_link: Any, browser: Any, frozen_clock: Any) -> None:
    product = create_product()
    follow(browser, share_link(create_shop(product)).code)
    frozen_clock.advance(days=30, minutes=1)
    assert buy(browser, product).shop_id is None


def test_adding_to_cart_from_a_shop_page_is_a_touch(create_shop: Any, create_product: Any, share_link: Any, browser: Any, frozen_clock: Any) -> None:
    product = create_product()
    ana, bia = create_shop(product, handle="ana"), create_shop(product, handle="bia")
    follow(browser, share_link(ana).code)
    frozen_clock.advance(hours=1)
    browser.add_to_cart(product.id, 1, shop="bia")
    record = buy(browser, create_product())
    assert record.shop_id == bia.id and "add to cart from the shop page" in record.explanation


def test_a_forged_or_tampered_cookie_is_ignored(app: Any, create_shop: Any, create_product: Any, share_link: Any, browser: Any) -> None:
    product = create_product()
    follow(browser, share_link(create_shop(product, handle="ana")).code)
    cookie = browser.client.get_cookie("vt_ref")
    assert cookie is not None
    browser.client.set_cookie("vt_ref", cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"))
    browser.client.delete_cookie("vt_visitor")
    assert buy(browser, product).shop_id is None

    forged = URLSafeSerializer("not-our-secret", salt="vitrine attribution cookie").dumps({"v": "x" * 20, "f": 1, "l": 1})
    other = Browser(app.test_client())
    other.client.set_cookie("vt_ref", forged)
    assert buy(other, product).shop_id is None


def test_a_signed_cookie_copied_into_another_browser_is_ignored(app: Any, create_shop: Any, create_product: Any, share_link: Any, browser: Any) -> None:
    product = create_product()
    follow(browser, share_link(create_shop(product, handle="ana")).code)
    other = Browser(app.test_client())
    other.get("/")
    other.client.set_cookie("vt_visitor", "another-visitor-0123456")
    other.client.set_cookie("vt_ref", browser.client.get_cookie("vt_ref").value)
    assert buy(other, product).shop_id is None


def test_a_signed_cookie_naming_another_visitors_touch_credits_nobody(
    app: Any, create_shop: Any, create_product: Any, share_link: Any, browser: Any, database: Any,
) -> None:
    # given a touch of another visitor under an id this browser's signed cookie names (after a crash of PostgreSQL
    # lost this browser's last click, whose id was then given again to someone else's)
    product = create_product()
    follow(browser, share_link(create_shop(product, handle="ana")).code)
    [touch_id] = database.session.scalars(select(Touch.id)).all()
    other = Browser(app.test_client())
    other.get("/")
    other.client.set_cookie("vt_visitor", "another-visitor-0123456")
    with app.test_request_context():
        other.client.set_cookie("vt_ref", visits._serializer().dumps({"v": "another-visitor-0123456", "f": touch_id, "l": touch_id}))
    # then the order is a direct sale
    assert buy(other, product).shop_id is None


def test_the_visitor_id_finds_touches_between_the_first_and_the_last(create_shop: Any, create_product: Any, share_link: Any, browser: Any, frozen_clock: Any, database: Any) -> None:
    shoes, scarf = create_product(title="Shoes"), create_product(title="Scarf")
    ana, bia, caio = create_shop(shoes, handle="ana"), create_shop(scarf, handle="bia"), create_shop(shoes, handle="caio")
    follow(browser, share_link(ana).code)
    frozen_clock.advance(minutes=5)
    browser.add_to_cart(scarf.id, 1, shop="bia")
    frozen_clock.advance(minutes=5)
    follow(browser, share_link(caio).code)
    record = buy(browser, shoes)
    credited = dict(database.session.execute(select(OrderLine.product_id, OrderLine.shop_id).where(OrderLine.order_id == record.order_id)).all())
    assert credited == {scarf.id: bia.id, shoes.id: caio.id}


def test_a_line_from_a_shop_page_loses_its_shop_once_the_window_has_passed(create_shop: Any, create_product: Any, browser: Any, frozen_clock: Any, database: Any) -> None:
    scarf = create_product(title="Scarf")
    create_shop(scarf, handle="bia")
    browser.add_to_cart(scarf.id, 1, shop="bia")
    frozen_clock.advance(days=31)
    record = buy(browser, create_product())
    assert record.shop_id is None
    assert set(database.session.scalars(select(OrderLine.shop_id).where(OrderLine.order_id == record.order_id))) == {None}


def test_a_line_from_the_buyers_own_shop_credits_nobody(app: Any, create_shop: Any, create_product: Any, share_link: Any, create_user: Any, database: Any) -> None:
    scarf, shoes = create_product(title="Scarf"), create_product(title="Shoes")
    bia = create_shop(scarf, user=create_user(email="bia@example.com"), handle="bia")
    ana = create_shop(shoes, handle="ana")
    own = Browser(app.test_client())
    own.log_in("bia@example.com")
    own.add_to_cart(scarf.id, 1, shop="bia")
    follow(own, share_link(ana).code)
    record = buy(own, shoes, email="bia@example.com")
    credited = dict(database.session.execute(select(OrderLine.product_id, OrderLine.shop_id).where(OrderLine.order_id == record.order_id)).all())
    assert credited == {scarf.id: None, shoes.id: ana.id}
    assert (record.shop_id, record.self_referral) == (ana.id, SelfReferral.NONE)
    assert bia.id not in credited.values()


def test_a_browser_shared_by_two_accounts_is_known_for_both(app: Any, create_user: Any, database: Any) -> None:
    create_user(email="ana@example.com")
    create_user(email="rui@example.com")
    tablet = Browser(app.test_client())
    tablet.log_in("ana@example.com")
    tablet.post("/logout")
    tablet._token = None
    tablet.log_in("rui@example.com")
    visitor = tablet.client.get_cookie("vt_visitor").value
    owners = set(database.session.scalars(select(KnownVisitor.user_id).where(KnownVisitor.visitor_id == visitor)))
    assert len(owners) == 2


def test_signing_in_gives_the_browser_a_visitor_id(app: Any, create_user: Any, database: Any) -> None:
    user = create_user(email="ana@example.com")
    browser = Browser(app.test_client())
    browser.log_in("ana@example.com")
    cookie = browser.client.get_cookie("vt_visitor")
    assert cookie is not None and cookie.http_only
    assert database.session.get(KnownVisitor, (cookie.value, user.id)) is not None


def test_the_curators_browser_goes_to_review_without_any_earlier_click(app: Any, create_shop: Any, create_product: Any, share_link: Any, create_user: Any) -> None:
    product = create_product()
    shop = create_shop(product, user=create_user(email="ana@example.com"), handle="ana")
    own = Browser(app.test_client())
    own.log_in("ana@example.com")
    own.post("/logout")
    own._token = None
    follow(own, share_link(shop).code)
    record = buy(own, product, email="someone.else@example.com")
    assert record.self_referral == SelfReferral.REVIEW


def test_a_curator_is_not_told_they_referred_themself(app: Any, create_shop: Any, create_product: Any, share_link: Any, create_user: Any) -> None:
    product = create_product()
    shop = create_shop(product, user=create_user(email="ana@example.com"), handle="ana")
    own = Browser(app.test_client())
    own.log_in("ana@example.com")
    follow(own, share_link(shop).code)
    own.add_to_cart(product.id)
    assert "You were referred by" not in own.get("/checkout").get_data(as_text=True)


def test_attribution_follows_the_account_to_another_device(app: Any, create_shop: Any, create_product: Any, share_link: Any, create_user: Any) -> None:
    product = create_product()
    shop = create_shop(product, handle="ana")
    create_user(email="friend@example.com")
    phone = Browser(app.test_client())
    follow(phone, share_link(shop).code)
    phone.log_in("friend@example.com")
    laptop = Browser(app.test_client())
    laptop.log_in("friend@example.com")
    assert buy(laptop, product).shop_id == shop.id


def test_the_curators_own_account_is_self_referred(app: Any, create_shop: Any, create_product: Any, share_link: Any, create_user: Any) -> None:
    product = create_product()
    curator = create_user(email="ana@example.com")
    shop = create_shop(product, user=curator, handle="ana")
    own = Browser(app.test_client())
    own.log_in("ana@example.com")
    follow(own, share_link(shop).code)
    record = buy(own, product, email="ana@example.com")
    assert (record.shop_id, record.self_referral) == (shop.id, SelfReferral.SELF)


def test_the_curators_browser_signed_out_goes_to_review(app: Any, create_shop: Any, create_product: Any, share_link: Any, create_user: Any) -> None:
    product = create_product()
    shop = create_shop(product, user=create_user(email="ana@example.com"), handle="ana")
    own = Browser(app.test_client())
    own.log_in("ana@example.com")
    follow(own, share_link(shop).code)
    own.post("/logout")
    own._token = None
    record = buy(own, product, email="someone.else@example.com")
    assert record.self_referral == SelfReferral.REVIEW
    assert record.review_reasons == ["@ana: the curator's own browser (visitor id)"]


def test_the_curators_email_goes_to_review(create_shop: Any, create_product: Any, share_link: Any, create_user: Any, browser: Any) -> None:
    product = create_product()
    shop = create_shop(product, user=create_user(email="ana@example.com"), handle="ana")
    follow(browser, share_link(shop).code)
    record = buy(browser, product, email="ANA@example.com")
    assert record.self_referral == SelfReferral.REVIEW and record.review_reasons == ["@ana: the curator's e-mail"]


def test_the_curators_address_goes_to_review(app: Any, create_shop: Any, create_product: Any, share_link: Any, create_user: Any, browser: Any) -> None:
    product = create_product(stock=50)
    shop = create_shop(product, user=create_user(email="ana@example.com"), handle="ana")
    own = Browser(app.test_client())
    own.log_in("ana@example.com")
    buy(own, product, address_line1="Rua das Flores 12", postal_code="01000-000", country="BR")
    follow(browser, share_link(shop).code)
    record = buy(browser, product, address_line1="rua das flores, 12", postal_code="01000000", country="BR")
    assert record.self_referral == SelfReferral.REVIEW and record.review_reasons == ["@ana: a shipping address the curator used"]


def test_operator_sees_the_attribution_of_an_order(app: Any, create_shop: Any, create_product: Any, share_link: Any, create_user: Any, browser: Any) -> None:
    from storefront.accounts.models import Role

    product = create_product()
    link = share_link(create_shop(product, handle="ana"))
    follow(browser, link.code)
    record = buy(browser, product)
    create_user(email="ops@example.com", role=Role.OPERATOR)
    operator = Browser(app.test_client())
    operator.log_in("ops@example.com")
    from storefront.extensions import db

    number = db.session.get(Order, record.order_id).number
    page = operator.get(f"/operator/orders/{number}").get_data(as_text=True)
    assert "@ana" in page and f"/s/{link.code}" in page and "last click" in page
