"""Opening, curating and moderating personal shops. Flush, never commit."""
from __future__ import annotations

from collections.abc import Iterator

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy import Connection, ScalarSelect, Select, bindparam, func, select
from sqlalchemy.orm import contains_eager, lazyload, with_expression

from storefront import clock
from storefront.audit.services import record_audit
from storefront.catalog.models import Category, Product
from storefront.catalog.services import slugify
from storefront.extensions import db
from storefront.listing import Page, clamp_page, contains_pattern
from storefront.shops.models import Look, LookItem, Shop, ShopItem, ShopStatus
from storefront.states import StateMachine

log = logging.getLogger(__name__)

HANDLE_PATTERN = re.compile(r"^[a-z0-9_-]{3,30}$")
ACCENT_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
NOTE_MAX_LENGTH = 500
#: Words a handle may not be: our own paths, and names that would mislead visitors.
RESERVED_HANDLES = frozenset(
    """about account accounts admin administrator api app assets cart categories checkout contact
    discover help healthz home login logout looks me media official operator operators orders pay
    payments privacy products root s search settings share shop shops signup static store support
    terms vitrine webhooks www""".split()
)

#: The too-long message of each field, as whole sentences: other languages inflect the words around a field's name.
_TOO_LONG = {
    "title": _l("The title is %(length)d characters long; the limit is %(limit)d."),
    "bio": _l("The bio is %(length)d characters long; the limit is %(limit)d."),
    "note": _l("The note is %(length)d characters long; the limit is %(limit)d."),
    "description": _l("The description is %(length)d characters long; the limit is %(limit)d."),
}

PUBLICATION = StateMachine[ShopStatus](
    "shop",
    {ShopStatus.DRAFT: frozenset({ShopStatus.PUBLISHED}), ShopStatus.PUBLISHED: frozenset({ShopStatus.DRAFT})},
)


class ShopError(Exception):
    """A shop change that cannot be made; the message is safe to show to the curator."""


class HandleInvalid(ShopError):
    pass


class HandleTaken(ShopError):
    pass


class ShopFull(ShopError):
    """The shop holds SHOP_MAX_ITEMS products already."""


class ProductUnavailable(ShopError):
    """The product is not (any more) in the store's catalog."""


class ItemNotInShop(ShopError):
    pass


class ShopNotFound(LookupError):
    pass


class ShopSuspended(Exception):
    """The shop exists but an operator suspended it: answer 410."""


class LookNotFound(LookupError):
    pass


def normalize_handle(text: str) -> str:
    return text.strip().removeprefix("@").lower()


def check_handle(handle: str) -> str:
    """The normalized handle, or HandleInvalid / HandleTaken with a message that says why."""
    handle = normalize_handle(handle)
    if not HANDLE_PATTERN.match(handle):
        raise HandleInvalid(_("A handle has 3 to 30 characters: lower-case letters, digits, “-” and “_”."))
    if handle in RESERVED_HANDLES:
        raise HandleInvalid(_("“%(handle)s” is reserved. Please choose another handle.", handle=handle))
    if db.session.scalar(select(Shop.id).where(Shop.handle == handle)) is not None:
        raise HandleTaken(_("“%(handle)s” is taken. Please choose another handle.", handle=handle))
    return handle


def clean_text(text: str, max_length: int, what: Literal["title", "bio", "note", "description"]) -> str:
    """Plain text as typed, minus control characters; too long is an error, not a silent cut."""
    text = "".join(ch for ch in text.replace("\r\n", "\n") if ch == "\n" or unicodedata.category(ch)[0] != "C").strip()
    if len(text) > max_length:
        raise ShopError(_TOO_LONG[what] % {"length": len(text), "limit": max_length})
    return text


def check_accent(colour: str) -> str:
    if not ACCENT_PATTERN.match(colour.strip()):
        raise ShopError(_("The accent colour must look like #b4442f."))
    return colour.strip().lower()


def open_shop(user_id: int, handle: str, title: str, bio: str = "", accent_colour: str = "#b4442f") -> Shop:
    """A new draft shop for the user; one shop per user."""
    if find_shop_for_user(user_id) is not None:
        raise ShopError(_("You already have a shop."))
    shop = Shop(
        user_id=user_id, handle=check_handle(handle), title=clean_text(title, 80, "title") or normalize_handle(handle),
        bio=clean_text(bio, 280, "bio"), accent_colour=check_accent(accent_colour), status=ShopStatus.DRAFT,
    )
    db.session.add(shop)
    db.session.flush()
    log.info("user %s opened shop %s (@%s)", user_id, shop.id, shop.handle)
    return shop


