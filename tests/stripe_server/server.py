"""localstripe plus what it lacks, served on 127.0.0.1 from memory: `python -m tests.stripe_server.server --port N`.

localstripe (GPL) stays a separate test-only process; this module only imports it, it is never
imported by the application. What we add on top of it:

- memory-only state: localstripe's pickle in /tmp is never read nor written;
- `POST/GET /v1/checkout/sessions[...]`, `/v1/accounts`, `/v1/account_links`, `/v1/transfers[...]`;
- `/_test/...` endpoints standing in for the customer and the dashboard (pay or expire a session,
  finish a Connect onboarding, reverse a transfer); they emit the events Stripe would;
- Idempotency-Key replay for every `POST /v1/...`, localstripe's own resources included;
- `GET /v1/events` newest first (Stripe's order; localstripe lists oldest first) with `type`
  (`*` wildcard), `types[]`, `created` (exact or gt/gte/lt/lte), `limit`, `starting_after`, `ending_before`;
- events shaped like Stripe's (`api_version`, `pending_webhooks`, `request`), refunds emitting
  `refund.created` and `charge.refunded` (localstripe emits nothing for refunds), and a PaymentIntent's
  `latest_charge` exported as an id unless expanded (localstripe embeds the whole charge).
"""
from __future__ import annotations

import argparse
import copy
import fnmatch
import re
import secrets
import string
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from localstripe import server as localstripe_server
from localstripe import webhooks as localstripe_webhooks
from localstripe.errors import UserError
from localstripe.resources import Charge, Event, PaymentIntent, PaymentMethod, Refund, Store, store

app = localstripe_server.app  # localstripe's own application: its routes are copied into ours.

# Events carry the API version that stripe-python 16.1 pins (its objects are read that way).
API_VERSION = "2026-10-28.endive"
SUCCEEDING_CARD = "4242424242424242"
SESSION_LIFETIME = 24 * 60 * 60
ACCOUNT_LINK_LIFETIME = 5 * 60
_ALPHANUMERIC = string.ascii_letters + string.digits
_COUNTRY_CURRENCY = {
    "US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "BR": "brl", "CH": "chf", "JP": "jpy", "MX": "mxn",
    "FR": "eur", "DE": "eur", "ES": "eur", "IT": "eur", "PT": "eur", "NL": "eur", "BE": "eur", "IE": "eur", "AT": "eur",
}


# ---------------------------------------------------------------------------------------------
# Memory only: localstripe pickles its whole store to /tmp/localstripe.pickle on every write and
# reloads it at start; neither may happen here (tests must not see each other's runs).

def _no_disk(self: Store) -> None:
    return None


Store.try_load_from_disk = _no_disk  # type: ignore[method-assign]
Store.dump_to_disk = _no_disk  # type: ignore[method-assign]


