"""Forms of the call list and of a learner's family contact. They carry what was typed; the
rules are app.people.confirmations' (its field errors are shown beside these fields)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField, TelField

from app.people.models import FamilyContact
from app.scheduling.forms import ServiceErrors


class CallForm(FlaskForm):
    """One row's outcome: the button pressed names it (`outcome`), a note may go with it."""

    outcome = HiddenField()
    note = StringField(_l("メモ"))
    date = HiddenField()  # the list's day, to go back to

    def call_raw(self) -> dict[str, str]:
        return {"outcome": self.outcome.data or "", "note": self.note.data or ""}


class FamilyContactForm(ServiceErrors, FlaskForm):
    name = StringField(_l("お名前"), description=_l("例: 山田 一郎"))
    relation = StringField(_l("続柄"), description=_l("例: 長男、娘、妻"))
    phone = TelField(_l("電話番号"), description=_l("例: 090-1234-5678"))
    email = EmailField(_l("メールアドレス"), description=_l("講座の2日前にお知らせが届きます。"))
    consent = BooleanField(_l("ご家族に連絡してよいと、ご本人から同意をいただいた"))

    def fill_from(self, contact: FamilyContact) -> None:
        self.name.data = contact.name
        self.relation.data = contact.relation
        self.phone.data = contact.phone or ""
        self.email.data = contact.email or ""
        self.consent.data = contact.consent

    def contact_raw(self) -> dict[str, object]:
        return {
            "name": self.name.data or "",
            "relation": self.relation.data or "",
            "phone": self.phone.data or "",
            "email": self.email.data or "",
            "consent": bool(self.consent.data),
        }