def touch_shop(shop: Shop) -> None:
    """Record a change to the shop's items, notes or looks (a change to its own row counts by itself):
    its cached public page is not served again. An SQL increment, so two edits committed at once make two versions.
    """
    shop.version = Shop.version + 1  # type: ignore[assignment]


def update_shop_profile(shop: Shop, *, title: str, bio: str, accent_colour: str) -> None:
    shop.title = clean_text(title, 80, "title") or shop.handle
    shop.bio = clean_text(bio, 280, "bio")
    shop.accent_colour = check_accent(accent_colour)


def set_shop_avatar(shop: Shop, webp: bytes | None) -> None:
    """Store an already re-encoded avatar (None goes back to the generated one)."""
    shop.avatar_webp = webp
    shop.avatar_version += 1


def publish_shop(shop: Shop) -> bool:
    """Make the shop public; it needs at least one product. False when it already was."""
    if not PUBLICATION.check(ShopStatus(shop.status), ShopStatus.PUBLISHED):
        return False
    if not shop.items:
        raise ShopError(_("Add at least one product before you publish."))
    shop.status = ShopStatus.PUBLISHED
    shop.published_at = shop.published_at or clock.now()
    return True


def unpublish_shop(shop: Shop) -> bool:
    if not PUBLICATION.check(ShopStatus(shop.status), ShopStatus.DRAFT):
        return False
    shop.status = ShopStatus.DRAFT
    return True


def find_shop_for_user(user_id: int) -> Shop | None:
    return db.session.scalar(select(Shop).where(Shop.user_id == user_id))


def find_shop_by_handle(handle: str) -> Shop | None:
    return db.session.scalar(select(Shop).where(Shop.handle == normalize_handle(handle)))


@dataclass(frozen=True)
class ShopVersions:
    """What keys a public shop's cached page: its id, its version and the sum of its products' versions."""

    id: int
    version: int
    catalog_version: int


def public_shop_versions(handle: str, *, connection: Connection | None = None) -> ShopVersions | None:
    """The versions of the public shop at `handle`, read without loading the shop, on `connection` (default: the
    session's); None when no public shop is there (missing, a draft, suspended), for `get_public_shop` to tell which."""
    if len(handle) > 31:
        return None
    # Past the ORM: a plain row needs none of its work, and every visit asks.
    connection = connection or db.session.connection()
    row = connection.execute(_public_versions_query(), {"handle": normalize_handle(handle)}).one_or_none()
    if row is None:
        return None
    shop_id, version, catalog_version, status, suspended_at = row
    if status != ShopStatus.PUBLISHED or suspended_at is not None:
        return None
    return ShopVersions(id=shop_id, version=version, catalog_version=catalog_version)


def _catalog_version() -> ScalarSelect[int]:
    # Each item's product is looked up by its key: written as a join, PostgreSQL's planner chose to hash all the
    # catalog's products for a shop's 60 (1.4 ms per visit with 3,000 products, against 0.25 ms).
    product_version = select(Product.version).where(Product.id == ShopItem.product_id).scalar_subquery()
    return (
        select(func.coalesce(func.sum(product_version), 0))
        .where(ShopItem.shop_id == Shop.id)
        .scalar_subquery()
    )


@functools.cache
def _public_versions_query() -> Select[tuple[int, int, int, ShopStatus, datetime | None]]:
    return select(Shop.id, Shop.version, _catalog_version(), Shop.status, Shop.suspended_at).where(
        Shop.handle == bindparam("handle")
    )


@functools.cache
def _shop_with_catalog_version() -> Select[tuple[Shop]]:
    """The shop by :handle, with catalog_version: the sum of its products' versions, which grows whenever one changes.

    Built once, and without the owner's account (loaded if ever needed): the public pages ask for it on every visit.
    """
    return (
        select(Shop)
        .where(Shop.handle == bindparam("handle"))
        .options(with_expression(Shop.catalog_version, _catalog_version()), lazyload(Shop.user))
    )


def get_public_shop(handle: str, *, viewer_id: int | None = None) -> Shop:
    """The shop as the public sees it, with its catalog_version; its owner also sees it as a draft.

    Raises ShopNotFound or ShopSuspended.
    """
    shop = db.session.scalar(_shop_with_catalog_version(), {"handle": normalize_handle(handle)}) if len(handle) <= 31 else None
    if shop is None:
        raise ShopNotFound(handle)
    if shop.is_suspended:
        raise ShopSuspended(handle)
    if not shop.is_published and shop.user_id != viewer_id:
        raise ShopNotFound(handle)
    return shop


