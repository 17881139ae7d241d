"""Forms of the registration page a coordinator uses on the phone.

They only carry what was typed; the rules (capacity, duplicates, what a phone number or a
birth year in 和暦 may be) live in app.people.learners and app.people.registration, whose
field errors are shown beside these fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SearchField, StringField, TelField

from app.scheduling.forms import ServiceErrors


class LearnerSearchForm(FlaskForm):
    """A GET form: typing a name shows matches; nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("ふりがな・名前・電話番号で探す"))


class AddRegistrationForm(FlaskForm):
    # Each result's 登録 button submits its learner's id as this field.
    learner_id = IntegerField(_l("受講者"))
    override_capacity = BooleanField(_l("定員を超えて登録する(記録に残ります)"))


class NewLearnerForm(ServiceErrors, FlaskForm):
    furigana = StringField(_l("ふりがな"))
    name = StringField(_l("お名前"))
    phone = TelField(_l("電話番号"), description=_l("例: 090-1234-5678"))
    birth_year = StringField(_l("生まれた年"), description=_l("例: 1948、昭和23年、S23"))
    district = StringField(_l("地区"))
    consent = BooleanField(_l("個人情報の利用に同意をいただいた"))
    override_capacity = BooleanField(_l("定員を超えて登録する(記録に残ります)"))
    # Set by the "not one of these people" button once possible duplicates were shown.
    confirmed_new = HiddenField()

    LEARNER_FIELDS = ("furigana", "name", "phone", "birth_year", "district", "consent")

    def learner_raw(self) -> dict:
        return {name: self[name].data for name in self.LEARNER_FIELDS}


class CancelRegistrationForm(FlaskForm):
    """The registration is named by the URL; `confirmed` is the answer to the question the
    confirmation page asks (the list's 取り消す only opens that page)."""

    confirmed = HiddenField()
