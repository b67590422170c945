"""The operator's catalog pages: products list and CSV export, create and edit, CSV import."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from commissions import rules
from commissions.models import RateScope
from storefront.catalog import admin
from storefront.catalog.forms import NEW_CATEGORY, CatalogImportForm, NewProductForm, ProductForm
from storefront.catalog.importer import CatalogImportError, RowError
from storefront.catalog.models import Product
from storefront.catalog.services import list_categories
from storefront.exports import csv_safe
from storefront.extensions import db
from storefront.listing import page_number
from storefront.operator.access import operator_required
from storefront.operator.commissions import BadInput, parse_percent

blueprint = Blueprint("operator_catalog", __name__, url_prefix="/operator")

MAX_IMPORT_BYTES = 2 * 1024 * 1024


def _percent_text(rate_bps: int | None) -> str:
    return "" if rate_bps is None else str(Decimal(rate_bps).scaleb(-2))


def _own_rate(product: Product) -> int | None:
    quote = rules.base_rate(product, current_app.config["COMMISSION_DEFAULT_BPS"])
    return quote.base_bps if quote.source == RateScope.PRODUCT.value else None


def _query() -> str:
    return request.args.get("q", "").strip()[:100]


# Listing and export ---------------------------------------------------------------------------


def _render_list(import_form: CatalogImportForm, import_errors: list[RowError] | None = None, status: int = 200) -> tuple[str, int]:
    query = _query()
    listing = admin.list_products(query, page_number(request.args.get("page")))
    return render_template(
        "operator/catalog.html", listing=listing, query=query, rates=rules.rates_by_scope(RateScope.PRODUCT),
        import_form=import_form, import_errors=import_errors or [],
    ), status


@blueprint.route("/catalog")
@operator_required
def product_list() -> tuple[str, int]:
    return _render_list(CatalogImportForm())


@blueprint.route("/catalog.csv")
@operator_required
def product_csv() -> Response:
    rates = rules.rates_by_scope(RateScope.PRODUCT)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The importer's own column names (plus the rate): a file exported here imports back, so they stay untranslated.
    writer.writerow(["sku", "title", "price", "currency", "category", "stock", "active", "featured", "commission_rate_percent"])
    for product in admin.export_products(_query()):
        sku, title, price, currency, category, stock, active, featured = admin.export_row(product)
        writer.writerow([csv_safe(sku), csv_safe(title), price, currency, csv_safe(category), stock, active, featured,
                         _percent_text(rates.get(product.id))])
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="vitrine-catalog.csv"', "Cache-Control": "private, no-store",
    })


# Create and edit ------------------------------------------------------------------------------


def _with_categories(form: ProductForm) -> ProductForm:
    form.category_id.choices = [(NEW_CATEGORY, _("New category (name it below)"))] + [(c.id, c.name) for c in list_categories()]
    return form


def _product_input(form: ProductForm) -> admin.ProductInput:
    assert form.parsed_price is not None  # set by a form that validated
    return admin.ProductInput(
        title=form.title.data or "", description=form.description.data or "", price=form.parsed_price,
        category_id=form.category_id.data or None, new_category_name=form.new_category.data or "",
        stock=form.stock.data or 0, active=bool(form.active.data), featured=bool(form.featured.data),
    )


def _parse_rate(form: ProductForm) -> tuple[bool, int | None]:
    """(ok, rate in basis points or None for "no rate of its own"); a bad rate becomes a field error."""
    raw = (form.commission_rate.data or "").strip()
    if not raw:
        return True, None
    try:
        return True, parse_percent(raw)
    except BadInput as error:
        form.commission_rate.errors.append(str(error))  # type: ignore[attr-defined]
        return False, None


def _field_error(form: ProductForm, name: str, message: str) -> None:
    field = getattr(form, name, None)
    (form.title if field is None else field).errors.append(message)


def _render_form(form: ProductForm, product: Product | None, status: int) -> tuple[str, int]:
    return render_template("operator/product_form.html", form=form, product=product), status


def _save(form: Any, shown: Product | None, save: Callable[[], Product], done: Callable[[Product], str]) -> Response | tuple[str, int]:
    """Run the create or update; a refusal comes back on the form (400), success goes to the product's page."""
    try:
        product = save()
    except admin.ProductError as error:
        db.session.rollback()
        _field_error(form, error.field, str(error))
    except rules.RateError as error:
        db.session.rollback()
        form.commission_rate.errors.append(str(error))
    else:
        db.session.commit()
        flash(done(product), "success")
        return redirect(url_for(".edit_product", product_id=product.id))
    return _render_form(form, shown, 400)


