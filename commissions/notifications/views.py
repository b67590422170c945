"""A curator's notifications: the list, marking read, the per-kind settings, and the header's unread count."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from commissions.notifications import services
from commissions.notifications.forms import PreferencesForm
from commissions.notifications.models import NotificationKind
from storefront.extensions import db
from storefront.listing import page_number

blueprint = Blueprint("notifications", __name__)


@blueprint.app_template_global("unread_notice_count")
def unread_notice_count() -> int:
    """One COUNT per request, for the signed-in user's badge."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notice_count" not in g:
        g.unread_notice_count = services.count_notices(current_user.id, unread_only=True)
    return int(g.unread_notice_count)


@blueprint.route("/me/notifications")
@login_required
def index() -> str:
    listing = services.list_notices(current_user.id, page=page_number(request.args.get("page")))
    return render_template("notifications/index.html", listing=listing)


@blueprint.route("/me/notifications/<int(max=999999999):notice_id>/read", methods=["POST"])
@login_required
def mark_read(notice_id: int) -> Response:
    notice = services.find_notice(current_user.id, notice_id)
    if notice is None:
        abort(404, description=_("There is no such notification of yours."))
    services.mark_read(notice)
    db.session.commit()
    return redirect(url_for("notifications.index", page=page_number(request.form.get("page"))))


@blueprint.route("/me/notifications/read", methods=["POST"])
@login_required
def mark_all_read() -> Response:
    services.mark_all_read(current_user.id)
    db.session.commit()
    flash(_("Every notification is marked as read."), "success")
    return redirect(url_for("notifications.index"))


@blueprint.route("/me/notifications/settings", methods=["GET", "POST"])
@login_required
def settings() -> Response | str:
    form = PreferencesForm() if request.method == "POST" else PreferencesForm.with_current(services.preferences_for(current_user.id))
    if form.validate_on_submit():
        services.save_preferences(current_user.id, form.choices())
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, kinds=list(NotificationKind))
