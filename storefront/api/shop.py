"""The curator's own shop (profile, items, looks, share links) and the public shops, over the shops and share services.

Choices: adding a product that is already in the shop answers 200 with the item unchanged
(201 when new); publishing an empty shop is a 409; a handle cannot change once chosen (409).
Ids in the path that are not the caller's are 404; ids in a body that do not fit (a product
not in the catalog or not in the shop, another shop's look) are 422 naming the field.
"""
from __future__ import annotations

from typing import Annotated, Literal

from flask import current_app, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from share import services as share
from share.models import Channel, LinkTarget, ShareLink
from storefront.accounts.models import User
from storefront.api import blueprint
from storefront.api.framework import Access, ApiProblem, Reply, endpoint, require_caller
from storefront.api.schemas import MoneyOut, Strict, Text
from storefront.catalog.services import MAX_ID
from storefront.extensions import db
from storefront.shops import services as shops
from storefront.shops.models import Look, Shop, ShopItem
from storefront.web import absolute_url, product_image_url

ACCENT_PATTERN = r"^#[0-9a-fA-F]{6}$"
#: Ids as the database holds them; the schema says so, so a fuzzer's 10**30 is a 422, not a 500.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
NOTE_FIELD_MAX = shops.NOTE_MAX_LENGTH * 2  # the service counts after normalising line endings


def _field_problem(status: int, field: str, detail: str) -> ApiProblem:
    return ApiProblem(status, detail, errors=[{"field": field, "pointer": "/" + field.replace(".", "/"), "detail": detail}])


# Shapes -----------------------------------------------------------------------------------


class ShopIn(Strict):
    handle: Text = Field(min_length=1, max_length=31,
                         description="3 to 30 characters: a-z, 0-9, “-”, “_”; fixed once the shop is open.")
    title: Text = Field(max_length=80, description="Empty means the handle.")
    bio: Text = Field("", max_length=280)
    accent_colour: str | None = Field(None, pattern=ACCENT_PATTERN, description="Omit to keep it (new shops: #b4442f).")
    published: bool | None = Field(None, description="Omit to leave as is; a new shop is a draft. Publishing needs a product.")


class ShopItemOut(BaseModel):
    """A product in a shop, with the curator's note."""

    product_id: int
    title: str
    note: str
    position: int = Field(description="0-based place on the shop page.")
    price: MoneyOut
    image_url: str
    url: str = Field(description="Absolute URL of the product's page.")
    in_stock: bool


class LookOut(BaseModel):
    """A look: a titled group of the shop's products."""

    id: int
    slug: str
    title: str
    description: str
    position: int
    product_ids: list[int]
    url: str = Field(description="Absolute URL of the look's public page.")


class LookList(BaseModel):
    """The shop's looks, in page order."""

    items: list[LookOut]


class ShopOut(BaseModel):
    """The caller's shop, draft or published, with its items and looks."""

    id: int
    handle: str
    title: str
    bio: str
    accent_colour: str
    published: bool
    suspended: bool
    suspension_reason: str
    url: str = Field(description="Absolute URL of the public page (only its owner sees a draft).")
    avatar_url: str
    max_items: int = Field(description="The most products a shop may hold.")
    items: list[ShopItemOut]
    looks: list[LookOut]


class PublicShopOut(BaseModel):
    """A published shop as everyone sees it."""

    handle: str
    title: str
    bio: str
    accent_colour: str
    url: str
    avatar_url: str
    items: list[ShopItemOut]
    looks: list[LookOut]


class ItemIn(Strict):
    product_id: Id
    note: Text = Field("", max_length=NOTE_FIELD_MAX, description=f"At most {shops.NOTE_MAX_LENGTH} characters.")


class ItemPatch(Strict):
    note: Text | None = Field(None, max_length=NOTE_FIELD_MAX, description=f"At most {shops.NOTE_MAX_LENGTH} characters.")
    position: int | None = Field(None, ge=0, le=100_000, description="0-based; past the end means last.")


class LookIn(Strict):
    title: Text = Field(min_length=1, max_length=80)
    description: Text = Field("", max_length=1000)
    product_ids: list[Id] = Field(default_factory=list, max_length=1000, description="Products in the shop, in look order.")


