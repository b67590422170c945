"""A bounded load test of share links against gunicorn on loopback: no 5xx, and exactly the clicks the rules predict.

Twenty thousand requests on PostgreSQL, four thousand on SQLite, follow 50 links of five
curators' shops, sent by 500 browsers (`vt_visitor` cookies) and strangers over 16
keep-alive connections. A counted click costs the app about 10 ms of CPU, so two cores
serve about 100 a second: 4,000 take about 40 s on SQLite (where every transaction also
takes the one write lock); 20,000 take about 4 minutes on PostgreSQL. Each browser's
requests go through one connection, one after another, as a browser's taps do.

The rules that predict what is stored (share/views.py `follow`, share/visits.py,
share/services.py `record_click`, share/rollups.py): a HEAD, a prefetch, a crawler or an
<img> load is redirected and not counted; an unknown code is a 404; the per-network rate
limit is set far above the load; every other request stores one Click and one Touch and
adds one click to its link's hour, and a visitor adds one visitor to the link the first
time that day (a request without a valid visitor cookie is a new visitor each time). The
curators' time zone is chosen so that their day cannot end during the run.
"""
from __future__ import annotations

import http.client
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from storefront.extensions import db
from tests.conftest import TEST_DATABASE_URL, empty_every_table
from tests.e2e.conftest import free_port, gunicorn

REQUESTS = 20_000 if TEST_DATABASE_URL else 4_000
LINKS_PER_SHOP = 10
SHOPS = 5
VISITORS = 500
CONNECTIONS = 16
SEED = 20261130
MOBILE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
CRAWLER = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
UNKNOWN_CODE = "zzzzzzzz"


class Kind(StrEnum):
    BROWSER = "a browser with its visitor cookie"
    STRANGER = "a browser without a valid visitor cookie"
    PREFETCH = "a prefetch"
    CRAWLER = "a link-preview crawler"
    HEAD = "a HEAD request"
    IMAGE = "an <img> load"
    UNKNOWN_LINK = "a code no link has"


COUNTED = {Kind.BROWSER, Kind.STRANGER}
#: How often each kind is sent (the rest are browsers).
MIX = ((Kind.STRANGER, 0.04), (Kind.PREFETCH, 0.04), (Kind.CRAWLER, 0.04), (Kind.HEAD, 0.03), (Kind.IMAGE, 0.03),
       (Kind.UNKNOWN_LINK, 0.02))


@dataclass(frozen=True)
class Visit:
    code: str
    kind: Kind
    visitor: int

    @property
    def visitor_id(self) -> str:
        return f"loadvisitor{self.visitor:05d}"

    @property
    def user_agent(self) -> str:
        return CRAWLER if self.kind is Kind.CRAWLER else (MOBILE if self.visitor % 3 else DESKTOP)

    def request(self, number: int) -> tuple[str, dict[str, str]]:
        headers = {"User-Agent": self.user_agent}
        if self.kind is Kind.STRANGER:
            if number % 2:
                headers["Cookie"] = "vt_visitor=not-a-visitor-id!"  # malformed: read as no cookie
        elif self.kind is not Kind.CRAWLER:
            headers["Cookie"] = f"vt_visitor={self.visitor_id}"
        if self.kind is Kind.PREFETCH:
            headers["Sec-Purpose"] = "prefetch"
        elif self.kind is Kind.IMAGE:
            headers["Sec-Fetch-Dest"] = "image"
        elif self.kind is Kind.BROWSER and number % 2:
            headers["Sec-Fetch-Dest"] = "document"
        return ("HEAD" if self.kind is Kind.HEAD else "GET"), headers


def plan_visits(codes: list[str]) -> list[Visit]:
    rng = random.Random(SEED)
    visits = []
    for _ in range(REQUESTS):
        draw, kind = rng.random(), Kind.BROWSER
        for candidate, share in MIX:
            if draw < share:
                kind = candidate
                break
            draw -= share
        code = UNKNOWN_CODE if kind is Kind.UNKNOWN_LINK else rng.choice(codes)
        visits.append(Visit(code, kind, rng.randrange(VISITORS)))
    return visits


@dataclass
class Prediction:
    statuses: Counter[int]
    clicks: Counter[str]
    visitors: Counter[str]
    devices: Counter[str]


def predict(visits: list[Visit]) -> Prediction:
    """What the rules say is stored, per link code."""
    prediction = Prediction(Counter(), Counter(), Counter(), Counter())
    seen: set[tuple[str, int]] = set()
    for visit in visits:
        prediction.statuses[404 if visit.kind is Kind.UNKNOWN_LINK else 302] += 1
        if visit.kind not in COUNTED:
            continue
        prediction.clicks[visit.code] += 1
        prediction.devices["mobile" if visit.user_agent == MOBILE else "desktop"] += 1
        if visit.kind is Kind.STRANGER:
            prediction.visitors[visit.code] += 1
        elif (visit.code, visit.visitor) not in seen:
            prediction.visitors[visit.code] += 1
            seen.add((visit.code, visit.visitor))
    return prediction


