"""Hostile inputs against every page and form: a 4xx with a message or a normal answer, never a 500, never a live script.

Every rule of the app's URL map (but static files, the health check and the API, which
tests/api/test_contract.py fuzzes) is tried as three identities — a visitor, a curator with a
published shop and an operator — with hostile path variables, query parameters, form fields
and cookies. Each identity shares one database state across its routes (rolled back at the
end), which keeps the run short; every offending (route, field, payload) is reported at once.
"""
from __future__ import annotations

import functools
import inspect
import io
import itertools
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from werkzeug.routing import IntegerConverter, Rule, UnicodeConverter
from werkzeug.security import generate_password_hash
from werkzeug.test import stream_encode_multipart
from wtforms import FileField
from wtforms.fields.core import UnboundField

from share.visits import ATTRIBUTION_COOKIE, VISITOR_COOKIE
from storefront import clock, create_app
from storefront.extensions import db
from tests.conftest import CUSTOMER_FORM, Browser, FrozenClock

SCRIPT = "<script>alert(1)</script>"
LONG = "100,000 characters"
PAYLOADS: dict[str, str] = {
    LONG: "x" * 100_000,
    "NUL bytes": "a\x00b\x00",
    "RTL override and emoji": "\u202etxt.exe 😀🛍️‍🔥",
    "script tag": SCRIPT,
    "SQL injection": "' OR 1=1 --",
    "-1": "-1",
    "0": "0",
    "huge integer": "99999999999999999999",
    "1e309": "1e309",
    "NaN": "NaN",
    "empty": "",
    "whitespace only": " \t\n ",
}
#: Integer converters refuse a sign and bound the value (int(max=…)): these probe the edges they let through.
INTEGER_PATH_VALUES = {"-1": "-1", "0": "0", "the converter's max": "999999999", "huge integer": "99999999999999999999"}
COMMON_QUERY_NAMES = {"page", "days", "from", "to", "q", "next"}
GARBAGE_COOKIE = 'garbage"\\;%00ü{' + "z" * 300
SKIPPED_PREFIXES = ("/static/", "/api/")
SKIPPED_RULES = {"/healthz"}
#: These change who is signed in: the identity is restored after each of their requests.
CHANGES_IDENTITY = {"accounts.login", "accounts.signup", "accounts.logout", "accounts.logout_everywhere"}
#: These take away what other routes need (the look, the shop's items, its publication, the pending order, the
#: product's visibility): they run after every other route of the identity.
RUN_LAST = {
    "shops.delete_look", "shops.remove_item", "shops.unpublish", "orders.cancel",
    "operator.suspend", "operator_catalog.edit_product",
}
PASSWORD = "correct horse battery"
IDENTITIES = ["anonymous", "curator", "operator"]


def _rules_of_a_throwaway_app() -> list[Rule]:
    """The URL map, read at collection time from an app of its own (no database is touched)."""
    with tempfile.TemporaryDirectory(prefix="vitrine-url-map-") as folder:
        settings = {
            "TESTING": True, "SECRET_KEY": "probe", "INSTANCE_PATH": folder, "DATABASE_URL": f"sqlite:///{folder}/unused.sqlite3",
        }
        rules = [
            rule for rule in create_app(settings).url_map.iter_rules()
            if not rule.rule.startswith(SKIPPED_PREFIXES) and rule.rule not in SKIPPED_RULES
        ]
    return sorted(rules, key=lambda rule: (rule.endpoint in RUN_LAST, rule.rule, rule.endpoint))


RULES = _rules_of_a_throwaway_app()


# --- What each view reads -------------------------------------------------------------------

_ARGS_READ = re.compile(r"""request\.args(?:\.get)?(?:\(|\[)\s*["'](\w+)["']""")
_FORM_READ = re.compile(r"""request\.form(?:\.get|\.getlist)?(?:\(|\[)\s*["']([\w-]+)["']""")
#: `choose_period(request.args, …)` reads these.
PERIOD_NAMES = {"days", "from", "to"}


@dataclass(frozen=True)
class Reads:
    """What a view reads: query parameters, form fields, and which of those fields are file uploads."""

    query: tuple[str, ...]
    form: tuple[str, ...]
    files: frozenset[str]


