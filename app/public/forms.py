"""The public sign-up form: few fields, each with a plain message when it needs fixing.

The messages are やさしい日本語 (kana, short sentences); the rules behind them are the learner
service's (app.people.learners.read_learner), whose findings are turned into these words.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TelField
from wtforms.validators import DataRequired, InputRequired

PLAIN_MESSAGES = {
    "name": _l("おなまえを かいて ください。"),
    "furigana": _l("ふりがなを ひらがなで かいて ください。"),
    "phone": _l("でんわばんごうを すうじで かいて ください(れい: 090-1234-5678)。"),
    "birth_year": _l("うまれた とし を 1948 や 昭和23年 のように かいて ください。"),
    "consent": _l("「どうい します」に チェックを いれて ください。"),
}


class SignupForm(FlaskForm):
    name = StringField(_l("おなまえ"), [InputRequired(PLAIN_MESSAGES["name"])])
    furigana = StringField(_l("ふりがな"), [InputRequired(PLAIN_MESSAGES["furigana"])])
    phone = TelField(_l("でんわばんごう"), [InputRequired(PLAIN_MESSAGES["phone"])])
    birth_year = StringField(_l("うまれた とし(かかなくても だいじょうぶです)"))
    consent = BooleanField(_l("どうい します"), [DataRequired(PLAIN_MESSAGES["consent"])])
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
            "furigana": self.furigana.data,
            "phone": self.phone.data,
            "birth_year": self.birth_year.data or None,
            "consent": True,
        }

    def show_plain_errors(self, fields: dict[str, str]) -> None:
        """Put a plain message beside each field the service refused."""
        for name in fields:
            if name in self and not self[name].errors:
                self[name].errors = [
                    *self[name].errors,
                    str(PLAIN_MESSAGES.get(name, fields[name])),
                ]