class LookPatch(Strict):
    title: Text | None = Field(None, min_length=1, max_length=80)
    description: Text | None = Field(None, max_length=1000)
    product_ids: list[Id] | None = Field(None, max_length=1000)


class ShopTarget(Strict):
    type: Literal["shop"]
    id: None = Field(None, description="A shop link has no id.")


class ItemTarget(Strict):
    type: Literal["look", "product"]
    id: Id = Field(description="The look's id, or the product's id (a product in your shop).")


class LinkIn(Strict):
    target: Annotated[ShopTarget | ItemTarget, Field(discriminator="type")]
    channel: Channel


class LinkTargetOut(BaseModel):
    """What a share link leads to."""

    type: LinkTarget
    id: int | None


class LinkOut(BaseModel):
    """A share link for one channel: its short URL and QR codes."""

    code: str
    channel: Channel
    target: LinkTargetOut
    url: str = Field(description="Absolute /s/<code> URL to share.")
    qr_svg_url: str
    qr_png_url: str


# Shaping ----------------------------------------------------------------------------------


def _item_out(item: ShopItem) -> ShopItemOut:
    product = item.product
    return ShopItemOut(
        product_id=item.product_id, title=product.title, note=item.note, position=item.position,
        price=MoneyOut(amount_minor=product.price_minor, currency=product.currency),
        image_url=absolute_url(product_image_url(product)),
        url=absolute_url(url_for("catalog.product", slug=product.slug)), in_stock=product.in_stock,
    )


def _look_out(shop: Shop, look: Look) -> LookOut:
    return LookOut(
        id=look.id, slug=look.slug, title=look.title, description=look.description, position=look.position,
        product_ids=[item.product_id for item in look.items],
        url=absolute_url(url_for("shops.public_look", handle=shop.handle, slug=look.slug)),
    )


def _urls(shop: Shop) -> dict[str, str]:
    return {"url": absolute_url(url_for("shops.public_shop", handle=shop.handle)),
            "avatar_url": absolute_url(url_for("shops.avatar", handle=shop.handle, v=shop.avatar_version))}


def _shop_out(shop: Shop) -> ShopOut:
    return ShopOut(
        id=shop.id, handle=shop.handle, title=shop.title, bio=shop.bio, accent_colour=shop.accent_colour,
        published=shop.is_published, suspended=shop.is_suspended, suspension_reason=shop.suspension_reason,
        max_items=_max_items(), items=[_item_out(item) for item in shop.items],
        looks=[_look_out(shop, look) for look in shop.looks], **_urls(shop),
    )


def _link_out(link: ShareLink) -> LinkOut:
    target_type = LinkTarget(link.target_type)
    return LinkOut(
        code=link.code, channel=Channel(link.channel),
        target=LinkTargetOut(type=target_type, id=None if target_type is LinkTarget.SHOP else link.target_id),
        url=absolute_url(share.link_path(link)),
        qr_svg_url=absolute_url(url_for("share.qr_svg", code=link.code)),
        qr_png_url=absolute_url(url_for("share.qr_png", code=link.code)),
    )


# Looking things up ------------------------------------------------------------------------


def _max_items() -> int:
    return int(current_app.config["SHOP_MAX_ITEMS"])


def _my_shop(user: User) -> Shop:
    shop = shops.find_shop_for_user(user.id)
    if shop is None:
        raise ApiProblem(404, _("You have no shop yet: PUT /api/v1/me/shop opens one."))
    return shop


def _not_in_shop() -> ApiProblem:
    return ApiProblem(404, _("That product is not in your shop."))


def _my_item(shop: Shop, product_id: int) -> ShopItem:
    item = next((item for item in shop.items if item.product_id == product_id), None)
    if item is None:
        raise _not_in_shop()
    return item


def _my_look(shop: Shop, look_id: int) -> Look:
    try:
        if look_id > MAX_ID:
            raise shops.LookNotFound(str(look_id))
        return shops.get_look_by_id(shop, look_id)
    except shops.LookNotFound:
        raise ApiProblem(404, _("You have no look with this id.")) from None


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        raise ApiProblem(409, _("Someone changed this shop at the same moment; look again and retry.")) from None


# My shop ----------------------------------------------------------------------------------