@functools.cache
def reads_of(view: Callable[..., Any]) -> Reads:
    """Found in the view's source and that of its module's own functions it calls, however deep."""
    view = inspect.unwrap(view)
    module = sys.modules[view.__module__]
    seen: set[Any] = set()
    sources, pending = [], [view]
    while pending:
        function = pending.pop()
        if function in seen:
            continue
        seen.add(function)
        source = inspect.getsource(function)
        sources.append(source)
        for name in re.findall(r"\b(\w+)\(", source):
            candidate = vars(module).get(name)
            if inspect.isfunction(candidate) and candidate.__module__ == module.__name__:
                pending.append(inspect.unwrap(candidate))
    query = {name for source in sources for name in _ARGS_READ.findall(source)}
    if any("choose_period(request.args" in source for source in sources):
        query |= PERIOD_NAMES
    form = {name for source in sources for name in _FORM_READ.findall(source)}
    files = set()
    for class_name in {name for source in sources for name in re.findall(r"\b(\w+Form)\b", source)}:
        form_class = vars(module).get(class_name)
        if isinstance(form_class, type) and issubclass(form_class, FlaskForm):
            for name in dir(form_class):
                unbound = getattr(form_class, name, None)
                if isinstance(unbound, UnboundField):
                    form.add(name)
                    if issubclass(unbound.field_class, FileField):
                        files.add(name)
    return Reads(tuple(sorted(query)), tuple(sorted(form)), frozenset(files))


# --- One database state per identity ---------------------------------------------------------

def _seed(app: Flask, frozen: FrozenClock) -> dict[str, Any]:
    """A catalog; a curator's published shop with a look and a share link; a sale old enough to be paid out (in a
    payout run), a recent paid sale and a pending order of the curator's own; a curator tier; an operator."""
    from sqlalchemy import select

    from commissions import payout_runs, rules, services as commissions
    from commissions.models import Commission, PayoutMethod
    from commissions.notifications.models import Notice
    from share.models import Channel, LinkTarget
    from share.services import get_or_create_link
    from storefront.accounts import services as accounts
    from storefront.accounts.models import Role
    from storefront.catalog.models import Category, Product
    from storefront.checkout.services import StoreSettings
    from storefront.orders import services as orders
    from storefront.orders.services import CustomerDetails, RequestedLine
    from storefront.payments.providers import active_provider
    from storefront.payments.services import start_payment, start_payout_onboarding
    from storefront.shops import services as shops

    with app.test_request_context():
        category = Category(name="Apparel", slug="apparel", position=1)
        products = [
            Product(sku=f"HOSTILE-{n}", slug=f"hostile-tee-{n}", title=f"Tee {n}", description="A tee.", price_minor=2500,
                    currency="USD", stock=1000, active=True, featured=n == 1, image="", category=category)
            for n in (1, 2)
        ]
        db.session.add_all([category, *products])
        curator = accounts.create_user("curator@example.com", "Ana", PASSWORD)
        operator = accounts.create_user("operator@example.com", "Ops", PASSWORD, role=Role.OPERATOR)
        db.session.flush()
        shop = shops.open_shop(curator.id, "ana-hostile", "Ana's picks")
        for product in products:
            shops.add_item(shop, product.id, max_items=60, note="Love it.")
        look = shops.create_look(shop, title="Weekend", description="Easy.", product_ids=[products[0].id])
        shops.publish_shop(shop)
        link = get_or_create_link(shop, LinkTarget.SHOP, 0, Channel.WHATSAPP)
        tier = rules.add_tier("Silver", "USD", 100_000, 100)
        db.session.commit()

        settings = StoreSettings.from_config(app.config)
        provider = active_provider()

        def order_for(user_id: int | None, quantity: int, *, pay: bool) -> tuple[Any, Any]:
            order = orders.place_order(
                [RequestedLine(products[0].id, quantity, shop.id)], CustomerDetails(**dict(CUSTOMER_FORM)), user_id=user_id,
                currency=settings.currency, shipping=settings.shipping, payment_timeout=settings.payment_timeout,
            )
            db.session.commit()
            payment, _url = start_payment(order, provider)
            if pay:
                provider.pay(  # type: ignore[attr-defined]
                    order=order, reference=payment.reference, card_number="4242424242424242",
                )
            db.session.commit()
            return order, payment

        # 1,000.00 of sales 40 days ago: a commission of 50.00, available now, reserved in a manual payout run.
        frozen.advance(days=-40)
        order_for(None, 40, pay=True)
        frozen.advance(days=40)
        commissions.mature_due()
        run = payout_runs.start_run(PayoutMethod.MANUAL, currency="USD", minimum_minor=app.config["PAYOUT_MIN_MINOR"],
                                    provider=provider, started_by_user_id=operator.id).run
        db.session.commit()
        onboarding = start_payout_onboarding(
            curator.id, curator.email, provider, return_url="/me/earnings", refresh_url="/me/earnings",
        )
        db.session.commit()
        paid, _payment = order_for(None, 1, pay=True)
        pending, pending_payment = order_for(curator.id, 1, pay=False)
        commission = db.session.scalars(select(Commission).where(Commission.order_id == paid.id)).one()
        notice = db.session.scalars(select(Notice).where(Notice.user_id == curator.id)).first()
        payout_id = str(run.payouts[0].id)
        return {
            # path variables (any other integer id: 1, which exists or answers 404)
            "handle": shop.handle, "look": look.slug, "category": category.slug, "product": products[0].slug,
            "number": pending.number, "paid_number": paid.number, "reference": pending_payment.reference, "code": link.code,
            "product_id": str(products[0].id), "shop_id": str(shop.id), "category_id": str(category.id),
            "target": "product", "target_id": str(products[0].id), "provider_name": "test", "action": "hold",
            "commission_id": str(commission.id), "run_id": str(run.id), "payout_id": payout_id, "tier_id": str(tier.id),
            "notice_id": str(notice.id if notice else 1),
            "onboarding": urlsplit(onboarding).path.rsplit("/", 1)[-1],
            # form fields
            "sku": products[0].sku, "product_ids": [str(product.id) for product in products], "shop": shop.handle,
            f"line-{paid.lines[0].id}": "1.00",
        }


