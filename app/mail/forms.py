"""The form of 「通知の設定」. The kinds are known only at run time (the areas register them),
so the routes set the choices; the service (preferences.save) judges what is posted."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3's; types-WTForms is 3.2's
from wtforms.widgets import CheckboxInput, ListWidget

from app.mail.kinds import optional_kinds


class SettingsForm(FlaskForm):
    locale = RadioField(
        _l("メールの言語"),
        choices=[SelectChoice("ja", "日本語"), SelectChoice("en", "English")],
        validate_choice=False,
    )
    receive = SelectMultipleField(
        _l("受け取る通知"),
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("チェックを外した種類のメールは届かなくなります。"),
    )

    def set_kinds(self) -> None:
        self.receive.choices = [SelectChoice(k.name, k.label) for k in optional_kinds()]