# Curating ---------------------------------------------------------------------------------


def _lock(shop: Shop) -> None:
    """Serialize edits of one shop, so two tabs cannot both take the last free slot."""
    db.session.execute(select(Shop.id).where(Shop.id == shop.id).with_for_update())


def _item(shop: Shop, product_id: int) -> ShopItem:
    item = db.session.scalar(select(ShopItem).where(ShopItem.shop_id == shop.id, ShopItem.product_id == product_id))
    if item is None:
        raise ItemNotInShop(_("That product is not in your shop."))
    return item


def _renumber(items: list[ShopItem]) -> None:
    for position, item in enumerate(items):
        item.position = position


def add_item(shop: Shop, product_id: int, *, max_items: int, note: str = "") -> tuple[ShopItem, bool]:
    """Put a catalog product in the shop; returns the item and whether it is new (adding twice is harmless)."""
    _lock(shop)
    existing = db.session.scalar(select(ShopItem).where(ShopItem.shop_id == shop.id, ShopItem.product_id == product_id))
    if existing is not None:
        return existing, False
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise ProductUnavailable(_("This product is not in the store's catalog any more."))
    count = db.session.scalar(select(func.count()).select_from(ShopItem).where(ShopItem.shop_id == shop.id)) or 0
    if count >= max_items:
        raise ShopFull(
            ngettext(
                "Your shop is full: it holds at most %(num)d product. Remove one to make room — a tight selection sells better.",
                "Your shop is full: it holds at most %(num)d products. Remove one to make room — a tight selection sells better.",
                max_items,
            )
        )
    item = ShopItem(shop_id=shop.id, product_id=product_id, note=clean_text(note, NOTE_MAX_LENGTH, "note"), position=count)
    db.session.add(item)
    touch_shop(shop)
    db.session.flush()
    db.session.expire(shop, ["items"])
    return item, True


def remove_item(shop: Shop, product_id: int) -> None:
    _lock(shop)
    item = _item(shop, product_id)
    db.session.delete(item)
    touch_shop(shop)
    db.session.flush()
    db.session.expire(shop, ["items"])
    _renumber(list(shop.items))


def set_item_note(shop: Shop, product_id: int, note: str) -> ShopItem:
    item = _item(shop, product_id)
    item.note = clean_text(note, NOTE_MAX_LENGTH, "note")
    touch_shop(shop)
    return item


def move_item(shop: Shop, product_id: int, offset: int) -> None:
    """Move an item up (-1) or down (+1); moving past either end does nothing."""
    _lock(shop)
    items = list(shop.items)
    index = next((i for i, item in enumerate(items) if item.product_id == product_id), None)
    if index is None:
        raise ItemNotInShop(_("That product is not in your shop."))
    target = index + offset
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
        _renumber(items)
        touch_shop(shop)


def reorder_items(shop: Shop, product_ids: list[int]) -> None:
    """Put the items in exactly this order; the list must name every item once."""
    _lock(shop)
    items = {item.product_id: item for item in shop.items}
    if sorted(product_ids) != sorted(items):
        raise ShopError(_("The new order must list every product in your shop exactly once. Reload the page and try again."))
    _renumber([items[product_id] for product_id in product_ids])
    touch_shop(shop)


def place_item(shop: Shop, product_id: int, position: int) -> None:
    """Move an item to this 0-based position (past the end means last); the others keep their order."""
    others = [item.product_id for item in shop.items if item.product_id != product_id]
    if len(others) == len(shop.items):
        raise ItemNotInShop(_("That product is not in your shop."))
    others.insert(min(position, len(others)), product_id)
    reorder_items(shop, others)


def shop_product_ids(user_id: int) -> set[int]:
    """The products in the user's shop (for "In my shop" on catalog pages)."""
    query = select(ShopItem.product_id).join(Shop, Shop.id == ShopItem.shop_id).where(Shop.user_id == user_id)
    return set(db.session.scalars(query))


# Looks ------------------------------------------------------------------------------------


def _look_slug(shop: Shop, title: str, look_id: int | None) -> str:
    base = slugify(title)[:70]
    if base == "item":  # a title with no Latin letters or digits, e.g. 办公周
        base = "look"
    taken = set(db.session.scalars(select(Look.slug).where(Look.shop_id == shop.id, Look.id != (look_id or 0))))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _set_look_items(shop: Shop, look: Look, product_ids: list[int]) -> None:
    items = {item.product_id: item for item in shop.items}
    unknown = [product_id for product_id in product_ids if product_id not in items]
    if unknown:
        raise ShopError(_("A look can only hold products that are in your shop."))
    look.entries = [
        LookItem(shop_item_id=items[product_id].id, position=position)
        for position, product_id in enumerate(dict.fromkeys(product_ids))
    ]


