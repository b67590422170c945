"""The curator's shop editor and the public shop, look and discover pages."""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from storefront.extensions import db, reads_only
from storefront.navigation import safe_next_path
from storefront.shops import pages, services
from storefront.shops.avatars import AvatarError, generated_avatar_svg, process_avatar
from storefront.shops.forms import LookForm, NoteForm, OpenShopForm, ShopProfileForm
from storefront.shops.models import Look, Shop
from storefront.shops.services import ShopError, ShopSort
from storefront.whole_pages import seen_as_by_everyone

blueprint = Blueprint("shops", __name__)

SHOPS_PER_PAGE = 24


def _my_shop() -> Shop | None:
    return services.find_shop_for_user(current_user.id)


def _owned_shop() -> Shop:
    shop = _my_shop()
    if shop is None:
        abort(404, description=_("You have no shop yet. Open one from “Open my shop”."))
    return shop


def _product_id(raw: Any) -> int | None:
    text = str(raw or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _read_avatar(form: ShopProfileForm) -> bytes | None:
    """The re-encoded upload, or None when nothing was uploaded; raises AvatarError."""
    upload = form.avatar.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return process_avatar(upload.read(3 * 1024 * 1024))


def _max_items() -> int:
    return int(current_app.config["SHOP_MAX_ITEMS"])


# Opening and editing --------------------------------------------------------------------


@blueprint.route("/me/shop/new", methods=["GET", "POST"])
@login_required
def open_shop() -> Response | tuple[str, int]:
    if _my_shop() is not None:
        return redirect(url_for("shops.editor"))
    form = OpenShopForm()
    if request.method == "GET":
        form.add.data = request.args.get("add", "")
        form.title.data = form.title.data or _("%(name)s's picks", name=current_user.display_name)
    if form.validate_on_submit():
        try:
            avatar = _read_avatar(form)
            shop = services.open_shop(
                current_user.id, form.handle.data, form.title.data, form.bio.data or "", form.accent_colour.data
            )
            if avatar is not None:
                services.set_shop_avatar(shop, avatar)
        except (services.HandleInvalid, services.HandleTaken) as error:
            db.session.rollback()
            form.handle.errors.append(str(error))
        except AvatarError as error:
            form.avatar.errors.append(str(error))
        except ShopError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Your shop is open as a draft. Add products, write why you love them, then publish."), "success")
            _add_first_product(shop, _product_id(form.add.data))
            return redirect(url_for("shops.editor"))
    status = 400 if request.method == "POST" else 200
    return render_template("shops/open.html", form=form), status


def _add_first_product(shop: Shop, product_id: int | None) -> None:
    """The product whose "Add to my shop" led here; the new shop stands even if it cannot be added."""
    if product_id is None:
        return
    try:
        services.add_item(shop, product_id, max_items=_max_items())
    except ShopError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()


@blueprint.route("/me/shop")
@login_required
def editor() -> Response | str:
    shop = _my_shop()
    if shop is None:
        return redirect(url_for("shops.open_shop"))
    return render_template(
        "shops/editor.html", shop=shop, note_form=NoteForm(), max_items=_max_items(), note_max=services.NOTE_MAX_LENGTH
    )


@blueprint.route("/me/shop/settings", methods=["GET", "POST"])
@login_required
def settings() -> Response | tuple[str, int]:
    shop = _owned_shop()
    form = ShopProfileForm(obj=shop)
    if form.validate_on_submit():
        try:
            avatar = _read_avatar(form)
            services.update_shop_profile(shop, title=form.title.data, bio=form.bio.data or "", accent_colour=form.accent_colour.data)
            if avatar is not None:
                services.set_shop_avatar(shop, avatar)
            elif form.remove_avatar.data:
                services.set_shop_avatar(shop, None)
        except AvatarError as error:
            form.avatar.errors.append(str(error))
        except ShopError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("shops.editor"))
    status = 400 if request.method == "POST" else 200
    return render_template("shops/settings.html", form=form, shop=shop), status


