"""Sign up, log in, log out."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext, refresh
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from storefront.accounts import services, sessions
from storefront.accounts.forms import BROWSER_LANGUAGE, ConfirmPasswordForm, LanguageForm, LoginForm, SignupForm
from storefront.accounts.models import User
from storefront import i18n, throttle
from storefront.extensions import db, login_manager
from storefront.navigation import safe_next_path

blueprint = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see that page.")
# The lazy message becomes a str (the session stores flashes as JSON) in the reader's language.
login_manager.localize_callback = str
#: The session cookie's key for the server-side session's token.
SESSION_TOKEN = "sid"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of this browser's session, while that session is open on the server."""
    token = session.get(SESSION_TOKEN)
    if not user_id.isdigit() or not isinstance(token, str):
        return None
    found = sessions.find_active(int(user_id), token, timedelta(days=current_app.config["SESSION_MAX_AGE_DAYS"]))
    if found is None:
        return None
    g.user_session = found
    return found.user


def _start_session(user: User) -> None:
    # A fresh session on log-in: nothing a visitor planted before survives (no fixation),
    # except the cart and the orders placed as a guest in this browser.
    kept = {key: session[key] for key in ("cart", "placed_orders") if key in session}
    session.clear()
    session.update(kept)
    session[SESSION_TOKEN] = sessions.open_session(user)
    # The language this browser reads (chosen before signing in): e-mails and notices use it until the user picks one.
    user.browser_locale = i18n.current_locale()
    login_user(user)
    db.session.commit()  # the session row, and what the sign-in hooks recorded (this browser, its touches)


TOO_MANY = _l("Too many attempts from here. Wait a minute, then try again.")


def _throttled(*checks: tuple[str, str, str]) -> bool:
    """True when any (config limit, namespace, value) is used up; every check is counted."""
    results = [throttle.allow(current_app.config[limit], namespace, value) for limit, namespace, value in checks]
    return not all(results)


@blueprint.route("/signup", methods=["GET", "POST"])
def signup() -> Response | tuple[str, int]:
    form = SignupForm()
    if request.method == "POST" and _throttled(("SIGNUP_RATE_LIMIT", "signup-ip", throttle.network_of(request.remote_addr))):
        form.email.errors = [TOO_MANY]
        return render_template("accounts/signup.html", form=form), 429
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.display_name.data, form.password.data)
        except services.EmailTaken as error:
            form.email.errors.append(str(error))
        except services.WeakPassword as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            _start_session(user)
            flash(_("Welcome to Vitrine, %(name)s!", name=user.display_name), "success")
            return redirect(safe_next_path(request.args.get("next")))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/signup.html", form=form), status


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    form = LoginForm()
    if request.method == "POST" and _throttled(
        ("LOGIN_IP_RATE_LIMIT", "login-ip", throttle.network_of(request.remote_addr)),
        ("LOGIN_ACCOUNT_RATE_LIMIT", "login-account", services.normalize_email(str(request.form.get("email", ""))[:254])),
    ):
        # The same answer whether or not the account exists.
        form.password.errors = [TOO_MANY]
        return render_template("accounts/login.html", form=form), 429
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user)
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next_path(request.args.get("next")))
        form.password.errors.append(_("That e-mail and password do not match an account."))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    token = session.get(SESSION_TOKEN)
    if isinstance(token, str):
        sessions.revoke(token)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("catalog.home"))


@blueprint.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> Response:
    ended = sessions.revoke_all(current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash(ngettext(
        "You are logged out on every device (%(num)d session ended).",
        "You are logged out on every device (%(num)d sessions ended).", ended,
    ), "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/account")
@login_required
def account() -> str:
    return _account_page(LanguageForm(locale=current_user.locale or BROWSER_LANGUAGE))


def _account_page(language_form: LanguageForm) -> str:
    return render_template(
        "accounts/account.html", open_sessions=sessions.active_count(current_user.id), language_form=language_form
    )


@blueprint.route("/account/language", methods=["POST"])
@login_required
def save_language() -> Response | tuple[str, int]:
    """The account's language, on every device; the cookie keeps it for this browser once logged out."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return _account_page(form), 400
    locale = form.locale.data or None
    try:
        services.set_user_locale(current_user, locale)
    except i18n.UnknownLanguage as error:
        form.locale.errors.append(str(error))
        return _account_page(form), 400
    db.session.commit()
    refresh()  # the confirmation speaks the language just chosen
    flash(_("Language saved."), "success")
    response = redirect(url_for("accounts.account"))
    if locale is None:
        # Without the choice remembered, the browser's own language counts again.
        response.delete_cookie(i18n.LOCALE_COOKIE, samesite="Lax", httponly=True)
    else:
        i18n.set_locale_cookie(response, locale)
    return response


@blueprint.route("/confirm-password", methods=["GET", "POST"])
@login_required
def confirm_password() -> Response | tuple[str, int]:
    """Type the password again before an action that wants a recent one; then back to where it was asked."""
    form = ConfirmPasswordForm()
    if request.method == "POST" and _throttled(("LOGIN_ACCOUNT_RATE_LIMIT", "login-account", current_user.email)):
        form.password.errors = [TOO_MANY]
        return render_template("accounts/confirm_password.html", form=form), 429
    if form.validate_on_submit():
        user_session = sessions.current()
        if user_session is not None and services.authenticate(current_user.email, form.password.data) is not None:
            sessions.confirm_password(user_session)
            db.session.commit()
            flash(_("Thank you: you can go on."), "success")
            return redirect(safe_next_path(request.args.get("next")))
        form.password.errors.append(_("That is not your password."))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/confirm_password.html", form=form), status