def create_look(shop: Shop, *, title: str, description: str, product_ids: list[int]) -> Look:
    title = clean_text(title, 80, "title")
    if not title:
        raise ShopError(_("Give the look a title, such as “Office week”."))
    look = Look(shop_id=shop.id, title=title, description=clean_text(description, 1000, "description"),
                slug=_look_slug(shop, title, None), position=len(shop.looks))
    _set_look_items(shop, look, product_ids)
    db.session.add(look)
    touch_shop(shop)
    db.session.flush()
    db.session.expire(shop, ["looks"])
    return look


def update_look(shop: Shop, look: Look, *, title: str, description: str, product_ids: list[int]) -> None:
    title = clean_text(title, 80, "title")
    if not title:
        raise ShopError(_("Give the look a title, such as “Office week”."))
    # The slug stays: links to this look have been shared already.
    look.title = title
    look.description = clean_text(description, 1000, "description")
    _set_look_items(shop, look, product_ids)
    touch_shop(shop)
    db.session.flush()


def delete_look(shop: Shop, look: Look) -> None:
    db.session.delete(look)
    touch_shop(shop)
    db.session.flush()
    db.session.expire(shop, ["looks"])


def get_look_by_id(shop: Shop, look_id: int) -> Look:
    """One of this shop's looks; another shop's look is as good as missing."""
    look = db.session.scalar(select(Look).where(Look.shop_id == shop.id, Look.id == look_id))
    if look is None:
        raise LookNotFound(str(look_id))
    return look


def get_look(shop: Shop, slug: str) -> Look:
    look = db.session.scalar(select(Look).where(Look.shop_id == shop.id, Look.slug == slug[:80]))
    if look is None:
        raise LookNotFound(slug)
    return look


# Public listings --------------------------------------------------------------------------


class ShopSort(StrEnum):
    NEWEST = "newest"
    MOST_PRODUCTS = "most_products"

    @classmethod
    def parse(cls, value: str | None) -> ShopSort:
        try:
            return cls(value or cls.NEWEST)
        except ValueError:
            return cls.NEWEST


@dataclass(frozen=True)
class ShopCard:
    shop: Shop
    item_count: int


def _public() -> tuple[object, ...]:
    return (Shop.status == ShopStatus.PUBLISHED, Shop.suspended_at.is_(None))


