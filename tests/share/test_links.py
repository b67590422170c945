"""Share links: short random codes, one per (shop, target, channel), and where they lead."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from share.models import Channel, Click, LinkTarget, ShareLink
from share.services import CODE_PATTERN, ShareError, get_or_create_link
from tests.share.conftest import follow


def test_link_code_is_stable_per_target_and_channel(create_shop: Any, create_product: Any, share_link: Any) -> None:
    product = create_product()
    shop = create_shop(product)
    first = share_link(shop, LinkTarget.PRODUCT, product.id, Channel.WHATSAPP)
    again = share_link(shop, LinkTarget.PRODUCT, product.id, Channel.WHATSAPP)
    other_channel = share_link(shop, LinkTarget.PRODUCT, product.id, Channel.WECHAT)
    shop_link = share_link(shop, LinkTarget.SHOP, 0, Channel.WHATSAPP)
    assert first.code == again.code
    assert len({first.code, other_channel.code, shop_link.code}) == 3


def test_link_codes_are_random_unambiguous_and_unique(create_shop: Any, create_product: Any, share_link: Any, database: Any) -> None:
    products = [create_product() for _ in range(12)]
    shop = create_shop(*products)
    codes = [share_link(shop, LinkTarget.PRODUCT, p.id, channel).code for p in products for channel in Channel]
    assert len(set(codes)) == len(codes) == 96
    assert all(CODE_PATTERN.match(code) and len(code) >= 7 for code in codes)
    assert not any(ch in "".join(codes) for ch in "01lio")


def test_link_refuses_a_product_outside_the_shop(create_shop: Any, create_product: Any, database: Any) -> None:
    with pytest.raises(ShareError):
        get_or_create_link(create_shop(), LinkTarget.PRODUCT, create_product().id, Channel.COPY)


def test_follow_redirects_to_the_target_page(create_shop: Any, create_product: Any, share_link: Any, browser: Any, database: Any) -> None:
    from storefront.shops.services import create_look

    product = create_product(slug="linen-tee")
    shop = create_shop(product, handle="ana")
    look = create_look(shop, title="Office week", description="", product_ids=[product.id])
    database.session.commit()
    assert follow(browser, share_link(shop).code).headers["Location"] == "/@ana"
    assert follow(browser, share_link(shop, LinkTarget.LOOK, look.id).code).headers["Location"] == "/@ana/looks/office-week"
    assert follow(browser, share_link(shop, LinkTarget.PRODUCT, product.id).code).headers["Location"] == "/products/linen-tee"


def test_follow_an_unknown_code_is_a_friendly_404(browser: Any) -> None:
    response = follow(browser, "zzzzzzzz")
    assert response.status_code == 404 and "does not exist" in response.get_data(as_text=True)


def test_follow_a_suspended_shops_link_goes_home_unattributed(create_shop: Any, create_user: Any, share_link: Any, browser: Any, database: Any) -> None:
    from storefront.shops.services import suspend_shop

    shop = create_shop()
    link = share_link(shop)
    suspend_shop(shop, actor_user_id=create_user().id, reason="fraud")
    database.session.commit()
    response = follow(browser, link.code)
    assert response.headers["Location"] == "/"
    assert "vt_ref" not in response.headers.get("Set-Cookie", "")
    assert database.session.scalar(select(func.count()).select_from(Click)) == 0


def test_follow_a_deleted_looks_link_goes_home(create_shop: Any, create_product: Any, share_link: Any, browser: Any, database: Any) -> None:
    from storefront.shops.services import create_look, delete_look

    product = create_product()
    shop = create_shop(product)
    look = create_look(shop, title="Gone soon", description="", product_ids=[product.id])
    link = share_link(shop, LinkTarget.LOOK, look.id)
    delete_look(shop, look)
    database.session.commit()
    assert follow(browser, link.code).headers["Location"] == "/"


@pytest.mark.parametrize("path", [
    "/s/%2F%2Fevil.example", "/s/..%2F..%2Fevil", "/s/https:%2F%2Fevil.example", "/s//evil.example",
    "/s/abcdefgh?next=https://evil.example", "/s/ABCDEFGH", "/s/" + "a" * 300,
])
def test_follow_never_redirects_off_site(browser: Any, path: str) -> None:
    response = browser.client.get(path)
    location = response.headers.get("Location", "")
    assert response.status_code in (302, 308, 404)
    assert not location.startswith(("//", "http")) or location.startswith("http://localhost/")


def test_follow_ignores_redirect_parameters(create_shop: Any, share_link: Any, browser: Any) -> None:
    shop = create_shop(handle="ana")
    code = share_link(shop).code
    response = browser.client.get(f"/s/{code}?next=https://evil.example&url=//evil.example", headers={"User-Agent": "x Mobile"})
    assert response.headers["Location"] == "/@ana"


def test_qr_codes_come_as_svg_and_png(create_shop: Any, share_link: Any, browser: Any) -> None:
    code = share_link(create_shop(), channel=Channel.WECHAT).code
    svg = browser.get(f"/s/{code}/qr.svg")
    png = browser.get(f"/s/{code}/qr.png")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")


def test_share_page_shows_every_channel_with_intents(app: Any, create_user: Any, create_product: Any, database: Any) -> None:
    from tests.conftest import Browser

    product = create_product(title="Linen Tee")
    create_user(email="ana@example.com")
    owner = Browser(app.test_client())
    owner.log_in("ana@example.com")
    owner.post("/me/shop/new", {"handle": "ana", "title": "Ana", "accent_colour": "#336699"})
    owner.post("/me/shop/items", {"product_id": product.id})
    page = owner.get(f"/me/shop/share/product/{product.id}").get_data(as_text=True)
    assert "https://wa.me/?text=" in page and "https://t.me/share/url?" in page and "mailto:?" in page
    assert "service.weibo.com" in page and "x.com/intent/post" in page and "facebook.com/sharer" in page
    assert database.session.scalar(select(func.count()).select_from(ShareLink)) == len(Channel)
    assert "/qr.png" in page and "Share…" in page


def test_the_share_panel_sits_on_the_curators_editor_and_own_pages_only(app: Any, create_user: Any, create_shop: Any, create_product: Any, browser: Any) -> None:
    from tests.conftest import Browser

    product = create_product(title="Linen Tee")
    create_shop(product, user=create_user(email="ana@example.com"), handle="ana")
    owner = Browser(app.test_client())
    owner.log_in("ana@example.com")
    for path in ("/me/shop", "/@ana"):
        page = owner.get(path).get_data(as_text=True)
        assert "https://wa.me/?text=" in page and "/qr.svg" in page, path
    assert "wa.me" not in browser.get("/@ana").get_data(as_text=True)