_new_skus = itertools.count(1)
#: Sensible values for the fields not under attack, so that the hostile one gets past the others' checks.
#: A callable gives a fresh value for each request.
BASELINE: dict[str, str | Callable[[], Any]] = {
    **CUSTOMER_FORM,
    "page": "1", "days": "30", "from": "2026-11-01", "to": "2026-11-21", "q": "tee", "next": "/cart", "sort": "newest",
    "status": "", "curator": "", "number": "", "add": "", "quantity": "1",
    "password": PASSWORD, "confirm": PASSWORD, "display_name": "Bia", "handle": "bia-new", "title": "A title", "bio": "Hi.",
    "accent_colour": "#b4442f", "description": "Nice.", "note": "Great.", "direction": "up", "remove_avatar": "",
    "reason": "Checked by hand", "request_token": "a1b2c3d4e5f6a7b8c9d0", "what": "amount", "amount": "1.00",
    "rate": "5", "min_sales": "100.00", "name": "Gold", "bonus": "1", "method": "manual", "time_zone": "Europe/Lisbon",
    "card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123", "price": "19.90", "new_category": "",
    "stock": "5", "commission_rate": "", "active": "y", "featured": "", "update_stock": "",
    "file": lambda: (io.BytesIO(b"sku,title,price,category\nIMPORTED-1,Imported tee,12.50,Apparel\n"), "catalog.csv"),
}
#: A parameter the views read only when others are absent (`days` gives way to a `from`–`to` range).
READ_ONLY_WITHOUT = {"days": ("from", "to")}
#: Where one view needs other sensible values than the rest; several sets: its fields are tried against each.
ENDPOINT_BASELINES: dict[str, list[dict[str, str | Callable[[], Any]]]] = {
    "operator_catalog.new_product": [{"sku": lambda: f"NEW-{next(_new_skus)}"}],
    "operator.refund": [{"what": "amount"}, {"what": "lines"}],
}
#: Fields whose names the view builds (`line-<order line id>`), from the seeded values.
EXTRA_FORM_FIELDS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "operator.refund": lambda values: [name for name in values if name.startswith("line-")],
}


