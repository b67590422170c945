"""The notification settings form: an e-mail and an in-app checkbox per kind."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField

from commissions.notifications.models import NotificationKind
from commissions.notifications.services import Channels


class PreferencesForm(FlaskForm):
    """Fields `<kind>_email` and `<kind>_in_app` for every kind (added below)."""

    def field_for(self, kind: NotificationKind, channel: str) -> BooleanField:
        return self[f"{kind.value}_{channel}"]  # type: ignore[no-any-return]

    def choices(self) -> dict[NotificationKind, Channels]:
        return {
            kind: Channels(email=bool(self.field_for(kind, "email").data), in_app=bool(self.field_for(kind, "in_app").data))
            for kind in NotificationKind
        }

    @classmethod
    def with_current(cls, current: dict[NotificationKind, Channels]) -> PreferencesForm:
        """A form showing the saved choices (a posted form reads the boxes sent instead)."""
        data = {}
        for kind, channels in current.items():
            data[f"{kind.value}_email"] = channels.email
            data[f"{kind.value}_in_app"] = channels.in_app
        return cls(data=data)


for _kind in NotificationKind:
    setattr(PreferencesForm, f"{_kind.value}_email", BooleanField(_l("E-mail")))
    setattr(PreferencesForm, f"{_kind.value}_in_app", BooleanField(_l("On the site")))