@blueprint.route("/me/shop/publish", methods=["POST"])
@login_required
def publish() -> Response:
    try:
        published = services.publish_shop(_owned_shop())
    except ShopError as error:
        flash(str(error), "error")
    else:
        if published:
            db.session.commit()
            flash(_("Your shop is live. Share its link with your friends!"), "success")
    return redirect(url_for("shops.editor"))


@blueprint.route("/me/shop/unpublish", methods=["POST"])
@login_required
def unpublish() -> Response:
    if services.unpublish_shop(_owned_shop()):
        db.session.commit()
        flash(_("Your shop is a draft again: only you can see it."), "info")
    return redirect(url_for("shops.editor"))


# Curating -------------------------------------------------------------------------------


@blueprint.route("/me/shop/items", methods=["POST"])
@login_required
def add_item() -> Response:
    product_id = _product_id(request.form.get("product_id"))
    back = safe_next_path(request.form.get("next"), url_for("shops.editor"))
    if product_id is None:
        abort(400, description=_("Choose a product to add."))
    shop = _my_shop()
    if shop is None:
        flash(_("Open your shop first: it takes a minute."), "info")
        return redirect(url_for("shops.open_shop", add=product_id))
    try:
        item, added = services.add_item(shop, product_id, max_items=_max_items())
    except ShopError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    db.session.commit()
    if added:
        flash(_("Added “%(product)s” to your shop. Tell your friends why you picked it.", product=item.product.title), "success")
    return redirect(back)


def _item_action(product_id: int, action: Any, success: str = "") -> Response:
    shop = _owned_shop()
    try:
        action(shop)
    except ShopError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        if success:
            flash(success, "success")
    return redirect(url_for("shops.editor") + f"#item-{product_id}")


@blueprint.route("/me/shop/items/<int(max=999999999):product_id>/note", methods=["POST"])
@login_required
def save_note(product_id: int) -> Response:
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("A note has at most %(num)d characters.", num=services.NOTE_MAX_LENGTH), "error")
        return redirect(url_for("shops.editor") + f"#item-{product_id}")
    note = form.note.data or ""
    return _item_action(product_id, lambda shop: services.set_item_note(shop, product_id, note), _("Note saved."))


@blueprint.route("/me/shop/items/<int(max=999999999):product_id>/remove", methods=["POST"])
@login_required
def remove_item(product_id: int) -> Response:
    return _item_action(product_id, lambda shop: services.remove_item(shop, product_id))


@blueprint.route("/me/shop/items/<int(max=999999999):product_id>/move", methods=["POST"])
@login_required
def move_item(product_id: int) -> Response:
    offsets = {"up": -1, "down": 1}
    if request.form.get("direction") not in offsets:
        abort(400, description=_("Move a product up or down."))
    return _item_action(product_id, lambda shop: services.move_item(shop, product_id, offsets[request.form["direction"]]))


@blueprint.route("/me/shop/items/order", methods=["POST"])
@login_required
def reorder_items() -> Response | tuple[Response, int]:
    """The drag-and-drop editor posts the whole new order at once."""
    product_ids = [_product_id(raw) for raw in request.form.getlist("product_ids")]
    shop = _owned_shop()
    try:
        if None in product_ids:
            raise ShopError(_("The new order must list product ids."))
        services.reorder_items(shop, [pid for pid in product_ids if pid is not None])
    except ShopError as error:
        db.session.rollback()
        return jsonify(error=str(error)), 400
    db.session.commit()
    return jsonify(saved=True), 200


# Looks ----------------------------------------------------------------------------------


def _look_form(shop: Shop, look: Look | None = None) -> LookForm:
    form = LookForm(obj=look) if look else LookForm()
    form.product_ids.choices = [SelectChoice(item.product_id, item.product.title) for item in shop.items]
    if look is not None and request.method == "GET":
        form.product_ids.data = [item.product_id for item in look.items]
    return form