def _open(user: User, body: ShopIn) -> Shop:
    return shops.open_shop(user.id, body.handle, body.title, body.bio, body.accent_colour or "#b4442f")


def _update(shop: Shop, body: ShopIn) -> None:
    if shops.normalize_handle(body.handle) != shop.handle:
        raise _field_problem(409, "handle", _("Your shop's handle is “%(handle)s”; it cannot change, since shared links carry it.",
                                               handle=shop.handle))
    shops.update_shop_profile(shop, title=body.title, bio=body.bio, accent_colour=body.accent_colour or shop.accent_colour)


def _publication(shop: Shop, published: bool | None) -> None:
    if published is True:
        try:
            shops.publish_shop(shop)
        except shops.ShopError as error:
            raise _field_problem(409, "published", str(error)) from None
    elif published is False:
        shops.unpublish_shop(shop)


@endpoint(blueprint, "PUT", "/me/shop", summary="Open or update my shop", tag="shop", access=Access.USER, body=ShopIn,
          responses={200: ShopOut, 201: ShopOut},
          description="201 when this opens the shop. A taken handle or publishing an empty shop is a 409; nothing is saved then.")
def put_my_shop(body: ShopIn) -> ShopOut | Reply:
    user = require_caller()
    shop = shops.find_shop_for_user(user.id)
    created = shop is None
    try:
        if shop is None:
            shop = _open(user, body)
        else:
            _update(shop, body)
    except shops.HandleTaken as error:
        raise _field_problem(409, "handle", str(error)) from None
    except shops.HandleInvalid as error:
        raise _field_problem(422, "handle", str(error)) from None
    except shops.ShopError as error:
        raise ApiProblem(422, str(error)) from None
    except IntegrityError:
        raise _field_problem(409, "handle", _("That handle was taken (or your shop opened) at this very moment; try again.")) from None
    _publication(shop, body.published)
    _commit()
    return Reply(_shop_out(shop), 201) if created else _shop_out(shop)


@endpoint(blueprint, "GET", "/me/shop", summary="My shop, its items and looks", tag="shop", access=Access.USER,
          responses={200: ShopOut})
def get_my_shop() -> ShopOut:
    return _shop_out(_my_shop(require_caller()))


# Items ------------------------------------------------------------------------------------


@endpoint(blueprint, "POST", "/me/shop/items", summary="Add a product to my shop", tag="shop", access=Access.USER,
          body=ItemIn, responses={201: ShopItemOut, 200: ShopItemOut},
          description="200 with the item unchanged when the product is in the shop already. A full shop is a 409.")
def add_shop_item(body: ItemIn) -> ShopItemOut | Reply:
    shop = _my_shop(require_caller())
    try:
        item, added = shops.add_item(shop, body.product_id, max_items=_max_items(), note=body.note)
    except shops.ProductUnavailable as error:
        raise _field_problem(422, "product_id", str(error)) from None
    except shops.ShopFull as error:
        raise ApiProblem(409, str(error)) from None
    except shops.ShopError as error:
        raise _field_problem(422, "note", str(error)) from None
    _commit()
    return _item_out(item) if added else Reply(_item_out(item), 200)


@endpoint(blueprint, "PATCH", "/me/shop/items/<int:product_id>", summary="Change an item's note or place", tag="shop",
          access=Access.USER, body=ItemPatch, responses={200: ShopItemOut})
def update_shop_item(product_id: int, body: ItemPatch) -> ShopItemOut:
    shop = _my_shop(require_caller())
    item = _my_item(shop, product_id)
    try:
        if body.note is not None:
            shops.set_item_note(shop, product_id, body.note)
        if body.position is not None:
            shops.place_item(shop, product_id, body.position)
    except shops.ItemNotInShop:
        raise _not_in_shop() from None
    except shops.ShopError as error:
        raise _field_problem(422, "note", str(error)) from None
    _commit()
    return _item_out(item)


@endpoint(blueprint, "DELETE", "/me/shop/items/<int:product_id>", summary="Remove a product from my shop", tag="shop",
          access=Access.USER, responses={204: None})
def remove_shop_item(product_id: int) -> None:
    shop = _my_shop(require_caller())
    _my_item(shop, product_id)
    try:
        shops.remove_item(shop, product_id)
    except shops.ItemNotInShop:
        raise _not_in_shop() from None
    _commit()


