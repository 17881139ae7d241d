"""Forms of the survey: the learner's phone page and the entry grid for returned papers.

Both are built from the session's questions (a course's own survey, or the default), one
field per question named q<number> (question ids have hyphens; field names may not).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice is WTForms 3.3's; types-WTForms is 3.2's
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)

from app.curricula.models import QuestionKind
from app.curricula.survey import SCALE, Question
from app.scheduling.forms import option
from app.surveys.services import PaperRow

MAX_ROWS = 60  # a hall's class and its walk-ins, on one screen
SPARE_ROWS = 2  # beyond the printed sheets: a learner who took a sheet home brings it back


def field_name(question: Question) -> str:
    return f"q{question.number}"


def scale_labels() -> dict[int, str]:
    return {
        1: _("よくなかった"),
        2: _("あまりよくなかった"),
        3: _("ふつう"),
        4: _("よかった"),
        5: _("とてもよかった"),
    }


def _choices(question: Question) -> list[SelectChoice]:
    if question.kind == QuestionKind.SCALE:
        labels = scale_labels()
        return [option(str(n), f"{n} {labels[n]}") for n in SCALE]
    if question.kind == QuestionKind.YES_NO:
        return [option("y", _("はい")), option("n", _("いいえ"))]
    return [option(str(c.number), c.label) for c in question.choices]


class PhoneAnswerForm(FlaskForm):
    send = SubmitField(_l("送る"))

    def cells(self, questions: list[Question]) -> dict[str, str]:
        return {q.id: self[field_name(q)].data or "" for q in questions}


def phone_form(questions: list[Question]) -> PhoneAnswerForm:
    # Every question may be left blank: the service refuses an answer with none at all.
    class Form_(PhoneAnswerForm):
        pass

    for q in questions:
        if q.kind == QuestionKind.TEXT:
            setattr(Form_, field_name(q), TextAreaField(q.text))
        else:
            setattr(
                Form_, field_name(q), RadioField(q.text, choices=_choices(q), validate_choice=False)
            )
    return Form_()


class EntryGridForm(FlaskForm):
    save = SubmitField(_l("保存する"))
    rows: Any  # the FieldList of phone_form's rows, set per survey

    def paper_rows(self, questions: list[Question]) -> list[PaperRow]:
        return [
            PaperRow(
                line=i,
                sheet=entry.form.sheet.data or "",
                name=entry.form.name.data or "",
                cells={q.id: entry.form[field_name(q)].data or "" for q in questions},
            )
            for i, entry in enumerate(self.rows.entries, start=1)
        ]


def entry_grid_form(questions: list[Question], rows: int) -> EntryGridForm:
    """One line per returned sheet; every cell a short text typed from the keyboard."""

    class Row(Form):
        sheet = StringField(_l("用紙番号"))
        name = StringField(_l("名前(書いてあれば)"))

    for q in questions:
        setattr(Row, field_name(q), StringField(q.text))

    class Grid(EntryGridForm):
        pass

    rows = max(1, min(rows, MAX_ROWS))
    Grid.rows = FieldList(FormField(Row), min_entries=rows, max_entries=MAX_ROWS)
    return Grid()
