"""Forms of the sheet's controls on the organization page. The rules (what a key looks like,
when a sync may run) live in app.sheets.sync; these only carry the input and the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField


class LinkSheetForm(FlaskForm):
    spreadsheet = StringField(
        _l("スプレッドシートのURLまたはキー"),
        description=_l(
            "Googleスプレッドシートを開いたときのアドレス(https://docs.google.com/spreadsheets/d/…/edit)を貼り付けてください。"
        ),
    )


class SyncNowForm(FlaskForm):
    """No fields: the button itself, protected against cross-site posts."""
