"""Shop rules at the service level: handles, one shop per user, the item limit, ordering, looks."""
from __future__ import annotations

from typing import Any

import pytest

from storefront.shops import services
from storefront.shops.services import HandleInvalid, HandleTaken, ShopError


@pytest.mark.parametrize("handle", ["ab", "a" * 31, "ana.souza", "ana souza", "ána", "ana!", ""])
def test_check_handle_refuses_malformed_handles(database: Any, handle: str) -> None:
    with pytest.raises(HandleInvalid, match="3 to 30 characters"):
        services.check_handle(handle)


@pytest.mark.parametrize("handle", ["admin", "api", "s", "static", "login", "discover", "Operator"])
def test_check_handle_refuses_reserved_words(database: Any, handle: str) -> None:
    with pytest.raises(HandleInvalid):
        services.check_handle(handle)


def test_check_handle_accepts_and_lowercases(database: Any) -> None:
    assert services.check_handle("@Ana_Souza-2") == "ana_souza-2"


def test_check_handle_refuses_a_taken_handle_ignoring_case(create_shop: Any) -> None:
    create_shop(handle="ana")
    with pytest.raises(HandleTaken):
        services.check_handle("ANA")


def test_open_shop_allows_one_shop_per_user(create_user: Any, database: Any) -> None:
    user = create_user()
    services.open_shop(user.id, "first-shop", "First")
    with pytest.raises(ShopError, match="already have a shop"):
        services.open_shop(user.id, "second-shop", "Second")


def test_open_shop_starts_as_a_draft(create_user: Any, database: Any) -> None:
    shop = services.open_shop(create_user().id, "ana", "Ana")
    assert not shop.is_published and not shop.is_public


def test_add_item_refuses_past_the_limit_and_explains(create_shop: Any, create_product: Any) -> None:
    shop = create_shop(create_product(), create_product())
    with pytest.raises(ShopError, match="at most 2 products"):
        services.add_item(shop, create_product().id, max_items=2)


def test_add_item_twice_keeps_one_item(create_shop: Any, create_product: Any, database: Any) -> None:
    product = create_product()
    shop = create_shop(product)
    _item, added = services.add_item(shop, product.id, max_items=60)
    assert added is False and len(shop.items) == 1


def test_add_item_refuses_an_inactive_product(create_shop: Any, create_product: Any) -> None:
    with pytest.raises(ShopError):
        services.add_item(create_shop(), create_product(active=False).id, max_items=60)


def test_set_item_note_refuses_more_than_500_characters(create_shop: Any, create_product: Any) -> None:
    product = create_product()
    shop = create_shop(product)
    with pytest.raises(ShopError, match="limit is 500"):
        services.set_item_note(shop, product.id, "x" * 501)


def test_move_and_reorder_keep_positions_dense(create_shop: Any, create_product: Any, database: Any) -> None:
    a, b, c = create_product(), create_product(), create_product()
    shop = create_shop(a, b, c)
    services.move_item(shop, c.id, -1)
    assert [i.product_id for i in sorted(shop.items, key=lambda i: i.position)] == [a.id, c.id, b.id]
    services.reorder_items(shop, [b.id, a.id, c.id])
    assert sorted((i.position, i.product_id) for i in shop.items) == [(0, b.id), (1, a.id), (2, c.id)]


def test_reorder_refuses_a_list_that_is_not_the_shop(create_shop: Any, create_product: Any) -> None:
    a, b = create_product(), create_product()
    shop = create_shop(a, b)
    with pytest.raises(ShopError):
        services.reorder_items(shop, [a.id])


def test_remove_item_renumbers_and_leaves_its_looks(create_shop: Any, create_product: Any, database: Any) -> None:
    a, b = create_product(), create_product()
    shop = create_shop(a, b)
    look = services.create_look(shop, title="Office week", description="", product_ids=[a.id, b.id])
    services.remove_item(shop, a.id)
    database.session.commit()
    database.session.refresh(look)
    assert [i.product_id for i in look.items] == [b.id]
    assert [(i.position, i.product_id) for i in shop.items] == [(0, b.id)]


def test_create_look_gives_unique_slugs(create_shop: Any, create_product: Any) -> None:
    product = create_product()
    shop = create_shop(product)
    first = services.create_look(shop, title="Office week", description="", product_ids=[product.id])
    second = services.create_look(shop, title="Office Week", description="", product_ids=[])
    assert (first.slug, second.slug) == ("office-week", "office-week-2")


def test_create_look_refuses_products_outside_the_shop(create_shop: Any, create_product: Any) -> None:
    with pytest.raises(ShopError):
        services.create_look(create_shop(), title="Look", description="", product_ids=[create_product().id])


def test_suspend_needs_a_reason_and_is_audited(create_shop: Any, create_user: Any, database: Any) -> None:
    from storefront.audit.services import list_audit_entries

    shop = create_shop()
    operator = create_user(email="ops@example.com")
    with pytest.raises(ShopError):
        services.suspend_shop(shop, actor_user_id=operator.id, reason=" ")
    services.suspend_shop(shop, actor_user_id=operator.id, reason="counterfeit claims")
    assert not shop.is_public
    services.reinstate_shop(shop, actor_user_id=operator.id, reason="fixed")
    entries = list_audit_entries(subject_type="shop", subject_id=shop.id)
    assert [(e.action, e.reason, e.actor_user_id) for e in entries] == [
        ("shop.reinstate", "fixed", operator.id), ("shop.suspend", "counterfeit claims", operator.id),
    ]


def test_earning_shop_ids_leaves_out_drafts_and_suspended(create_shop: Any, create_user: Any) -> None:
    public, draft, suspended = create_shop(), create_shop(published=False), create_shop()
    services.suspend_shop(suspended, actor_user_id=create_user().id, reason="fraud")
    assert services.earning_shop_ids({public.id, draft.id, suspended.id}) == {public.id}


def test_earning_pairs_keeps_only_products_the_public_shop_still_holds(create_shop: Any, create_product: Any) -> None:
    kept, dropped = create_product(), create_product()
    shop = create_shop(kept, dropped)
    draft = create_shop(kept, published=False)
    services.remove_item(shop, dropped.id)
    pairs = {(shop.id, kept.id), (shop.id, dropped.id), (draft.id, kept.id)}
    assert services.earning_pairs(pairs) == {(shop.id, kept.id)}
