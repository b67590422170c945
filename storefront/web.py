"""Site-wide web concerns: error pages, template filters and globals, the health check."""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from flask import Flask, Response, abort, current_app, g, jsonify, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from storefront.checkout.cart import cart_quantity, read_cart
from storefront import outage
from storefront.catalog.renditions import RENDITION_WIDTHS, RENDITIONS_FOLDER, list_renditions, rendition_name
from storefront.extensions import db, login_manager
from storefront.money import Money
from storefront.orders.models import order_status_label
from storefront.problems import problem_response, wants_problem
from storefront.shops.services import shop_product_ids

log = logging.getLogger(__name__)

ERROR_TITLES = {
    400: _l("That request did not make sense"),
    403: _l("You cannot open this page"),
    404: _l("We could not find that page"),
    405: _l("That is not something this page can do"),
    409: _l("That changed in the meantime"),
    410: _l("This page is gone"),
    413: _l("That upload is too large"),
    500: _l("Something went wrong on our side"),
    503: _l("We are briefly unavailable"),
}


def init_app(app: Flask) -> None:
    app.add_template_global(Money, "money_of")
    app.add_template_filter(order_status_label, "order_status")
    app.add_template_global(product_image_url)
    app.add_template_global(product_image_srcset)
    app.add_template_global(absolute_url)
    app.add_template_global(preview_image_url)
    app.context_processor(_template_globals)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.before_request(refuse_nul_bytes)
    app.after_request(add_security_headers)
    for error_class in outage.DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response | tuple[str, int]:
        if wants_problem():
            return problem_response(400, _("Send the X-CSRFToken header with a request signed in by cookie, or use a bearer token."))
        message = _("Your form expired or was sent from another site. Please reload the page and try again.")
        return render_error(400, message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[str, int]:
        if error.code is None or error.code < 400:
            return error.get_response()
        if wants_problem():
            allowed = error.get_response().headers.get("Allow")
            return problem_response(error.code, error.description or "", headers={"Allow": allowed} if allowed else None)
        response = error.get_response()
        # Werkzeug's stock description is English only; where our translated title says as much, it is left out.
        stock_description = error.code in ERROR_TITLES and error.description == type(error).description
        body = render_error(error.code, "" if stock_description else error.description or "")
        response.set_data(body)
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if wants_problem():
            return problem_response(500, _("Something went wrong on our side; we have been told about it."))  # type: ignore[return-value]
        return render_error(500, _("We have been told about it. Please try again in a moment.")), 500


def database_unavailable(error: Exception) -> Response:
    """Any page while the database is away: 503 with Retry-After instead of a 500, and nothing half-written."""
    log.error("database unavailable on %s %s: %s", request.method, request.path, outage.describe(error))
    outage.discard_transaction()
    headers = {"Retry-After": str(outage.RETRY_AFTER_SECONDS)}
    # Nothing may need the database now (the page's header, the reader's language setting): for the rest
    # of this request the visitor is not signed in.
    _forget_signed_in_user()
    if wants_problem():
        return problem_response(503, _("The store is briefly unavailable. Please try again in a moment."), headers=headers)
    body = render_error(503, _("We cannot reach our records right now. Please try again in a minute."))
    return Response(body, status=503, headers=headers, mimetype="text/html")


FORM_MIMETYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def refuse_nul_bytes() -> None:
    """No text we store may hold a NUL byte (PostgreSQL refuses them): answer 400, not 500."""
    values = [request.path, *request.args.values()] if request.query_string else [request.path]
    if request.method != "GET" and request.mimetype in FORM_MIMETYPES:
        values.extend(request.form.values())
    if any("\x00" in value for value in values):
        abort(400, description=_("The request holds a character that is not allowed (NUL)."))


def render_error(code: int, message: str) -> str:
    # Lazy: the reader's language is chosen while the page is drawn, where a database outage is caught.
    title = ERROR_TITLES.get(code, _l("Error"))
    try:
        return render_template("errors/error.html", code=code, title=title, message=message)
    except outage.DATABASE_UNAVAILABLE:
        # The signed-in header needs the database, which is away too: draw the page as a visitor's.
        _forget_signed_in_user()
        return render_template("errors/error.html", code=code, title=title, message=message)


def _forget_signed_in_user() -> None:
    """For the rest of this request only (the session cookie is untouched): nobody is signed in."""
    outage.discard_transaction()
    login_manager._update_request_context_with_user()


def product_image_url(product: object) -> str:
    image = getattr(product, "image", "") or ""
    if image.startswith("https://"):
        return image
    return url_for("static", filename=f"products/{image}" if image else "placeholder.svg")


@functools.lru_cache(maxsize=4)
def _renditions_listed(products_folder: Path, stamp: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    return list_renditions(products_folder)


def _hosted_renditions(static_folder: str) -> dict[str, tuple[int, ...]]:
    """The renditions on disk, read again when a rendition folder changes (an import adds or removes some),
    checked once per request."""
    listed = g.get("hosted_renditions")
    if listed is None:
        products = Path(static_folder) / "products"
        stamp = tuple(_mtime_ns(products / RENDITIONS_FOLDER / str(width)) for width in RENDITION_WIDTHS)
        listed = g.hosted_renditions = _renditions_listed(products, stamp)
    return listed


def _mtime_ns(folder: Path) -> int:
    try:
        return folder.stat().st_mtime_ns
    except OSError:
        return 0


def product_image_srcset(product: object) -> str:
    """The `srcset` of a hosted raster image's WebP renditions on disk; "" for SVGs, URLs and images without any."""
    image = getattr(product, "image", "") or ""
    widths = _hosted_renditions(current_app.static_folder or "").get(image, ())
    return ", ".join(
        f"{url_for('static', filename=f'products/{RENDITIONS_FOLDER}/{width}/{rendition_name(image)}')} {width}w"
        for width in widths
    )


@functools.cache
def _raster_previews(static_folder: str) -> frozenset[str]:
    folder = Path(static_folder) / "products" / "preview"
    return frozenset(path.name for path in folder.glob("*.png")) if folder.is_dir() else frozenset()


def preview_image_url(product: object) -> str:
    """The image for social cards: a PNG rendition of an SVG drawing when one ships, since
    Facebook, WhatsApp and X do not show SVG previews."""
    image = getattr(product, "image", "") or ""
    if image.endswith(".svg"):
        png = image[: -len(".svg")] + ".png"
        if png in _raster_previews(current_app.static_folder or ""):
            return url_for("static", filename=f"products/preview/{png}")
    return product_image_url(product)


def absolute_url(path: str) -> str:
    """An absolute URL on the public address (BASE_URL), for canonical links and social previews."""
    if path.startswith(("https://", "http://")):
        return path
    return current_app.config["BASE_URL"] + path


class _MyShopProductIds:
    """The signed-in user's shop products, read only by a page that shows "Add to my shop" buttons."""

    def __init__(self, user_id: int) -> None:
        self._user_id = user_id

    @functools.cached_property
    def _ids(self) -> set[int]:
        return shop_product_ids(self._user_id)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._ids


def _template_globals() -> dict[str, object]:
    my_shop_product_ids = _MyShopProductIds(current_user.id) if current_user.is_authenticated else set()
    return {"cart_quantity": cart_quantity(read_cart(session.get("cart"))), "my_shop_product_ids": my_shop_product_ids}


def healthz() -> tuple[Response, int]:
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # any driver failure means "not healthy", never a 500
        log.warning("health check failed: %s", error)
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


#: Scripts only from our own files (no inline script anywhere); styles may be inline (a shop's accent colour);
#: forms may lead to Stripe's hosted checkout and onboarding, which are redirects after our own form posts.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' https: data:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self' https://checkout.stripe.com https://connect.stripe.com",
])


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