def send_all(base_url: str, visits: list[Visit]) -> tuple[Counter[int], list[str]]:
    """Each browser's visits in order on one keep-alive connection; CONNECTIONS connections at once."""
    host, port = base_url.removeprefix("http://").split(":")
    lanes: list[list[tuple[int, Visit]]] = [[] for _ in range(CONNECTIONS)]
    for number, visit in enumerate(visits):
        lanes[(visit.visitor if visit.kind is Kind.BROWSER else number) % CONNECTIONS].append((number, visit))

    def drive(lane: list[tuple[int, Visit]]) -> tuple[Counter[int], list[str]]:
        statuses: Counter[int] = Counter()
        problems: list[str] = []
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            for number, visit in lane:
                method, headers = visit.request(number)
                try:
                    connection.request(method, f"/s/{visit.code}", headers=headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as error:
                    # Not retried: a request the server may have counted must not be sent twice.
                    problems.append(f"{visit}: {error!r}")
                    connection.close()
                    continue
                statuses[response.status] += 1
        finally:
            connection.close()
        return statuses, problems

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        results = list(pool.map(drive, lanes))
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    for lane_statuses, lane_problems in results:
        statuses.update(lane_statuses)
        problems += lane_problems
    return statuses, problems


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now: a run of minutes cannot cross the curators' midnight."""
    offset = 12 - now.hour  # -11..12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def empty_tables() -> None:
    """Remove what the test committed: TRUNCATE on PostgreSQL; on SQLite, delete every row (the ledger stays empty here)."""
    if TEST_DATABASE_URL:
        empty_every_table()
        return
    from storefront.extensions import Base

    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))


@pytest.fixture
def link_codes(app: Any) -> Iterator[list[str]]:
    """Five published shops, ten links each (the shop on every channel, a product on two), committed for real."""
    from share.models import Channel, LinkTarget
    from share.services import get_or_create_link
    from storefront.accounts.services import create_user
    from storefront.catalog.models import Category, Product
    from storefront.shops import services as shops

    zone = midday_zone(datetime.now(UTC))
    codes = []
    with app.test_request_context():
        category = Category(name="Load", slug="load")
        products = [Product(sku=f"LOAD-{n}", slug=f"load-{n}", title=f"Load {n}", price_minor=1000, currency="USD", stock=10,
                            category=category) for n in range(2)]
        db.session.add_all(products)
        for number in range(SHOPS):
            curator = create_user(f"loaded{number}@example.com", f"Loaded {number}", "correct horse battery")
            curator.time_zone = zone
            db.session.flush()
            shop = shops.open_shop(curator.id, f"loaded-{number}", f"Loaded {number}")
            for product in products:
                shops.add_item(shop, product.id, max_items=60)
            shops.publish_shop(shop)
            links = [get_or_create_link(shop, LinkTarget.SHOP, 0, channel) for channel in Channel]
            links += [get_or_create_link(shop, LinkTarget.PRODUCT, products[0].id, channel) for channel in (Channel.X, Channel.EMAIL)]
            codes += [link.code for link in links]
        db.session.commit()
        db.session.remove()
    assert len(codes) == SHOPS * LINKS_PER_SHOP and UNKNOWN_CODE not in codes
    yield codes
    with app.app_context():
        empty_tables()


@pytest.fixture
def click_server(database_url: str, link_codes: list[str], tmp_path: Path) -> Iterator[str]:
    """gunicorn as `make serve` runs it (two gthread workers), on the test database, the click rate limit far above the load."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key", "PAYMENT_PROVIDER": "test",
        "BASE_URL": base_url, "SHARE_CLICK_RATE_LIMIT": "1000000 per minute", "FLASK_APP": "wsgi",
    }
    log_path = tmp_path / "gunicorn.log"
    with gunicorn(env, port, log_path) as served:
        yield served
    assert "could not record a click" not in log_path.read_text(), log_path.read_text()[-4000:]


def stored_by_code(app: Any) -> dict[str, Any]:
    from commissions.analytics import cli as analytics
    from share.models import Click, LinkHour, ShareLink, Touch, TouchKind

    with app.app_context():
        code_of = dict(db.session.execute(select(ShareLink.id, ShareLink.code)).all())
        hours = db.session.execute(
            select(LinkHour.link_id, func.sum(LinkHour.clicks), func.sum(LinkHour.visitors)).group_by(LinkHour.link_id)
        ).all()
        clicks = db.session.execute(select(Click.link_id, func.count()).group_by(Click.link_id)).all()
        unique = db.session.execute(
            select(Click.link_id, func.count()).where(Click.unique_visit.is_(True)).group_by(Click.link_id)
        ).all()
        devices = db.session.execute(select(Click.device_class, func.count()).group_by(Click.device_class)).all()
        touches = db.session.execute(
            select(func.count(), func.count(Touch.click_id)).where(Touch.kind == TouchKind.CLICK)
        ).one()
        stored = {
            "clicks": Counter({code_of[link_id]: count for link_id, count in clicks}),
            "hour clicks": Counter({code_of[link_id]: int(count) for link_id, count, _visitors in hours}),
            "hour visitors": Counter({code_of[link_id]: int(visitors) for link_id, _count, visitors in hours}),
            "unique visits": Counter({code_of[link_id]: count for link_id, count in unique}),
            "devices": Counter(dict(devices)),
            "touches": touches,
            "rebuild differences": analytics.differences(),
        }
        db.session.remove()
    return stored


def test_share_link_load_answers_without_5xx_and_stores_exactly_the_counted_clicks(app: Any, link_codes: list[str],
                                                                                    click_server: str) -> None:
    # given a planned load and what the rules say it stores
    visits = plan_visits(link_codes)
    expected = predict(visits)
    counted = sum(expected.clicks.values())

    # when it is sent
    started = time.monotonic()
    statuses, problems = send_all(click_server, visits)
    elapsed = time.monotonic() - started

    # then every request was answered as predicted, and the database holds exactly the predicted clicks
    assert problems == [] and statuses == expected.statuses, (problems[:5], statuses, f"{elapsed:.1f}s")
    stored = stored_by_code(app)
    assert stored["clicks"] == expected.clicks
    assert stored["hour clicks"] == expected.clicks
    assert stored["hour visitors"] == expected.visitors
    assert stored["unique visits"] == expected.visitors  # every visit falls within one 30-minute window
    assert stored["devices"] == expected.devices
    assert stored["touches"] == (counted, counted)
    assert stored["rebuild differences"] == []