def list_public_shops(sort: ShopSort, page: int, per_page: int) -> Page[ShopCard]:
    counts = (
        select(ShopItem.shop_id, func.count().label("item_count")).group_by(ShopItem.shop_id).subquery()
    )
    item_count = func.coalesce(counts.c.item_count, 0)
    total = db.session.scalar(select(func.count()).select_from(Shop).where(*_public())) or 0
    page = clamp_page(page, total, per_page)
    ordering = (
        (Shop.published_at.desc(), Shop.id.desc()) if sort is ShopSort.NEWEST else (item_count.desc(), Shop.id.desc())
    )
    query = (
        select(Shop, item_count)
        .outerjoin(counts, counts.c.shop_id == Shop.id)
        .where(*_public())
        .order_by(*ordering)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    cards = [ShopCard(shop, count) for shop, count in db.session.execute(query)]
    return Page(items=cards, page=page, per_page=per_page, total=total)


@functools.cache
def _recommendation_order() -> tuple[object, ...]:
    """Those with a note first, most recent first (one order for the page and for its cache key)."""
    return ((ShopItem.note == ""), ShopItem.created_at.desc(), ShopItem.id.desc())


def _recommendations(limit: int) -> Select[tuple[ShopItem]]:
    """Items of :product_id with their shops in the same query; built once, since every product page asks."""
    return (
        select(ShopItem)
        .join(Shop, Shop.id == ShopItem.shop_id)
        .where(ShopItem.product_id == bindparam("product_id"), *_public())
        .options(contains_eager(ShopItem.shop).lazyload(Shop.user), lazyload(ShopItem.product))
        .order_by(*_recommendation_order())
        .limit(limit)
    )


#: Curators shown on a product's page.
RECOMMENDATIONS = 3


def list_recommendations(product_id: int, limit: int = RECOMMENDATIONS) -> list[ShopItem]:
    """Public shops that picked this product, those with a note first, most recent first (item.shop is loaded)."""
    return list(db.session.scalars(_recommendations(limit), {"product_id": product_id}))


def product_page_facts(slug: str, *, connection: Connection | None = None) -> tuple[object, ...] | None:
    """What the product page shows that can change, read as plain rows on `connection` (default: the session's) for the
    page's cache key: the active product's version, stock and category, and its recommendations (as
    `list_recommendations` gives them) with their curators' shop versions and notes. None when no active product has
    `slug`. Two statements, no objects: every visit asks."""
    connection = connection or db.session.connection()
    product = connection.execute(_product_facts(), {"slug": slug}).one_or_none()
    if product is None:
        return None
    recommended = connection.execute(_recommendation_facts(), {"product_id": product[0]}).all()
    return (*product, tuple(tuple(row) for row in recommended))


@functools.cache
def _product_facts() -> Select[tuple[int, int, int, str, str]]:
    return (
        select(Product.id, Product.version, Product.stock, Category.slug, Category.name)
        .join(Category, Category.id == Product.category_id)
        .where(Product.slug == bindparam("slug"), Product.active.is_(True))
    )


@functools.cache
def _recommendation_facts() -> Select[tuple[int, str, int, int, str, str, int]]:
    return (
        select(ShopItem.id, ShopItem.note, Shop.id, Shop.version, Shop.handle, Shop.title, Shop.avatar_version)
        .join(Shop, Shop.id == ShopItem.shop_id)
        .where(ShopItem.product_id == bindparam("product_id"), *_public())
        .order_by(*_recommendation_order())
        .limit(RECOMMENDATIONS)
    )


def find_attributing_shop_id(handle: str, product_id: int) -> int | None:
    """The shop to carry on a cart line: only a public shop that really holds the product."""
    query = (
        select(Shop.id)
        .join(ShopItem, ShopItem.shop_id == Shop.id)
        .where(Shop.handle == normalize_handle(handle)[:30], ShopItem.product_id == product_id, *_public())
    )
    return db.session.scalar(query)


def earning_shop_ids(shop_ids: set[int]) -> set[int]:
    """Which of these shops may still be credited with a sale (public: published and not suspended)."""
    if not shop_ids:
        return set()
    return set(db.session.scalars(select(Shop.id).where(Shop.id.in_(shop_ids), *_public())))


def earning_pairs(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (shop id, product id) pairs whose shop is public and still holds the product."""
    if not pairs:
        return set()
    query = (
        select(ShopItem.shop_id, ShopItem.product_id)
        .join(Shop, Shop.id == ShopItem.shop_id)
        .where(ShopItem.shop_id.in_({shop for shop, _ in pairs}), ShopItem.product_id.in_({product for _, product in pairs}))
        .where(*_public())
    )
    return {(shop, product) for shop, product in db.session.execute(query)} & pairs


# Moderation -------------------------------------------------------------------------------


def suspend_shop(shop: Shop, *, actor_user_id: int, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ShopError(_("Say why the shop is suspended; the curator and the audit log will see it."))
    if shop.is_suspended:
        raise ShopError(_("This shop is already suspended."))
    shop.suspended_at = clock.now()
    shop.suspension_reason = reason[:500]
    record_audit(actor_user_id=actor_user_id, action="shop.suspend", subject_type="shop", subject_id=shop.id, reason=reason)


def reinstate_shop(shop: Shop, *, actor_user_id: int, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ShopError(_("Say why the suspension is lifted, for the audit log."))
    if not shop.is_suspended:
        raise ShopError(_("This shop is not suspended."))
    shop.suspended_at = None
    shop.suspension_reason = ""
    record_audit(actor_user_id=actor_user_id, action="shop.reinstate", subject_type="shop", subject_id=shop.id, reason=reason)


def _shop_search(text: str):  # type: ignore[no-untyped-def]
    query = select(Shop).order_by(Shop.created_at.desc(), Shop.id.desc())
    if text.strip():
        pattern = contains_pattern(text.strip().lstrip("@").lower())
        query = query.where(Shop.handle.like(pattern, escape="\\") | func.lower(Shop.title).like(pattern, escape="\\"))
    return query


def search_shops(text: str, *, page: int = 1, per_page: int = 50) -> Page[Shop]:
    """For operators: shops whose handle or title contains the text, suspended ones included."""
    query = _shop_search(text)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp_page(page, total, per_page)
    return Page(items=list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page))), page=page, per_page=per_page, total=total)


def all_shops(text: str) -> Iterator[Shop]:
    yield from db.session.scalars(_shop_search(text).execution_options(yield_per=500))