@blueprint.route("/catalog/new", methods=["GET", "POST"])
@operator_required
def new_product() -> Response | tuple[str, int]:
    form = _with_categories(NewProductForm())
    if request.method == "GET":
        return _render_form(form, None, 200)
    valid = form.validate_on_submit()
    ok, rate = _parse_rate(form)
    if not (valid and ok):
        return _render_form(form, None, 400)
    def create() -> Product:
        product = admin.create_product(
            form.sku.data or "", _product_input(form), currency=current_app.config["CURRENCY"],
            actor_user_id=current_user.id, extra_details={"commission_rate_bps": rate} if rate is not None else None,
        )
        if rate is not None:
            rules.set_rate(RateScope.PRODUCT, product.id, rate)
        return product

    return _save(form, None, create, lambda product: _("Product %(sku)s “%(title)s” created.", sku=product.sku, title=product.title))


@blueprint.route("/catalog/<int(max=999999999):product_id>/edit", methods=["GET", "POST"])
@operator_required
def edit_product(product_id: int) -> Response | tuple[str, int]:
    product = admin.find_product(product_id)
    if product is None:
        abort(404, description=_("There is no such product."))
    current_rate = _own_rate(product)
    if request.method == "GET":
        form = _with_categories(ProductForm(data={
            "title": product.title, "description": product.description, "price": product.price.to_decimal_string(),
            "category_id": product.category_id, "stock": product.stock, "active": product.active, "featured": product.featured,
            "commission_rate": _percent_text(current_rate),
        }))
        return _render_form(form, product, 200)
    form = _with_categories(ProductForm())
    valid = form.validate_on_submit()
    ok, rate = _parse_rate(form)
    if not (valid and ok):
        return _render_form(form, product, 400)
    extra: dict[str, object] = {"commission_rate_bps": {"from": current_rate, "to": rate}} if rate != current_rate else {}
    def update() -> Product:
        admin.update_product(product, _product_input(form), currency=current_app.config["CURRENCY"],
                             actor_user_id=current_user.id, extra_details=extra)
        if rate != current_rate:
            rules.set_rate(RateScope.PRODUCT, product.id, rate)
        return product

    return _save(form, product, update, lambda saved: _("Product %(sku)s saved.", sku=saved.sku))


# Import ---------------------------------------------------------------------------------------


@blueprint.route("/catalog/import", methods=["POST"])
@operator_required
def import_csv() -> Response | tuple[str, int]:
    form = CatalogImportForm()
    if not form.validate_on_submit():
        return _render_list(form, status=400)
    data = form.file.data.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        form.file.errors.append(_("The file is larger than 2 MB: split it."))  # type: ignore[attr-defined]
        return _render_list(form, status=400)
    try:
        report = admin.import_catalog(io.BytesIO(data), current_app.config["CURRENCY"], actor_user_id=current_user.id,
                                      update_stock=bool(form.update_stock.data))
    except CatalogImportError as error:
        db.session.rollback()
        return _render_list(form, import_errors=error.errors, status=400)
    db.session.commit()
    message = _("Catalog imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
                created=report.created, updated=report.updated, unchanged=report.unchanged)
    if report.categories_created:
        message += " " + _("New categories: %(names)s.", names=", ".join(report.categories_created))
    flash(message, "success")
    return redirect(url_for(".product_list"))
