"""notify(): a notice and an outbox e-mail per cause, once, as the user's preferences say."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from commissions.notifications import services
from commissions.notifications.models import NotificationKind
from commissions.notifications.services import Channels, Message
from storefront.extensions import db
from tests.notifications.conftest import emails_of, notices_of

pytestmark = pytest.mark.usefixtures("request_context")
K = NotificationKind


def message(kind: NotificationKind = K.SALE_PAID) -> Message:
    return Message(kind, title="You made a sale: $5.00 earned", body="Order V-1 is paid.", link_path="/me/earnings",
                   details={"held": False})


@pytest.fixture
def user(create_user: Any) -> Any:
    return create_user(email="ana@example.com")


def test_notify_writes_a_notice_and_an_email(user: Any) -> None:
    delivery = services.notify(user.id, message(), dedupe_key="sale_paid:order:1:user:1")
    assert delivery.notice is not None and delivery.email is not None
    assert [(n.title, n.link_path, n.read_at) for n in notices_of(user.id)] == [("You made a sale: $5.00 earned", "/me/earnings", None)]
    assert [(e.recipient, e.subject, e.status, e.attempts) for e in emails_of(user.id)] == [
        ("ana@example.com", "You made a sale: $5.00 earned", "pending", 0)]


def test_the_email_links_to_the_detail_and_the_settings_on_the_public_address(app: Flask, user: Any) -> None:
    services.notify(user.id, message(), dedupe_key="k")
    body = emails_of(user.id)[0].text_body
    assert body.startswith("Hello Test User,\n\nOrder V-1 is paid.")
    assert f"{app.config['BASE_URL']}/me/earnings" in body and f"{app.config['BASE_URL']}/me/notifications/settings" in body


def test_notify_twice_with_one_key_writes_once(user: Any) -> None:
    services.notify(user.id, message(), dedupe_key="sale_paid:order:1:user:1")
    again = services.notify(user.id, message(), dedupe_key="sale_paid:order:1:user:1")
    assert (again.notice, again.email) == (None, None)
    assert (len(notices_of(user.id)), len(emails_of(user.id))) == (1, 1)


def test_notify_flushes_but_never_commits(user: Any) -> None:
    services.notify(user.id, message(), dedupe_key="k")
    db.session.rollback()
    assert notices_of(user.id) == [] and emails_of(user.id) == []


def test_every_kind_is_on_until_the_user_chooses(user: Any) -> None:
    assert services.preferences_for(user.id) == {kind: Channels(email=True, in_app=True) for kind in K}


def test_an_email_opt_out_keeps_the_notice(user: Any) -> None:
    services.save_preferences(user.id, {K.SALE_PAID: Channels(email=False, in_app=True)})
    services.notify(user.id, message(), dedupe_key="k")
    assert (len(notices_of(user.id)), len(emails_of(user.id))) == (1, 0)


def test_an_in_app_opt_out_keeps_the_email(user: Any) -> None:
    services.save_preferences(user.id, {K.SALE_PAID: Channels(email=True, in_app=False)})
    services.notify(user.id, message(), dedupe_key="k")
    assert (len(notices_of(user.id)), len(emails_of(user.id))) == (0, 1)


def test_opting_out_of_one_kind_leaves_the_others_on(user: Any) -> None:
    services.save_preferences(user.id, {K.SALE_PAID: Channels(email=False, in_app=False)})
    services.notify(user.id, message(K.SALE_PAID), dedupe_key="sale")
    services.notify(user.id, message(K.PAYOUT_SENT), dedupe_key="payout")
    assert [n.kind for n in notices_of(user.id)] == ["payout_sent"] and [e.kind for e in emails_of(user.id)] == ["payout_sent"]


def test_saving_preferences_again_updates_them(user: Any) -> None:
    services.save_preferences(user.id, {K.PAYOUT_SENT: Channels(email=False, in_app=True)})
    services.save_preferences(user.id, {K.PAYOUT_SENT: Channels(email=True, in_app=False)})
    assert services.preferences_for(user.id)[K.PAYOUT_SENT] == Channels(email=True, in_app=False)


def test_the_paths_notices_lead_to_are_real_pages(app: Flask) -> None:
    urls = app.url_map.bind("localhost")
    assert urls.match(services.EARNINGS_PATH)[0] == "commissions.earnings"
    assert urls.match(services.payout_path(7)) == ("commissions.payout_detail", {"payout_id": 7})
    assert urls.match(services.SETTINGS_PATH)[0] == "notifications.settings"
