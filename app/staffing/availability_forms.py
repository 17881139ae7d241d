"""Forms of the availability page: the weekly times as rows, and one unavailable date.

They only read what was typed (times as 10:00, 10時, １０：００; dates as 2026-12-24 or
2026年12月24日); the rules are app.staffing.availability's, whose reasons come back keyed by
these fields' names (weekly-0-ends) and are put beside them.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
)

from app.inputs import digits_int
from app.labels import WEEKDAY
from app.scheduling.forms import LocalDateField, LocalTimeField, add_error, filled_in, option
from app.staffing.availability import MAX_WEEKLY, WeeklySlot
from app.text import clean

BLANK_ROWS = 2  # empty rows under the kept ones, to add a time without a round trip
NOT_A_WEEKDAY = -1  # what an unknown weekday is passed as: the service names the row


class WeeklyRowForm(Form):
    """One weekly time (no CSRF of its own: it is part of WeeklyForm)."""

    # Any value is read; one that is no weekday is the service's error, named by its row.
    weekday = SelectField(_l("曜日"), validate_choice=False)
    starts = LocalTimeField(_l("始まり"))
    ends = LocalTimeField(_l("終わり"))
    remove = BooleanField(_l("この行を消す"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Made per request, so that the names are in the reader's language.
        self.weekday.choices = [
            option("", ""),
            *(option(str(i), name) for i, name in enumerate(WEEKDAY)),
        ]

    def is_blank(self) -> bool:
        return not any(
            clean(f.raw_data[0]) if f.raw_data else False
            for f in (self.weekday, self.starts, self.ends)
        )


class WeeklyForm(FlaskForm):
    weekly = FieldList(FormField(WeeklyRowForm), max_entries=MAX_WEEKLY)
    more = SubmitField(_l("空欄を%(n)d行増やす", n=BLANK_ROWS))
    save = SubmitField(_l("教えられる時間を保存する"))

    def add_blank_rows(self, n: int = BLANK_ROWS) -> None:
        wanted = min(len(self.weekly) + n, MAX_WEEKLY)
        while len(self.weekly) < wanted:
            self.weekly.append_entry()

    @property
    def may_add_rows(self) -> bool:
        return len(self.weekly) < MAX_WEEKLY

    def slots(self) -> list[WeeklySlot] | None:
        """The rows to keep, each numbered as the page shows it; None when a row cannot be
        read (its field says why). Empty rows and rows ticked to remove are left out."""
        slots: list[WeeklySlot] = []
        readable = True
        for index, entry in enumerate(self.weekly):
            row: WeeklyRowForm = entry.form
            if row.remove.data or row.is_blank():
                for f in row:  # what is dropped cannot be wrong
                    f.errors = []
                continue
            if row.starts.errors or row.ends.errors:
                readable = False
                continue
            missing = [
                (f, why)
                for f, why in (
                    (row.weekday, _l("曜日を選んでください。")),
                    (row.starts, _l("始まりの時刻を入力してください。")),
                    (row.ends, _l("終わりの時刻を入力してください。")),
                )
                if not f.data
            ]
            for f, why in missing:
                add_error(f, str(why))
            if missing:
                readable = False
                continue
            weekday = digits_int(clean(row.weekday.data))
            slots.append(
                WeeklySlot(
                    NOT_A_WEEKDAY if weekday is None else weekday,
                    row.starts.data,
                    row.ends.data,
                    index + 1,
                )
            )
        return slots if readable else None

    def show(self, fields: dict[str, str]) -> None:
        """Put the service's reasons beside the fields they name."""
        for entry in self.weekly:
            for f in entry.form:
                if f.name in fields:
                    add_error(f, fields[f.name])

    def problems(self) -> list[tuple[str, str, str]]:
        """(field id, where, why) for the list at the top of the page, in the page's order."""
        listed: list[tuple[str, str, str]] = []
        for index, entry in enumerate(self.weekly):
            for f in entry.form:
                where = _("%(n)d行目の%(field)s", n=index + 1, field=f.label.text)
                listed.extend((f.id, where, str(why)) for why in f.errors)
        return listed


class UnavailableDateForm(FlaskForm):
    day = LocalDateField(_l("都合が悪い日"), validators=[filled_in(_l("日付を入力してください。"))])
    note = StringField(_l("メモ(任意)"))
    add = SubmitField(_l("都合が悪い日を加える"))
