"""The public sign-up form: few fields, each with a plain message when it needs fixing.

The messages are やさしい日本語 (kana, short sentences); the rules behind them are the learner
service's (app.people.learners.read_learner), whose findings are turned into these words.
"""

from __future__ import annotations

from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice is WTForms 3.3's; types-WTForms is 3.2's
    BooleanField,
    EmailField,
    Form,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, InputRequired

from app.parsing import romaji_to_hiragana
from app.public.signup import PublicChoices, PublicFilters

PLAIN_MESSAGES = {
    "name": _l("おなまえを かいて ください。"),
    "furigana": _l("ふりがなを ひらがなで かいて ください。"),
    "furigana_romaji": _l(
        "よみかたを ひらがなか ローマじで かいて ください(れい: tanaka michiko)。"
    ),
    "phone": _l("でんわばんごうを すうじで かいて ください(れい: 090-1234-5678)。"),
    "birth_year": _l("うまれた とし を 1948 や 昭和23年 のように かいて ください。"),
    "consent": _l("「どうい します」に チェックを いれて ください。"),
    "family_name": _l("ごかぞくの おなまえを かいて ください。"),
    "family_relation": _l("つづきがらは みじかく かいて ください(れい: むすめ)。"),
    "family_phone": _l(
        "ごかぞくの でんわばんごうか メールアドレスを かいて ください(れい: 090-1234-5678)。"
    ),
    "family_email": _l("メールアドレスを かいて ください(れい: hanako@example.jp)。"),
    "family_consent": _l(
        "れんらくして よいときは、でんわばんごうか メールアドレスを かいて ください。"
    ),
}
SELF, FAMILY = "self", "family"


class SignupForm(FlaskForm):
    name = StringField(_l("おなまえ"), [InputRequired(PLAIN_MESSAGES["name"])])
    furigana = StringField(_l("ふりがな"), [InputRequired(PLAIN_MESSAGES["furigana"])])
    phone = TelField(_l("でんわばんごう"), [InputRequired(PLAIN_MESSAGES["phone"])])
    birth_year = StringField(_l("うまれた とし(かかなくても だいじょうぶです)"))
    consent = BooleanField(_l("どうい します"), [DataRequired(PLAIN_MESSAGES["consent"])])
    # Who fills the form in: a family member gives their own contact too. Any other value
    # counts as ご本人 (nothing to refuse a person for).
    who = RadioField(
        _l("だれが もうしこみますか"),
        choices=[
            SelectChoice(SELF, _l("ご本人が 申し込む")),
            SelectChoice(FAMILY, _l("ご家族が 申し込む")),
        ],
        default=SELF,
        validate_choice=False,
    )
    family_name = StringField(_l("ごかぞくの おなまえ"))
    family_relation = StringField(_l("つづきがら(れい: むすめ、むすこ)"))
    family_phone = TelField(_l("ごかぞくの でんわばんごう"))
    family_email = EmailField(_l("ごかぞくの メールアドレス"))
    family_consent = BooleanField(_l("この連絡先に確認の連絡をしてもよい"))
    # A random key made when the form is shown: a double click sends it twice.
    form_key = HiddenField()
    # The honeypot: no person sees it (templates/public/signup.html, .hp in app.css), a bot
    # that fills every field fills it. Its name means nothing to a browser's autofill.
    website = StringField(_l("この らんには なにも かかないで ください"))

    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())

    def learner_raw(self) -> dict:
        return {
            "name": self.name.data,
            "furigana": self._reading(),
            "phone": self.phone.data,
            "birth_year": self.birth_year.data or None,
            "consent": True,
        }

    def family_raw(self) -> dict | None:
        """The family member's contact, as app.people.confirmations reads it; None when the
        learner signs up themself (whatever the hidden family fields hold)."""
        if self.who.data != FAMILY:
            return None
        return {
            "name": self.family_name.data or "",
            "relation": self.family_relation.data or "",
            "phone": self.family_phone.data or "",
            "email": self.family_email.data or "",
            "consent": bool(self.family_consent.data),
        }

    def _reading(self) -> str | None:
        """The kana staff search by. On the English page a reading may come in romaji (a
        helper abroad, or a learner who does not write kana); it is kept as hiragana."""
        typed = self.furigana.data
        if _english():
            return romaji_to_hiragana(typed) or typed
        return typed

    def show_plain_errors(self, fields: dict[str, str]) -> None:
        """Put a plain message beside each field the service refused."""
        for name in fields:
            if name in self and not self[name].errors:
                key = "furigana_romaji" if name == "furigana" and _english() else name
                self[name].errors = [
                    *self[name].errors,
                    str(PLAIN_MESSAGES.get(key, fields[name])),
                ]


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


class PublicFilterForm(Form):
    """The list's filters, read from the query string (nothing changes: no CSRF token).
    Each offers only what has a class open, so a phone shows a short list to pick from."""

    area = SelectField(_l("ちいき"), validate_choice=False)
    course = SelectField(_l("ないよう"), validate_choice=False)
    day = SelectField(_l("ひにち"), validate_choice=False)

    def load_choices(self, choices: PublicChoices, day_label) -> None:
        every = ("", _("すべて"))
        self.area.choices = [every] + [(a, a) for a in choices.areas]
        self.course.choices = [every] + [(slug, v.title) for slug, v in choices.courses]
        self.day.choices = [every] + [(d.isoformat(), day_label(d)) for d in choices.days]

    def read(self) -> PublicFilters | None:
        """The filters asked for; None (and a message beside the box) when a value is not
        one the list offers, as from an old bookmark."""
        wrong = False
        for box in (self.area, self.course, self.day):
            offered = {str(choice[0]) for choice in box.iter_choices()}
            if (box.data or "") not in offered:
                box.errors = [_("この なかから えらんで ください。")]
                wrong = True
        if wrong:
            return None
        return PublicFilters(
            area=self.area.data or None,
            course=self.course.data or None,
            day=date.fromisoformat(self.day.data) if self.day.data else None,
        )