def hostile_file(name: str, payload: str) -> tuple[io.BytesIO, str]:
    """An upload holding the payload: in every cell of a catalog CSV, or as the whole of a picture."""
    if name == "file":
        row = ",".join([payload] * 5)
        return io.BytesIO(f"sku,title,price,category,stock\n{row}\n".encode()), "catalog.csv"
    return io.BytesIO(payload.encode()), "picture.png"


@dataclass
class World:
    """One identity: its browser, and what its requests can point at."""

    app: Flask
    identity: str
    values: dict[str, Any]
    browser: Browser = field(init=False)
    cart_filled: bool = False
    #: The status of the last answer (the probes adapt to it).
    last_status: int = 0

    def __post_init__(self) -> None:
        self.restore_identity()

    @property
    def email(self) -> str | None:
        return None if self.identity == "anonymous" else f"{self.identity}@example.com"

    def restore_identity(self) -> None:
        """A fresh browser, signed in as the identity."""
        self.browser = Browser(self.app.test_client())
        if self.email:
            self.browser.log_in(self.email, PASSWORD)

    def sensible(self, endpoint: str, names: tuple[str, ...], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        values: dict[str, Any] = {**BASELINE, **self.values, **(overrides or ENDPOINT_BASELINES.get(endpoint, [{}])[0])}
        return {name: values[name]() if callable(values[name]) else values[name] for name in names if name in values}


@pytest.fixture(scope="module", params=IDENTITIES)
def world(request: pytest.FixtureRequest, app: Flask) -> Iterator[World]:
    """One rolled-back database state for all of an identity's routes, like the `database` fixture but per module."""
    from storefront.accounts import services as accounts

    connection = db.engine.connect()
    outer = connection.begin()
    settings = dict(db.session_factory.kw)
    db.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    frozen = FrozenClock(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    previous_clock = clock.set_source(frozen.now)
    with pytest.MonkeyPatch.context() as patch:
        # Hundreds of log-ins and password checks: a one-round hash keeps them cheap (hashing is not under test here).
        cheap = functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
        patch.setattr(accounts, "generate_password_hash", cheap)
        patch.setattr(accounts, "_DUMMY_HASH", cheap("not-a-real-password"))
        try:
            values = _seed(app, frozen)
            db.session.remove()
            yield World(app, request.param, values)
        finally:
            clock.set_source(previous_clock)
            db.session.remove()
            outer.rollback()
            connection.close()
            db.session_factory.kw = settings


@pytest.fixture
def generous_limits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile log-ins and sign-ups reach the form's checks instead of the rate limit."""
    for name in ("LOGIN_ACCOUNT_RATE_LIMIT", "LOGIN_IP_RATE_LIMIT", "SIGNUP_RATE_LIMIT"):
        monkeypatch.setitem(app.config, name, "100000 per minute")


# --- Requests and verdicts --------------------------------------------------------------------

def valid_path_value(rule: Rule, name: str, values: dict[str, Any]) -> str:
    if name == "slug":
        if rule.endpoint == "catalog.category":
            return values["category"]
        return values["product"] if rule.endpoint.startswith("catalog.") else values["look"]
    if name == "number" and rule.endpoint.startswith("operator."):
        return values["paid_number"]
    if name == "reference" and rule.endpoint == "payments.test_onboarding":
        return values["onboarding"]
    return values.get(name, "1")


def build_path(rule: Rule, values: dict[str, Any], hostile: dict[str, str] | None = None) -> str:
    parts = {name: valid_path_value(rule, name, values) for name in rule.arguments}
    parts.update(hostile or {})
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<[^<>]*\b{name}>", lambda _match, name=name: quote(parts[name], safe=""), path)
    return path


def string_path_variables(rule: Rule) -> list[str]:
    """Path variables that take any text (integer and `any(…)` converters refuse text at routing)."""
    return [name for name, converter in rule._converters.items() if type(converter) is UnicodeConverter]


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    where: str
    payload: str
    query: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] = field(default_factory=dict)
    cookie_header: str | None = None


def probes(rule: Rule, method: str, world: World, refused: bool) -> Iterator[Probe]:
    """Every hostile request for one rule and method.

    An identity refused at the door gets each payload once, everywhere at once. Otherwise each
    path variable, then each field the view reads, is hostile on its own while the others hold
    sensible values, so that it gets past their checks; a GET also gets every query parameter
    it reads, and the common ones (page, days, from, to, q, next), hostile at once — and, when
    that page was not shown, each parameter it reads alone.
    """
    reads = reads_of(world.app.view_functions[rule.endpoint])
    form_names = form_fields(rule.endpoint, method, world)
    path = build_path(rule, world.values)

    def sensible_query() -> dict[str, Any]:
        return world.sensible(rule.endpoint, reads.query)

    def sensible_form(overrides: dict[str, Any] | None = None, **hostile: str) -> dict[str, Any]:
        form = world.sensible(rule.endpoint, form_names, overrides)
        for name, payload in hostile.items():
            form[name] = hostile_file(name, payload) if name in reads.files else payload
        return form

    for payload_name, payload in PAYLOADS.items():
        # The long payload goes only where the view reads it: a megabyte query string costs the test client dearly.
        every_query = dict.fromkeys(reads.query if payload_name == LONG else {*reads.query, *COMMON_QUERY_NAMES}, payload)
        if refused:
            hostile_path = build_path(rule, world.values, dict.fromkeys(string_path_variables(rule), payload))
            every_field = sensible_form(**dict.fromkeys(form_names, payload))
            yield Probe(method, hostile_path, "every variable and field", payload_name, every_query, every_field)
            continue
        for name in string_path_variables(rule):
            hostile_path = build_path(rule, world.values, {name: payload})
            yield Probe(method, hostile_path, f"path <{name}>", payload_name, sensible_query(), sensible_form())
        every_one_read = True
        if method == "GET":
            yield Probe(method, path, "every query parameter", payload_name, every_query)
            # A page shown (200) read them all; a refusal may have stopped at the first, so each goes alone too.
            every_one_read = world.last_status == 200 or len(reads.query) < 2
        for name in reads.query if not every_one_read or method == "POST" else ():
            others = {other: value for other, value in sensible_query().items() if other not in READ_ONLY_WITHOUT.get(name, ())}
            yield Probe(method, path, f"?{name}", payload_name, {**others, name: payload}, sensible_form())
        rounds = ENDPOINT_BASELINES.get(rule.endpoint, [{}])
        for overrides in rounds:
            shown = ", ".join(f"{key}={value}" for key, value in overrides.items() if isinstance(value, str))
            besides = f" ({shown})" if len(rounds) > 1 else ""
            for name in form_names:
                hostile_form = sensible_form(overrides, **{name: payload})
                yield Probe(method, path, f"form {name}{besides}", payload_name, sensible_query(), hostile_form)
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            for value_name, value in INTEGER_PATH_VALUES.items():
                hostile_path = build_path(rule, world.values, {name: value})
                yield Probe(method, hostile_path, f"path <{name}>", value_name, sensible_query(), sensible_form())
    # The visits' cookies (share/visits.py) beside the real session, then beside a garbage one too.
    visit_cookies = [VISITOR_COOKIE, ATTRIBUTION_COOKIE, "vt_touches"]
    garbage_visits = "; ".join(f"{name}={GARBAGE_COOKIE}" for name in visit_cookies)
    session_name = world.app.config["SESSION_COOKIE_NAME"]
    session = world.browser.client.get_cookie(session_name)
    if session is not None:
        yield Probe(method, path, f"cookies {', '.join(visit_cookies)}", "garbage",
                    cookie_header=f"{session_name}={session.value}; {garbage_visits}")
    yield Probe(method, path, f"cookies {', '.join([session_name, *visit_cookies])}", "garbage",
                cookie_header=f"{session_name}={GARBAGE_COOKIE}; {garbage_visits}")


def form_fields(endpoint: str, method: str, world: World) -> tuple[str, ...]:
    if method != "POST":
        return ()
    extra = EXTRA_FORM_FIELDS.get(endpoint, lambda _values: [])(world.values)
    return (*reads_of(world.app.view_functions[endpoint]).form, *extra)


def sensible_probe(rule: Rule, method: str, world: World) -> Probe:
    reads = reads_of(world.app.view_functions[rule.endpoint])
    form = world.sensible(rule.endpoint, form_fields(rule.endpoint, method, world))
    query = world.sensible(rule.endpoint, reads.query)
    return Probe(method, build_path(rule, world.values), "every field", "sensible values", query, form)


def send(world: World, probe: Probe) -> Any:
    if probe.path == "/checkout" and not world.cart_filled:
        # The checkout reads its form only with something in the cart (and a placed order empties it).
        world.browser.add_to_cart(int(world.values["product_id"]))
    response = _send(world, probe)
    world.last_status = response.status_code
    world.cart_filled = not (probe.path == "/checkout" and 300 <= response.status_code < 400)
    return response


def _send(world: World, probe: Probe) -> Any:
    if probe.cookie_header is not None:
        client = world.app.test_client(use_cookies=False)
        data = {"csrf_token": world.browser.csrf_token()} if probe.method == "POST" else None
        return client.open(probe.path, method=probe.method, data=data, headers={"Cookie": probe.cookie_header})
    if probe.method == "POST" and any(isinstance(value, tuple) for value in probe.form.values()):
        # Encoded here, in memory: the test client spools a large multipart body to a file it never closes.
        form = {"csrf_token": world.browser.csrf_token(), **probe.form}
        fields = {
            name: FileStorage(value[0], filename=value[1]) if isinstance(value, tuple) else value for name, value in form.items()
        }
        body, _length, boundary = stream_encode_multipart(fields, use_tempfile=False)
        return world.browser.client.post(probe.path, data=body.getvalue(), query_string=probe.query,
                                         content_type=f'multipart/form-data; boundary="{boundary}"')
    if probe.method == "POST":
        return world.browser.post(probe.path, probe.form, query_string=probe.query)
    return world.browser.client.open(probe.path, method=probe.method, query_string=probe.query)


def refused_at_the_door(response: Any) -> bool:
    """Sent to log in, or forbidden: the view itself never ran."""
    return response.status_code == 403 or (300 <= response.status_code < 400 and (response.location or "").startswith("/login"))


def complaint(response: Any) -> str | None:
    """What is wrong with the answer, or None."""
    if response.status_code >= 500:
        return f"answered {response.status_code}"
    body = response.get_data()
    if 400 <= response.status_code < 500 and not body.strip():
        return f"answered {response.status_code} with an empty body"
    if response.mimetype == "text/html" and SCRIPT.encode() in body:
        return "echoed <script>alert(1)</script> unescaped"
    return None


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{'+'.join(sorted(rule.methods - {'HEAD', 'OPTIONS'}))} {rule.rule}")
def test_hostile_inputs_never_answer_500(
    app: Flask, world: World, rule: Rule, generous_limits: None, caplog: pytest.LogCaptureFixture,
) -> None:
    # given the live app's own rule (the parametrization was read from a throwaway app)
    live = [other for other in app.url_map.iter_rules() if (other.rule, other.endpoint) == (rule.rule, rule.endpoint)]
    assert live, f"{rule.rule} is not in the app's URL map"
    rule = live[0]
    offences: list[str] = []
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        # when sensible values, then each hostile request, are sent
        sensible = sensible_probe(rule, method, world)
        response = send(world, sensible)
        refused = refused_at_the_door(response)
        # (lazily: the probes adapt to the answers before them)
        for probe in itertools.chain([sensible], probes(rule, method, world, refused)):
            if probe is not sensible:
                response = send(world, probe)
            if rule.endpoint in CHANGES_IDENTITY and 300 <= response.status_code < 400:
                world.restore_identity()
            problem = complaint(response)
            if problem:
                offences.append(f"{method} {probe.where} = {probe.payload}: {problem}")
    # then none answered 500, an empty 4xx or a live script
    errors = [f"{record.getMessage()}\n{record.exc_text or ''}" for record in caplog.records if record.levelname == "ERROR"]
    assert not offences, f"[{world.identity}] {rule.rule}:\n" + "\n".join(offences) + "\n\n" + "\n".join(errors[:3])
