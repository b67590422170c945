"""Demo accounts and curators' shops for a fresh `make run`; safe to load again (nothing is duplicated)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.accounts.models import Role, User
from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.shops import services as shops

log = logging.getLogger(__name__)

#: Shown in the README; for a local demo only — never run `flask demo load` on a public server.
DEMO_PASSWORDS = {"shopper": "demo-shopper-pass", "operator": "demo-operator-pass", "curator": "demo-curator-pass"}


@dataclass(frozen=True)
class DemoShop:
    email: str
    name: str
    handle: str
    title: str
    bio: str
    accent: str
    picks: dict[str, str]
    look_title: str
    look_description: str
    look_skus: list[str] = field(default_factory=list)


DEMO_SHOPS = [
    DemoShop(
        "ana@demo.example.com", "Ana Souza", "ana", "Ana's linen days",
        "São Paulo. Light fabrics, comfortable shoes, and a tote for everything.", "#b4442f",
        {
            "APP-DRS-008": "My summer uniform: belt it for the office, wear it loose on Sundays.",
            "APP-VNK-002": "The slub jersey drapes well and survives a hundred washes.",
            "SHO-SNK-011": "Half a size up if you wear thick socks.",
            "BAG-TOT-020": "Fits a laptop, groceries and a sweater. I take it everywhere.",
            "BAG-SUN-024": "Polarized for the price of a lunch. The round frame suits most faces.",
            "BAG-CRS-022": "Just big enough for phone, keys and a lipstick.",
            "BTY-SER-041": "Two drops every morning under sunscreen.",
            "HOM-MUG-030": "My coffee tastes better in it. Science can't explain it.",
        },
        "Weekend market", "Saturday morning at the feira: light, hands free, ready for the sun.",
        ["BAG-TOT-020", "APP-DRS-008", "SHO-SNK-011", "BAG-SUN-024"],
    ),
    DemoShop(
        "wei@demo.example.com", "李伟 (Li Wei)", "liwei", "Wei's desk setup",
        "Shanghai. I review gadgets for my friends before they buy them.", "#1f5f8b",
        {
            "ELC-HPH-049": "The noise cancelling makes open offices bearable.",
            "ELC-KBD-055": "Quiet keys, three devices, one small keyboard.",
            "ELC-MSE-056": "Saved my wrist. Takes a day to get used to.",
            "BAG-BPK-021": "Survived a typhoon season. The laptop sleeve is padded.",
            "ELC-SPK-052": "Loud enough for a picnic, small enough for a pocket.",
            "HOM-KTL-031": "Precise pour for tea and pour-over coffee.",
        },
        "Work from anywhere", "Everything I carry to a café for a day of work.",
        ["BAG-BPK-021", "ELC-HPH-049", "ELC-KBD-055", "ELC-MSE-056"],
    ),
    DemoShop(
        "bia@demo.example.com", "Bia Costa", "bia-moves", "Move every day",
        "Runner, yogi, and a little bit lazy on Sundays.", "#2f7a45",
        {
            "SHO-RUN-012": "Light, soft, and fine for 10 km. Not for trails.",
            "SPT-MAT-061": "Does not slip even in hot yoga.",
            "SPT-BTL-060": "Ice lasts all day in my bag.",
            "ELC-SWT-053": "Heart rate is accurate enough for training zones.",
            "SPT-SOK-067": "Buy two packs. Trust me.",
            "APP-HOD-005": "For the cool-down walk home.",
        },
        "Morning run", "Out the door at six: the kit I reach for without thinking.",
        ["SHO-RUN-012", "SPT-SOK-067", "ELC-SWT-053", "SPT-BTL-060"],
    ),
]


def _ensure_user(email: str, name: str, password: str, role: Role = Role.CUSTOMER) -> User:
    user = accounts.find_user_by_email(email)
    return user if user is not None else accounts.create_user(email, name, password, role=role)


def load_demo_data(max_items: int) -> list[str]:
    """Create what is missing of the demo accounts and shops; returns what was created."""
    created: list[str] = []
    for email, name, role, password in [
        ("shopper@demo.example.com", "Demo Shopper", Role.CUSTOMER, DEMO_PASSWORDS["shopper"]),
        ("operator@demo.example.com", "Demo Operator", Role.OPERATOR, DEMO_PASSWORDS["operator"]),
    ]:
        if accounts.find_user_by_email(email) is None:
            _ensure_user(email, name, password, role)
            created.append(email)
    products = {p.sku: p for p in db.session.scalars(select(Product))}
    for demo in DEMO_SHOPS:
        user = _ensure_user(demo.email, demo.name, DEMO_PASSWORDS["curator"])
        if shops.find_shop_for_user(user.id) is not None:
            continue
        shop = shops.open_shop(user.id, demo.handle, demo.title, demo.bio, demo.accent)
        for sku, note in demo.picks.items():
            if sku in products and products[sku].active:
                shops.add_item(shop, products[sku].id, max_items=max_items, note=note)
        look_ids = [products[sku].id for sku in demo.look_skus if sku in products and products[sku].active]
        shops.create_look(shop, title=demo.look_title, description=demo.look_description, product_ids=look_ids)
        if shop.items:
            shops.publish_shop(shop)
        created.append(f"@{demo.handle}")
    log.info("demo data: created %s", ", ".join(created) or "nothing")
    return created