# Looks ------------------------------------------------------------------------------------


@endpoint(blueprint, "GET", "/me/shop/looks", summary="My looks", tag="shop", access=Access.USER, responses={200: LookList})
def list_my_looks() -> LookList:
    shop = _my_shop(require_caller())
    return LookList(items=[_look_out(shop, look) for look in shop.looks])


@endpoint(blueprint, "POST", "/me/shop/looks", summary="Create a look", tag="shop", access=Access.USER, body=LookIn,
          responses={201: LookOut}, description="Every product must be in the shop (else 422).")
def create_my_look(body: LookIn) -> LookOut:
    shop = _my_shop(require_caller())
    try:
        look = shops.create_look(shop, title=body.title, description=body.description, product_ids=body.product_ids)
    except shops.ShopError as error:
        raise ApiProblem(422, str(error)) from None
    _commit()
    return _look_out(shop, look)


@endpoint(blueprint, "GET", "/me/shop/looks/<int:look_id>", summary="One of my looks", tag="shop", access=Access.USER,
          responses={200: LookOut})
def get_my_look(look_id: int) -> LookOut:
    shop = _my_shop(require_caller())
    return _look_out(shop, _my_look(shop, look_id))


@endpoint(blueprint, "PATCH", "/me/shop/looks/<int:look_id>", summary="Change a look", tag="shop", access=Access.USER,
          body=LookPatch, responses={200: LookOut},
          description="Omitted fields stay; `product_ids` replaces the look's products. Its slug (and URL) never changes.")
def update_my_look(look_id: int, body: LookPatch) -> LookOut:
    shop = _my_shop(require_caller())
    look = _my_look(shop, look_id)
    try:
        shops.update_look(
            shop, look, title=look.title if body.title is None else body.title,
            description=look.description if body.description is None else body.description,
            product_ids=[item.product_id for item in look.items] if body.product_ids is None else body.product_ids,
        )
    except shops.ShopError as error:
        raise ApiProblem(422, str(error)) from None
    _commit()
    return _look_out(shop, look)


@endpoint(blueprint, "DELETE", "/me/shop/looks/<int:look_id>", summary="Delete a look", tag="shop", access=Access.USER,
          responses={204: None})
def delete_my_look(look_id: int) -> None:
    shop = _my_shop(require_caller())
    shops.delete_look(shop, _my_look(shop, look_id))
    _commit()


# Share links ------------------------------------------------------------------------------


@endpoint(blueprint, "POST", "/me/shop/links", summary="A share link for my shop, a look or a product", tag="shop",
          access=Access.USER, body=LinkIn, responses={201: LinkOut, 200: LinkOut},
          description="One link per (target, channel): 200 with the same code when it exists already.")
def create_share_link(body: LinkIn) -> LinkOut | Reply:
    shop = _my_shop(require_caller())
    target_type = LinkTarget(body.target.type)
    target_id = body.target.id or 0
    existed = share.find_share_link(shop, target_type, target_id, body.channel) is not None
    try:
        link = share.get_or_create_link(shop, target_type, target_id, body.channel)
    except share.TargetNotShareable as error:
        raise _field_problem(422, "target.id", str(error)) from None
    except share.ShareError as error:
        raise ApiProblem(503, str(error), headers={"Retry-After": "1"}) from None
    _commit()
    return Reply(_link_out(link), 200) if existed else _link_out(link)


# Public shops -----------------------------------------------------------------------------


@endpoint(blueprint, "GET", "/shops/<handle>", summary="A published shop", tag="shop", access=Access.PUBLIC,
          responses={200: PublicShopOut}, description="Drafts and suspended shops are 404.")
def get_public_shop(handle: str) -> PublicShopOut:
    try:
        shop = shops.get_public_shop(handle)
    except (shops.ShopNotFound, shops.ShopSuspended):
        raise ApiProblem(404, _("There is no published shop with this handle.")) from None
    return PublicShopOut(
        handle=shop.handle, title=shop.title, bio=shop.bio, accent_colour=shop.accent_colour,
        items=[_item_out(item) for item in shop.items], looks=[_look_out(shop, look) for look in shop.looks], **_urls(shop),
    )
