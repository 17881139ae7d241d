"""Forms of the learner pages, and the words they show for stored codes.

The forms carry what was typed, as typed (full-width digits, 昭和23年, katakana); the rules
live in app.people.learners and app.parsing, whose field errors are shown beside these
fields.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice is WTForms 3.3's; types-WTForms is 3.2's
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.widgets import HiddenInput

from app.auth.models import User
from app.extensions import db
from app.inputs import digits_int
from app.labels import (
    ATTENDANCE_STATUS,
    AUDIENCE,
    DEVICE,
    LANGUAGE,
    REGISTRATION_SOURCE,
    REGISTRATION_STATUS,
)
from app.people.models import Learner
from app.people.privacy import Field, learner_visibility, may_see
from app.people.schemas import LearnerIn
from app.scheduling.forms import ServiceErrors, option

# ---------------------------------------------------------------- words for codes

_LABELS = {
    "kind": AUDIENCE,
    "device": DEVICE,
    "language": LANGUAGE,
    "registration_status": REGISTRATION_STATUS,
    "attendance_status": ATTENDANCE_STATUS,
    "registration_source": REGISTRATION_SOURCE,
}


def people_label(kind: str, code: str | None) -> str:
    if code is None:
        return ""
    return str(_LABELS[kind].get(code, code))


# Era names and the Gregorian year of each era's first year (元年), for showing a birth year.
_ERAS = (
    (2019, _l("令和")),
    (1989, _l("平成")),
    (1926, _l("昭和")),
    (1912, _l("大正")),
    (1868, _l("明治")),
)


def era_names(year: int) -> list[str]:
    """和暦 of a year, newest era first: 1948 → ['昭和23年']; 1989 → ['平成元年', '昭和64年'].

    A year in which the era changed belongs to both, and people say either.
    """
    names = []
    for index, (first, era) in enumerate(_ERAS):
        if year < first:
            continue
        number = year - first + 1
        names.append(
            _("%(era)s元年", era=era) if number == 1 else _("%(era)s%(n)d年", era=era, n=number)
        )
        # The older era also covers this year only when the newer one began in it.
        if number != 1 or index + 1 == len(_ERAS):
            break
    return names


def birth_year_text(year: int | None) -> str:
    """1948 → '1948(昭和23年)'."""
    if year is None:
        return ""
    eras = era_names(year)
    if not eras:
        return str(year)
    return _("%(year)d(%(eras)s)", year=year, eras="・".join(eras))


# ---------------------------------------------------------------- finding learners


class LearnerFilterForm(Form):
    """The list's search box and district filter, read from the query string (no CSRF)."""

    q = SearchField(
        _l("ふりがな・名前・電話番号"),
        description=_l(
            "ひらがなでもカタカナでも探せます。名前の一部や電話番号の一部でも探せます。"
        ),
    )
    district = SelectField(_l("地区"), validate_choice=False)

    def load_choices(self, user: User) -> None:
        # Those who may not see where people live are offered no districts to filter by.
        districts: Iterable[str | None] = (
            db.session.scalars(
                sa.select(Learner.district)
                .where(learner_visibility(user), Learner.district.is_not(None))
                .distinct()
                .order_by(Learner.district)
            )
            if may_see(user, Field.DISTRICT)
            else []
        )
        self.district.choices = [option("", _("すべて"))] + [
            option(d, d) for d in districts if d is not None
        ]


# ---------------------------------------------------------------- one learner


class LearnerForm(ServiceErrors, FlaskForm):
    name = StringField(_l("お名前"), description=_l("例: 山田 花子"))
    furigana = StringField(
        _l("ふりがな"), description=_l("ひらがな か カタカナ で入力してください。例: やまだ はなこ")
    )
    phone = TelField(_l("電話番号"), description=_l("例: 090-1234-5678、0422-12-3456"))
    phone2 = TelField(_l("電話番号(2つ目)"), description=_l("家族の連絡先など。なければ空欄"))
    birth_year = StringField(
        _l("生まれた年"), description=_l("例: 1948、昭和23年、S23(和暦でも西暦でも)")
    )
    district = StringField(_l("地区"), description=_l("例: 中央地区"))
    kind = RadioField(
        _l("区分"),
        choices=[SelectChoice(code, text) for code, text in AUDIENCE.items()],
        default="senior",
        validate_choice=False,
    )
    device = SelectField(_l("使っている端末"), validate_choice=False)
    language = SelectField(_l("使う言語"), validate_choice=False, default="ja")
    needs_vision = BooleanField(_l("見えにくい(大きな文字・拡大が必要)"))
    needs_hearing = BooleanField(_l("聞こえにくい(筆談・ヒアリングループが必要)"))
    needs_mobility = BooleanField(_l("移動に配慮が必要(車いす・段差なし)"))
    consent = BooleanField(
        _l("個人情報の利用に同意をいただいた"),
        description=_l("チェックすると、今日の日付とあなたの名前が同意の記録として残ります。"),
    )
    share_with_partner = BooleanField(
        _l("講座を担当する協力団体に、お名前と電話番号を伝えることに同意をいただいた"),
        description=_l("個人情報の利用への同意とは別に確認してください。"),
    )
    notes = TextAreaField(_l("メモ"))

    # The learner's fields as the service reads them (`needs` is the API's way of sending
    # needs_*).
    LEARNER_FIELDS = tuple(sorted(set(LearnerIn.model_fields) - {"needs"}))

    def load_choices(self, keep_language: str | None = None) -> None:
        self.device.choices = [option("", _("まだ聞いていない"))] + [
            option(code, text) for code, text in DEVICE.items()
        ]
        languages = dict(LANGUAGE)
        # A language set through the API that the list does not name stays selectable.
        if keep_language and keep_language not in languages:
            languages[keep_language] = keep_language
        self.language.choices = [option(code, text) for code, text in languages.items()]

    def fill_from(self, learner: Learner) -> None:
        for name in self.LEARNER_FIELDS:
            if name == "consent":
                self.consent.data = learner.consent_on is not None
            elif name == "birth_year":
                self.birth_year.data = str(learner.birth_year) if learner.birth_year else ""
            else:
                self[name].data = getattr(learner, name)
        self.device.data = learner.device or ""

    def learner_raw(self) -> dict:
        """The fields in the service's words, as typed."""
        raw = {name: self[name].data for name in self.LEARNER_FIELDS}
        raw["device"] = raw["device"] or None
        raw["notes"] = raw["notes"] or ""
        return raw


class NewLearnerForm(LearnerForm):
    confirm_new = BooleanField(_l("別の人として登録する"))
    # The possible duplicates the coordinator was shown; confirming covers those only.
    duplicates_seen = HiddenField()

    def seen_ids(self) -> set[int]:
        parts = (digits_int(part) for part in (self.duplicates_seen.data or "").split(","))
        return {number for number in parts if number is not None}


# ---------------------------------------------------------------- merging


class MergeForm(FlaskForm):
    other = IntegerField(widget=HiddenInput())