@blueprint.route("/me/shop/looks/new", methods=["GET", "POST"])
@login_required
def new_look() -> Response | tuple[str, int]:
    shop = _owned_shop()
    form = _look_form(shop)
    if form.validate_on_submit():
        try:
            look = services.create_look(shop, title=form.title.data, description=form.description.data or "", product_ids=form.product_ids.data)
        except ShopError as error:
            db.session.rollback()
            form.title.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Look “%(title)s” created.", title=look.title), "success")
            return redirect(url_for("shops.editor") + "#looks")
    status = 400 if request.method == "POST" else 200
    return render_template("shops/look_form.html", form=form, shop=shop, look=None), status


@blueprint.route("/me/shop/looks/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_look(slug: str) -> Response | tuple[str, int]:
    shop = _owned_shop()
    try:
        look = services.get_look(shop, slug)
    except services.LookNotFound:
        abort(404, description=_("You have no look with that name."))
    form = _look_form(shop, look)
    if form.validate_on_submit():
        try:
            services.update_look(shop, look, title=form.title.data, description=form.description.data or "", product_ids=form.product_ids.data)
        except ShopError as error:
            db.session.rollback()
            form.title.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Look saved."), "success")
            return redirect(url_for("shops.editor") + "#looks")
    status = 400 if request.method == "POST" else 200
    return render_template("shops/look_form.html", form=form, shop=shop, look=look), status


@blueprint.route("/me/shop/looks/<slug>/delete", methods=["POST"])
@login_required
def delete_look(slug: str) -> Response:
    shop = _owned_shop()
    try:
        services.delete_look(shop, services.get_look(shop, slug))
    except services.LookNotFound:
        abort(404, description=_("You have no look with that name."))
    db.session.commit()
    flash(_("Look deleted."), "info")
    return redirect(url_for("shops.editor") + "#looks")


# Public pages ---------------------------------------------------------------------------


def _public_shop(handle: str) -> Shop:
    viewer = current_user.id if current_user.is_authenticated else None
    try:
        return services.get_public_shop(handle, viewer_id=viewer)
    except services.ShopNotFound:
        abort(404, description=_("There is no shop with this name. Discover other curators below."))
    except services.ShopSuspended:
        abort(410, description=_("This shop has been suspended and is no longer available."))


@blueprint.route("/@<handle>")
@reads_only
def public_shop(handle: str) -> str:
    if seen_as_by_everyone():
        cached = pages.cached_whole_page(handle)
        if cached is not None:
            return cached
        shop = _public_shop(handle)
        return pages.render_whole_page(shop, "shops/public.html", page=pages.shop_page(shop))
    shop = _public_shop(handle)
    return render_template("shops/public.html", shop=shop, page=pages.shop_page(shop))


@blueprint.route("/@<handle>/looks/<slug>")
@reads_only
def public_look(handle: str, slug: str) -> str:
    shop = _public_shop(handle)
    try:
        look = services.get_look(shop, slug)
    except services.LookNotFound:
        abort(404, description=_("This look does not exist (any more). See the whole shop instead."))
    return render_template("shops/look.html", shop=shop, look=look, items=look.items)


@blueprint.route("/@<handle>/avatar")
def avatar(handle: str) -> Response:
    shop = _public_shop(handle)
    if shop.avatar_webp:
        response = Response(shop.avatar_webp, mimetype="image/webp")
    else:
        response = Response(generated_avatar_svg(shop.title, shop.accent_colour), mimetype="image/svg+xml")
    # The URL carries ?v=<avatar_version>, so a new picture is a new URL; a draft's stays private.
    response.headers["Cache-Control"] = "public, max-age=86400" if shop.is_public else "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.route("/discover")
@reads_only
def discover() -> str:
    sort = ShopSort.parse(request.args.get("sort"))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    listing = services.list_public_shops(sort, page, SHOPS_PER_PAGE)
    return render_template("shops/discover.html", listing=listing, sort=sort, sorts=list(ShopSort))