def _rid(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def _now() -> int:
    return int(time.time())


# ---------------------------------------------------------------------------------------------
# Events

_NO_REQUEST: dict[str, str | None] = {"id": None, "idempotency_key": None}
# The API request being served: events it causes name it, as Stripe's do; dashboard-like /_test/ calls name none.
_current_request: ContextVar[dict[str, str | None]] = ContextVar("stripe_request", default=_NO_REQUEST)

_localstripe_event_init = Event.__init__


def _event_init(self: Event, type: str, data: Any) -> None:  # noqa: A002 - localstripe's signature
    _localstripe_event_init(self, type, data)
    self.api_version = API_VERSION
    self.pending_webhooks = sum(
        1 for hook in localstripe_webhooks._webhooks.values() if hook.events is None or type in hook.events
    )
    self.request = dict(_current_request.get())


Event.__init__ = _event_init  # type: ignore[method-assign]


class _Snapshot:
    """Lets localstripe's Event wrap one of our plain-dict objects (it calls `_export()` once, at creation)."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = copy.deepcopy(obj)

    def _export(self, expand: Any = None) -> dict[str, Any]:
        return copy.deepcopy(self.obj)


def emit(type_: str, obj: Any, previous_attributes: dict[str, Any] | None = None) -> Event:
    """Record an event (listed by GET /v1/events) and deliver it to the registered webhooks, as localstripe does."""
    event = Event(type_, obj if hasattr(obj, "_export") else _Snapshot(obj))
    if previous_attributes is not None:
        event.data["previous_attributes"] = copy.deepcopy(previous_attributes)
    localstripe_webhooks.schedule_webhook(event)
    return event


# Refunds: localstripe emits no event at all; Stripe emits refund.created and charge.refunded.
_localstripe_refund_init = Refund.__init__


def _refund_init(self: Refund, *args: Any, **kwargs: Any) -> None:
    _localstripe_refund_init(self, *args, **kwargs)
    emit("refund.created", self)
    emit("charge.refunded", Charge._api_retrieve(self.charge))


Refund.__init__ = _refund_init  # type: ignore[method-assign]

# A PaymentIntent's latest_charge is an id in Stripe's API unless expanded; localstripe embeds the charge.
_localstripe_payment_intent_export = PaymentIntent._export


def _payment_intent_export(self: PaymentIntent, expand: Any = None) -> dict[str, Any]:
    obj = _localstripe_payment_intent_export(self, expand=expand)
    charge = obj.get("latest_charge")
    expanded = any(path == "latest_charge" or path.startswith("latest_charge.") for path in expand or [])
    if isinstance(charge, dict) and not expanded:
        obj["latest_charge"] = charge["id"]
    return obj


PaymentIntent._export = _payment_intent_export  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Parameters and errors, the way Stripe words them

def _error(message: str, *, param: str | None = None, code: str | None = None, status: int = 400) -> UserError:
    contents: dict[str, Any] = {}
    if param is not None:
        contents["param"] = param
    if code is not None:
        contents["code"] = code
    return UserError(status, message, contents)


def _no_such(kind: str, id_: str, *, param: str | None = None, status: int = 404) -> UserError:
    return _error(f"No such {kind}: '{id_}'", param=param, code="resource_missing", status=status)


def _check_known(data: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    for key in data:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise _error(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")


def _required(data: dict[str, Any], key: str, param: str | None = None) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise _error(f"Missing required param: {param or key}.", param=param or key, code="parameter_missing")
    return value


def _int(value: Any, param: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not re.fullmatch(r"-?\d+", str(value)):
        raise _error(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")
    number = int(value)
    if minimum is not None and number < minimum:
        raise _error(f"This value must be greater than or equal to {minimum}.", param=param, code="parameter_invalid_integer")
    return number


def _bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _error(f"Invalid boolean: {value}", param=param, code="parameter_invalid_boolean")


def _string(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise _error(f"Invalid string: {value!r}", param=param, code="parameter_invalid_string")
    return value


def _url(value: Any, param: str) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise _error("Not a valid URL", param=param, code="url_invalid")
    return value


def _currency(value: Any, param: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value):
        raise _error(f"Invalid currency: {value}", param=param, code="parameter_invalid_string")
    return value.lower()


def _metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _error("Invalid object", param=param, code="parameter_invalid_object")
    if len(value) > 50 or any(len(k) > 40 or len(v) > 500 for k, v in value.items()):
        raise _error("Metadata can have up to 50 keys of 40 characters and values of 500.", param=param)
    return {k: v for k, v in value.items() if v != ""}


def _expand(data: dict[str, Any]) -> list[str]:
    value = data.pop("expand", None) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _error("Invalid array", param="expand", code="parameter_invalid_array")
    return value


async def _form(request: web.Request) -> dict[str, Any]:
    data = await localstripe_server.get_post_data(request)
    return dict(data) if data else {}


def _query(request: web.Request) -> dict[str, Any]:
    return dict(localstripe_server.unflatten_data(request.query) or {})


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _page(
    url: str,
    items: list[Any],
    query: dict[str, Any],
    *,
    ident: Callable[[Any], str] = lambda item: item["id"],
    export: Callable[[Any], dict[str, Any]] = lambda item: item,
) -> dict[str, Any]:
    """A Stripe list page over `items` (already newest first); pops the paging parameters from `query`."""
    limit = _int(query.pop("limit", 10), "limit", minimum=1)
    if limit > 100:
        raise _error("This value must be less than or equal to 100.", param="limit", code="parameter_invalid_integer")
    starting_after, ending_before = query.pop("starting_after", None), query.pop("ending_before", None)
    ids = [ident(item) for item in items]

    def position(id_: str, param: str) -> int:
        try:
            return ids.index(id_)
        except ValueError:
            raise _no_such("object", id_, param=param, status=400) from None

    if starting_after:
        start = position(starting_after, "starting_after") + 1
        window, has_more = items[start:start + limit], len(items) > start + limit
    elif ending_before:
        end = position(ending_before, "ending_before")
        start = max(0, end - limit)
        window, has_more = items[start:end], start > 0
    else:
        window, has_more = items[:limit], len(items) > limit
    return {"object": "list", "url": url, "has_more": has_more, "data": [export(item) for item in window]}


def _respond(obj: Any) -> web.Response:
    return localstripe_server.json_response(obj)


# ---------------------------------------------------------------------------------------------
# Our resources, kept in memory next to localstripe's store

@dataclass
class _Session:
    data: dict[str, Any]
    line_items: list[dict[str, Any]]
    payment_intent_data: dict[str, Any]
    awaiting_async_result: bool = False


@dataclass
class _Objects:
    sessions: dict[str, _Session] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)


objects = _Objects()

_SESSION_PARAMS = {
    "mode", "line_items", "success_url", "cancel_url", "customer_email", "client_reference_id", "metadata",
    "payment_method_types", "expand", "locale", "payment_intent_data", "expires_at", "submit_type",
    "billing_address_collection", "allow_promotion_codes",
}
_PAYMENT_INTENT_DATA_PARAMS = {"metadata", "description", "transfer_group"}


def _line_item(raw: Any, index: int) -> dict[str, Any]:
    param = f"line_items[{index}]"
    if not isinstance(raw, dict):
        raise _error("Invalid object", param=param, code="parameter_invalid_object")
    if "price" in raw:
        raise _error(f"No such price: '{raw['price']}' (the local Stripe knows no Prices: use price_data)",
                     param=f"{param}[price]", code="resource_missing")
    _check_known(raw, {"price_data", "quantity"}, param)
    price_data = _required(raw, "price_data", f"{param}[price_data]")
    if not isinstance(price_data, dict):
        raise _error("Invalid object", param=f"{param}[price_data]", code="parameter_invalid_object")
    _check_known(price_data, {"currency", "unit_amount", "product_data", "tax_behavior"}, f"{param}[price_data]")
    currency = _currency(_required(price_data, "currency", f"{param}[price_data][currency]"), f"{param}[price_data][currency]")
    unit_amount = _int(_required(price_data, "unit_amount", f"{param}[price_data][unit_amount]"),
                       f"{param}[price_data][unit_amount]", minimum=1)
    product_data = _required(price_data, "product_data", f"{param}[price_data][product_data]")
    if not isinstance(product_data, dict):
        raise _error("Invalid object", param=f"{param}[price_data][product_data]", code="parameter_invalid_object")
    _check_known(product_data, {"name", "description", "images", "metadata"}, f"{param}[price_data][product_data]")
    name = _string(_required(product_data, "name", f"{param}[price_data][product_data][name]"),
                   f"{param}[price_data][product_data][name]")
    quantity = _int(_required(raw, "quantity", f"{param}[quantity]"), f"{param}[quantity]", minimum=1)
    created = _now()
    return {
        "id": "li_" + _rid(24),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": unit_amount * quantity,
        "amount_tax": 0,
        "amount_total": unit_amount * quantity,
        "currency": currency,
        "description": name,
        "price": {
            "id": "price_" + _rid(24), "object": "price", "active": False, "billing_scheme": "per_unit",
            "created": created, "currency": currency, "custom_unit_amount": None, "livemode": False,
            "lookup_key": None, "metadata": {}, "nickname": None, "product": "prod_" + _rid(14), "recurring": None,
            "tax_behavior": price_data.get("tax_behavior", "unspecified"), "tiers_mode": None,
            "transform_quantity": None, "type": "one_time", "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        },
        "quantity": quantity,
    }


def _session_view(session: _Session, expand: list[str]) -> dict[str, Any]:
    view = copy.deepcopy(session.data)
    if "line_items" in expand:
        view["line_items"] = {
            "object": "list", "url": f"/v1/checkout/sessions/{view['id']}/line_items", "has_more": False,
            "data": copy.deepcopy(session.line_items),
        }
    return view


def _get_session(id_: str) -> _Session:
    session = objects.sessions.get(id_)
    if session is None:
        raise _no_such("checkout.session", id_, param="session")
    return session


async def create_session(request: web.Request) -> web.Response:
    data = await _form(request)
    expand = _expand(data)
    _check_known(data, _SESSION_PARAMS)
    mode = _required(data, "mode")
    if mode != "payment":
        raise _error(f"Invalid mode: {mode} (the local Stripe only implements mode=payment)", param="mode")
    raw_items = _required(data, "line_items")
    if not isinstance(raw_items, list):
        raise _error("Invalid array", param="line_items", code="parameter_invalid_array")
    line_items = [_line_item(raw, index) for index, raw in enumerate(raw_items)]
    currencies = {item["currency"] for item in line_items}
    if len(currencies) > 1:
        raise _error("All line items must use the same currency; found " + ", ".join(sorted(currencies)) + ".",
                     param="line_items")
    for key in ("success_url", "cancel_url"):
        if data.get(key) is not None:
            _url(data[key], key)
    customer_email = data.get("customer_email")
    if customer_email is not None and (not isinstance(customer_email, str) or "@" not in customer_email):
        raise _error(f"Invalid email address: {customer_email}", param="customer_email", code="email_invalid")
    client_reference_id = data.get("client_reference_id")
    if client_reference_id is not None and (not isinstance(client_reference_id, str) or len(client_reference_id) > 200):
        raise _error("Invalid client_reference_id", param="client_reference_id")
    method_types = data.get("payment_method_types") or ["card"]
    if not isinstance(method_types, list) or not all(isinstance(t, str) and t for t in method_types):
        raise _error("Invalid array", param="payment_method_types", code="parameter_invalid_array")
    payment_intent_data = data.get("payment_intent_data") or {}
    if not isinstance(payment_intent_data, dict):
        raise _error("Invalid object", param="payment_intent_data", code="parameter_invalid_object")
    _check_known(payment_intent_data, _PAYMENT_INTENT_DATA_PARAMS, "payment_intent_data")
    payment_intent_data = {**payment_intent_data,
                           "metadata": _metadata(payment_intent_data.get("metadata"), "payment_intent_data[metadata]")}
    created = _now()
    expires_at = created + SESSION_LIFETIME
    if data.get("expires_at") is not None:
        expires_at = _int(data["expires_at"], "expires_at")
        if not created + 30 * 60 <= expires_at <= created + SESSION_LIFETIME:
            raise _error("The `expires_at` timestamp must be between 30 minutes and 24 hours from now.", param="expires_at")
    amount = sum(item["amount_total"] for item in line_items)
    session_id = "cs_test_" + _rid(58)
    session = {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": _bool(data["allow_promotion_codes"], "allow_promotion_codes")
        if data.get("allow_promotion_codes") is not None else None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": data.get("billing_address_collection"),
        "cancel_url": data.get("cancel_url"),
        "client_reference_id": client_reference_id,
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": line_items[0]["currency"],
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None, "terms_of_service_acceptance": None},
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": None if customer_email is None else {
            "address": None, "email": customer_email, "name": None, "phone": None, "tax_exempt": "none", "tax_ids": [],
        },
        "customer_email": customer_email,
        "discounts": [],
        "expires_at": expires_at,
        "invoice": None,
        "invoice_creation": {"enabled": False, "invoice_data": {
            "account_tax_ids": None, "custom_fields": None, "description": None, "footer": None, "issuer": None,
            "metadata": {}, "rendering_options": None,
        }},
        "livemode": False,
        "locale": data.get("locale"),
        "metadata": _metadata(data.get("metadata")),
        "mode": "payment",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": method_types,
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": data.get("submit_type"),
        "subscription": None,
        "success_url": data.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{_base_url(request)}/_test/checkout/{session_id}",
    }
    objects.sessions[session_id] = _Session(session, line_items, payment_intent_data)
    return _respond(_session_view(objects.sessions[session_id], expand))


async def retrieve_session(request: web.Request) -> web.Response:
    query = _query(request)
    expand = _expand(query)
    _check_known(query, ())
    return _respond(_session_view(_get_session(request.match_info["id"]), expand))


async def list_sessions(request: web.Request) -> web.Response:
    query = _query(request)
    expand = [path.removeprefix("data.") for path in _expand(query)]
    filters = {key: query.pop(key) for key in ("payment_intent", "status") if key in query}
    sessions = [s for s in reversed(objects.sessions.values()) if all(s.data.get(k) == v for k, v in filters.items())]
    page = _page("/v1/checkout/sessions", sessions, query, ident=lambda s: s.data["id"],
                 export=lambda s: _session_view(s, expand))
    _check_known(query, ())
    return _respond(page)


async def list_session_line_items(request: web.Request) -> web.Response:
    query = _query(request)
    _expand(query)
    session = _get_session(request.match_info["id"])
    page = _page(f"/v1/checkout/sessions/{session.data['id']}/line_items", session.line_items, query)
    _check_known(query, ())
    return _respond(page)


def _charge_for(session: _Session, email: str | None) -> str:
    """The customer's card is charged: a real localstripe PaymentIntent, confirmed, so a Charge exists to refund."""
    card = PaymentMethod(type="card", billing_details={"email": email},
                         card={"number": SUCCEEDING_CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"})
    intent = PaymentIntent(amount=session.data["amount_total"], currency=session.data["currency"],
                           payment_method=card.id, metadata=dict(session.payment_intent_data["metadata"]))
    intent.description = session.payment_intent_data.get("description")
    intent.transfer_group = session.payment_intent_data.get("transfer_group")
    intent._confirm(on_failure_now=intent._report_failure)
    return intent.id


def _require_open(session: _Session) -> None:
    if session.data["status"] != "open":
        raise _error(f"This Checkout Session is no longer open (its status is {session.data['status']}).",
                     code="checkout_session_not_open")


async def pay_session(request: web.Request) -> web.Response:
    """The customer paid: by card (paid now), or with `async=true` by a delayed method (result comes later)."""
    session = _get_session(request.match_info["id"])
    form = await _form(request)
    _check_known(form, {"async", "email", "name"})
    delayed = _bool(form.get("async", False), "async")
    _require_open(session)
    data = session.data
    email = form.get("email") or data["customer_email"] or "customer@example.com"
    data["customer_details"] = {
        "address": None, "email": email, "name": form.get("name"), "phone": None, "tax_exempt": "none", "tax_ids": [],
    }
    data["status"], data["url"] = "complete", None
    if delayed:
        session.awaiting_async_result = True
    else:
        data["payment_intent"] = _charge_for(session, email)
        data["payment_status"] = "paid"
    emit("checkout.session.completed", data)
    return _respond(_session_view(session, []))


async def async_result(request: web.Request) -> web.Response:
    session = _get_session(request.match_info["id"])
    form = await _form(request)
    _check_known(form, {"succeeded"})
    succeeded = _bool(_required(form, "succeeded"), "succeeded")
    if not session.awaiting_async_result:
        raise _error("This Checkout Session is not waiting for a delayed payment.")
    session.awaiting_async_result = False
    data = session.data
    if succeeded:
        data["payment_intent"] = _charge_for(session, data["customer_details"]["email"])
        data["payment_status"] = "paid"
        emit("checkout.session.async_payment_succeeded", data)
    else:
        emit("checkout.session.async_payment_failed", data)
    return _respond(_session_view(session, []))


async def expire_session(request: web.Request) -> web.Response:
    """Both Stripe's `POST /v1/checkout/sessions/{id}/expire` and the dashboard-like `/_test/` one."""
    session = _get_session(request.match_info["id"])
    form = await _form(request)
    expand = _expand(form)
    _check_known(form, ())
    _require_open(session)
    session.data["status"], session.data["url"] = "expired", None
    emit("checkout.session.expired", session.data)
    return _respond(_session_view(session, expand))


# Connect ---------------------------------------------------------------------------------------

_ONBOARDING_DUE = [
    "business_profile.mcc", "business_profile.url", "business_type", "external_account", "individual.address.city",
    "individual.address.line1", "individual.address.postal_code", "individual.dob.day", "individual.dob.month",
    "individual.dob.year", "individual.email", "individual.first_name", "individual.last_name", "individual.phone",
    "tos_acceptance.date", "tos_acceptance.ip",
]


def _requirements(due: list[str]) -> dict[str, Any]:
    return {
        "alternatives": [], "current_deadline": None, "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None, "errors": [], "eventually_due": list(due),
        "past_due": list(due), "pending_verification": [],
    }


def _get_account(id_: str, *, param: str | None = None, status: int = 404) -> dict[str, Any]:
    account = objects.accounts.get(id_)
    if account is None:
        raise _no_such("account", id_, param=param, status=status)
    return account


async def create_account(request: web.Request) -> web.Response:
    data = await _form(request)
    _expand(data)
    _check_known(data, {"type", "email", "country", "metadata", "capabilities", "business_type", "default_currency"})
    type_ = _required(data, "type")
    if type_ not in ("express", "standard", "custom"):
        raise _error("Invalid type: must be one of express, standard or custom", param="type")
    country = _string(data.get("country", "US"), "country").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise _error(f"Country '{country}' is unknown.", param="country")
    capabilities = data.get("capabilities") or {}
    if not isinstance(capabilities, dict):
        raise _error("Invalid object", param="capabilities", code="parameter_invalid_object")
    requested = []
    for name, options in capabilities.items():
        if not isinstance(options, dict) or set(options) - {"requested"}:
            raise _error("Invalid object", param=f"capabilities[{name}]", code="parameter_invalid_object")
        if _bool(options.get("requested", False), f"capabilities[{name}][requested]"):
            requested.append(name)
    email = data.get("email")
    account_id = "acct_" + _rid(16)
    account = {
        "id": account_id,
        "object": "account",
        "business_profile": {"mcc": None, "name": None, "product_description": None, "support_address": None,
                             "support_email": None, "support_phone": None, "support_url": None, "url": None},
        "business_type": data.get("business_type"),
        "capabilities": {name: "inactive" for name in requested},
        "charges_enabled": False,
        "controller": {"type": "application", "is_controller": True},
        "country": country,
        "created": _now(),
        "default_currency": _currency(data["default_currency"], "default_currency") if data.get("default_currency")
        else _COUNTRY_CURRENCY.get(country, "usd"),
        "details_submitted": False,
        "email": email,
        "external_accounts": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                              "url": f"/v1/accounts/{account_id}/external_accounts"},
        "future_requirements": _requirements([]),
        "livemode": False,
        "metadata": _metadata(data.get("metadata")),
        "payouts_enabled": False,
        "requirements": _requirements(_ONBOARDING_DUE),
        "settings": {"payouts": {"debit_negative_balances": True, "schedule": {"delay_days": 2, "interval": "daily"},
                                 "statement_descriptor": None}},
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": type_,
    }
    objects.accounts[account_id] = account
    return _respond(account)


async def retrieve_account(request: web.Request) -> web.Response:
    return _respond(_get_account(request.match_info["id"]))


async def complete_onboarding(request: web.Request) -> web.Response:
    """The connected account's owner finished Stripe's hosted onboarding."""
    account = _get_account(request.match_info["id"])
    changed = ("capabilities", "charges_enabled", "details_submitted", "payouts_enabled", "requirements", "tos_acceptance")
    previous = {key: copy.deepcopy(account[key]) for key in changed}
    account.update(
        capabilities={name: "active" for name in account["capabilities"]},
        charges_enabled=True, details_submitted=True, payouts_enabled=True, requirements=_requirements([]),
        tos_acceptance={"date": _now(), "ip": "127.0.0.1", "user_agent": None},
    )
    emit("account.updated", account, previous_attributes={k: v for k, v in previous.items() if account[k] != v})
    return _respond(account)


async def create_account_link(request: web.Request) -> web.Response:
    data = await _form(request)
    _expand(data)
    _check_known(data, {"account", "refresh_url", "return_url", "type", "collect", "collection_options"})
    account_id = _string(_required(data, "account"), "account")
    type_ = _required(data, "type")
    if type_ not in ("account_onboarding", "account_update"):
        raise _error(f"Invalid type: {type_}", param="type")
    for key in ("refresh_url", "return_url"):
        if data.get(key) is not None:
            _url(data[key], key)
    _get_account(account_id, param="account", status=400)
    created = _now()
    return _respond({
        "object": "account_link", "created": created, "expires_at": created + ACCOUNT_LINK_LIFETIME,
        "url": f"{_base_url(request)}/_test/onboarding/{account_id}",
    })


# Transfers -------------------------------------------------------------------------------------

def _get_transfer(id_: str) -> dict[str, Any]:
    transfer = objects.transfers.get(id_)
    if transfer is None:
        raise _no_such("transfer", id_, param="id")
    return transfer


async def create_transfer(request: web.Request) -> web.Response:
    data = await _form(request)
    _expand(data)
    _check_known(data, {"amount", "currency", "destination", "metadata", "transfer_group", "description",
                        "source_transaction", "source_type"})
    amount = _int(_required(data, "amount"), "amount", minimum=1)
    currency = _currency(_required(data, "currency"), "currency")
    destination_id = _string(_required(data, "destination"), "destination")
    destination = objects.accounts.get(destination_id)
    if destination is None:
        raise _error(f"No such destination: '{destination_id}'", param="destination", code="resource_missing")
    if not destination["payouts_enabled"]:
        raise _error(
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments", param="destination",
            code="insufficient_capabilities_for_transfer")
    source_transaction = data.get("source_transaction")
    if source_transaction is not None and store.get(f"charge:{source_transaction}") is None:
        raise _no_such("charge", str(source_transaction), param="source_transaction", status=400)
    transfer_id = "tr_" + _rid(24)
    transfer = {
        "id": transfer_id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": "txn_" + _rid(24),
        "created": _now(),
        "currency": currency,
        "description": data.get("description"),
        "destination": destination_id,
        "destination_payment": "py_" + _rid(14),
        "livemode": False,
        "metadata": _metadata(data.get("metadata")),
        "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                      "url": f"/v1/transfers/{transfer_id}/reversals"},
        "reversed": False,
        "source_transaction": source_transaction,
        "source_type": data.get("source_type", "card"),
        "transfer_group": data.get("transfer_group"),
    }
    objects.transfers[transfer_id] = transfer
    emit("transfer.created", transfer)
    return _respond(transfer)


async def retrieve_transfer(request: web.Request) -> web.Response:
    return _respond(_get_transfer(request.match_info["id"]))


async def list_transfers(request: web.Request) -> web.Response:
    query = _query(request)
    _expand(query)
    filters = {key: query.pop(key) for key in ("destination", "transfer_group") if key in query}
    accept = _created_filter(query.pop("created")) if "created" in query else (lambda _value: True)
    transfers = [t for t in reversed(objects.transfers.values())
                 if all(t.get(k) == v for k, v in filters.items()) and accept(t["created"])]
    page = _page("/v1/transfers", transfers, query)
    _check_known(query, ())
    return _respond(page)


def _reverse(transfer: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    _check_known(data, {"amount", "metadata", "description", "refund_application_fee"})
    remaining = transfer["amount"] - transfer["amount_reversed"]
    if remaining <= 0:
        raise _error(f"Transfer {transfer['id']} has already been fully reversed.", param="amount")
    amount = _int(data["amount"], "amount", minimum=1) if data.get("amount") is not None else remaining
    if amount > remaining:
        raise _error(f"You cannot reverse {amount} from transfer {transfer['id']}: only {remaining} remains.",
                     param="amount")
    reversal = {
        "id": "trr_" + _rid(24), "object": "transfer_reversal", "amount": amount, "balance_transaction": "txn_" + _rid(24),
        "created": _now(), "currency": transfer["currency"], "destination_payment_refund": "pyr_" + _rid(14),
        "metadata": _metadata(data.get("metadata")), "source_refund": None, "transfer": transfer["id"],
    }
    previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    reversals = transfer["reversals"]
    reversals["data"].insert(0, reversal)
    reversals["total_count"] = len(reversals["data"])
    emit("transfer.reversed", transfer, previous_attributes=previous)
    return reversal


async def create_reversal(request: web.Request) -> web.Response:
    """Stripe's `POST /v1/transfers/{id}/reversals`: returns the transfer_reversal."""
    transfer = _get_transfer(request.match_info["id"])
    data = await _form(request)
    _expand(data)
    return _respond(_reverse(transfer, data))


async def reverse_transfer(request: web.Request) -> web.Response:
    """Reversed from the dashboard (the whole remainder unless `amount` is given): returns the transfer."""
    transfer = _get_transfer(request.match_info["id"])
    _reverse(transfer, await _form(request))
    return _respond(transfer)


# Events ----------------------------------------------------------------------------------------

def _created_filter(created: Any) -> Callable[[int], bool]:
    if isinstance(created, str):
        exact = _int(created, "created")
        return lambda value: value == exact
    if not isinstance(created, dict):
        raise _error("Invalid created", param="created")
    _check_known(created, ("gt", "gte", "lt", "lte"), "created")
    bounds = {op: _int(value, f"created[{op}]") for op, value in created.items()}
    tests = {"gt": lambda v, b: v > b, "gte": lambda v, b: v >= b, "lt": lambda v, b: v < b, "lte": lambda v, b: v <= b}
    return lambda value: all(tests[op](value, bound) for op, bound in bounds.items())


async def list_refunds(request: web.Request) -> web.Response:
    """Stripe's refund list with its `created`, `charge` and `payment_intent` filters (localstripe has no `created`)."""
    query = _query(request)
    _expand(query)
    refunds = [value for key, value in store.items() if key.startswith("refund:")]
    refunds.reverse()
    for key in ("charge", "payment_intent"):
        if key in query:
            wanted = query.pop(key)
            refunds = [r for r in refunds if getattr(r, key, None) == wanted]
    if "created" in query:
        accept = _created_filter(query.pop("created"))
        refunds = [r for r in refunds if accept(r.created)]
    page = _page("/v1/refunds", refunds, query, ident=lambda r: r.id, export=lambda r: r._export())
    _check_known(query, ())
    return _respond(page)


async def list_charges(request: web.Request) -> web.Response:
    """Stripe's charge list with a two-sided `created` range (localstripe takes one bound only)."""
    query = _query(request)
    _expand(query)
    charges = [value for key, value in store.items() if key.startswith("charge:")]
    charges.reverse()
    if "payment_intent" in query:
        wanted = query.pop("payment_intent")
        charges = [c for c in charges if getattr(c, "payment_intent", None) == wanted]
    if "created" in query:
        accept = _created_filter(query.pop("created"))
        charges = [c for c in charges if accept(c.created)]
    page = _page("/v1/charges", charges, query, ident=lambda c: c.id, export=lambda c: c._export())
    _check_known(query, ())
    return _respond(page)


async def list_events(request: web.Request) -> web.Response:
    """Stripe's order (newest first) and filters; localstripe's own list is oldest first."""
    query = _query(request)
    _expand(query)
    query.pop("delivery_success", None)
    events = [value for key, value in store.items() if key.startswith("event:")]
    events.reverse()
    if "type" in query:
        pattern = _string(query.pop("type"), "type")
        events = [e for e in events if fnmatch.fnmatchcase(e.type, pattern)]
    if "types" in query:
        types = query.pop("types")
        if not isinstance(types, list):
            raise _error("Invalid array", param="types", code="parameter_invalid_array")
        events = [e for e in events if e.type in types]
    if "created" in query:
        accept = _created_filter(query.pop("created"))
        events = [e for e in events if accept(e.created)]
    page = _page("/v1/events", events, query, ident=lambda e: e.id, export=lambda e: e._export())
    _check_known(query, ())
    return _respond(page)


# ---------------------------------------------------------------------------------------------
# Idempotency-Key replay for every POST /v1/...

@dataclass
class _Replay:
    endpoint: str
    params: Any
    request_id: str | None
    status: int | None = None  # None while the first request is still running
    body: bytes = b""


_replays: dict[tuple[str, str], _Replay] = {}


def _idempotency_error(message: str, *, status: int = 400, code: str | None = None) -> web.Response:
    error: dict[str, Any] = {"type": "idempotency_error", "message": message}
    if code is not None:
        error["code"] = code
    return localstripe_server.json_response({"error": error}, status=status)


async def _request_params(request: web.Request) -> Any:
    body = await request.read()
    if request.content_type == "application/x-www-form-urlencoded":
        return sorted(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return body


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Stripe's rules: a key replays its first result (when the endpoint began executing, i.e. not for a 400,
    401, 404 or 409 refusal), refuses other parameters or another endpoint, and refuses while still in flight."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not request.path.startswith("/v1/") or not key:
        return await handler(request)
    slot = (localstripe_server.get_api_key(request) or "", key)
    endpoint = f"{request.method} {request.path}"
    params = await _request_params(request)
    seen = _replays.get(slot)
    if seen is not None:
        if seen.status is None:
            return _idempotency_error(
                "There is currently another in-progress request using this Idempotent Key (that probably means you "
                f"submitted twice, and the other request is still going through): {key}. Please try again later.",
                status=409, code="idempotency_key_in_use")
        if seen.endpoint != endpoint:
            return _idempotency_error(
                "Keys for idempotent requests can only be used for the same endpoint they were first used for "
                f"('{seen.endpoint}' vs '{endpoint}'). Try using a key other than '{key}' if you meant to execute "
                "a different request.")
        if seen.params != params:
            return _idempotency_error(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. "
                f"Try using a key other than '{key}' if you meant to execute a different request.")
        return web.Response(status=seen.status, body=seen.body, content_type="application/json", charset="utf-8",
                            headers={"Idempotent-Replayed": "true", "Original-Request": seen.request_id or ""})
    entry = _replays[slot] = _Replay(endpoint, params, _current_request.get()["id"])
    try:
        try:
            response = await handler(request)
        except UserError as error:
            response = error.to_response()
    except BaseException:
        del _replays[slot]
        raise
    if isinstance(response, web.Response) and (response.status < 400 or response.status == 402):
        entry.status, entry.body = response.status, bytes(response.body or b"")
    else:
        del _replays[slot]
    return response


@web.middleware
async def request_context_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    request_id = "req_" + _rid(14) if request.path.startswith("/v1/") else None
    context = {"id": request_id, "idempotency_key": request.headers.get("Idempotency-Key")} if request_id else _NO_REQUEST
    token = _current_request.set(context)
    try:
        response = await handler(request)
    finally:
        _current_request.reset(token)
    if request_id:
        response.headers["Request-Id"] = request_id
    return response


async def unregister_webhook(request: web.Request) -> web.Response:
    """Undoes localstripe's `POST /_config/webhooks/{id}` (it has no way to)."""
    localstripe_webhooks._webhooks.pop(request.match_info["id"], None)
    return web.Response()


async def flush(request: web.Request) -> web.Response:
    """localstripe's `DELETE /_config/data`, emptying our objects and idempotency records too."""
    store.clear()
    objects.sessions.clear()
    objects.accounts.clear()
    objects.transfers.clear()
    _replays.clear()
    return web.Response()


# ---------------------------------------------------------------------------------------------

def build_app() -> web.Application:
    """Our routes first (aiohttp resolves in registration order), then every route of localstripe's app."""
    application = web.Application(middlewares=[
        request_context_middleware, localstripe_server.error_middleware, localstripe_server.auth_middleware,
        idempotency_middleware,
    ])
    application.on_response_prepare.append(localstripe_server.add_cors_headers)
    routes = application.router
    routes.add_post("/v1/checkout/sessions", create_session)
    routes.add_get("/v1/checkout/sessions", list_sessions)
    routes.add_get("/v1/checkout/sessions/{id}", retrieve_session)
    routes.add_get("/v1/checkout/sessions/{id}/line_items", list_session_line_items)
    routes.add_post("/v1/checkout/sessions/{id}/expire", expire_session)
    routes.add_post("/_test/checkout/sessions/{id}/pay", pay_session)
    routes.add_post("/_test/checkout/sessions/{id}/async_result", async_result)
    routes.add_post("/_test/checkout/sessions/{id}/expire", expire_session)
    routes.add_post("/v1/accounts", create_account)
    routes.add_get("/v1/accounts/{id}", retrieve_account)
    routes.add_post("/_test/accounts/{id}/complete_onboarding", complete_onboarding)
    routes.add_post("/v1/account_links", create_account_link)
    routes.add_post("/v1/transfers", create_transfer)
    routes.add_get("/v1/transfers", list_transfers)
    routes.add_get("/v1/transfers/{id}", retrieve_transfer)
    routes.add_post("/v1/transfers/{id}/reversals", create_reversal)
    routes.add_post("/_test/transfers/{id}/reverse", reverse_transfer)
    routes.add_get("/v1/events", list_events)
    routes.add_get("/v1/refunds", list_refunds)
    routes.add_get("/v1/charges", list_charges)
    routes.add_delete("/_config/data", flush)
    routes.add_delete("/_config/webhooks/{id}", unregister_webhook)
    for resource in app.router.resources():
        for route in resource:
            routes.add_route(route.method, resource.canonical, route.handler)
    return application


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    web.run_app(build_app(), host="127.0.0.1", port=args.port, access_log=None, print=None, shutdown_timeout=1.0)


if __name__ == "__main__":
    main()
