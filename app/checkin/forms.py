"""Forms of the check-in pages, and the words for attendance statuses and check-in methods."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice is WTForms 3.3's; types-WTForms is 3.2's
    Field,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TelField,
)

from app.checkin.models import AttendanceStatus
from app.checkin.paper import TICKS, WALK_IN_TICKS, WalkInLine
from app.labels import ATTENDANCE_STATUS, CHECKIN_METHOD
from app.scheduling.forms import add_error, option

STATUS_LABEL = ATTENDANCE_STATUS
NOT_YET = _l("未受付")
METHOD_LABEL = CHECKIN_METHOD


def status_label(status: str | None) -> str:
    return str(STATUS_LABEL.get(status, NOT_YET)) if status else str(NOT_YET)


class AttendanceForm(FlaskForm):
    """One learner's status; each row of the attendance list has its own (own prefix)."""

    # Which statuses a person may set is the service's rule (excused: coordinators only);
    # a refused one is answered by it, not passed off as a form error.
    status = SelectField(_l("出欠"), validate_choice=False)

    def load_choices(self, *, excused_allowed: bool, current: str | None) -> None:
        statuses = [AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT]
        if excused_allowed or current == AttendanceStatus.EXCUSED:
            statuses.append(AttendanceStatus.EXCUSED)
        choices = [(s.value, str(STATUS_LABEL[s])) for s in statuses]
        if current is None:
            choices.insert(0, ("", str(NOT_YET)))
        self.status.choices = choices


class SkillsForm(FlaskForm):
    """Only the CSRF token: the grid's checkboxes are read from the request as a whole."""


# ---------------------------------------------------------------- the paper roster

# Blank lines for walk-ins: as many as a printed sheet has, more on request, never past this.
BLANK_ROWS = 5
MAX_WALK_IN_ROWS = 50


def _choices(statuses: Iterable[str]) -> list[SelectChoice]:
    return [option(s, STATUS_LABEL[s]) for s in statuses]


class WalkInRowForm(Form):
    """One line written on the sheet by someone who was not registered (no CSRF of its own:
    it is part of PaperRosterForm)."""

    name = StringField(_l("お名前"))
    furigana = StringField(_l("ふりがな"))
    phone = TelField(_l("電話番号(わかれば)"))
    birth_year = StringField(_l("生まれた年(わかれば)"))
    # The service says which statuses a line may have; a forged one is its error, not ours.
    status = RadioField(
        _l("出欠"),
        choices=_choices(WALK_IN_TICKS),
        default=AttendanceStatus.PRESENT,
        validate_choice=False,
    )

    def line(self) -> WalkInLine:
        return WalkInLine(
            name=self.name.data or "",
            furigana=self.furigana.data or "",
            phone=self.phone.data or "",
            birth_year=self.birth_year.data or "",
            status=self.status.data or "",
        )


class PaperRosterForm(FlaskForm):
    """The sheet as one form: a status for each registered learner (fields r<registration
    id>, added by paper_roster_form) and the walk-ins' lines."""

    walk_ins = FieldList(FormField(WalkInRowForm), max_entries=MAX_WALK_IN_ROWS)
    more = SubmitField(_l("空欄を%(n)d行増やす", n=BLANK_ROWS))
    save = SubmitField(_l("保存する"))

    registration_ids: list[int]

    def tick(self, registration_id: int) -> Field:
        return self[f"r{registration_id}"]

    def ticks(self) -> dict[int, str]:
        return {i: self.tick(i).data or "" for i in self.registration_ids}

    def walk_in_lines(self) -> list[WalkInLine]:
        return [entry.form.line() for entry in self.walk_ins]

    def add_blank_rows(self, n: int) -> None:
        wanted = min(len(self.walk_ins) + n, MAX_WALK_IN_ROWS)
        while len(self.walk_ins) < wanted:
            self.walk_ins.append_entry()

    @property
    def may_add_rows(self) -> bool:
        return len(self.walk_ins) < MAX_WALK_IN_ROWS

    def show_problems(
        self, ticks: dict[int, str], walk_ins: dict[int, dict[str, str]]
    ) -> list[tuple[str, str, str]]:
        """Put each line's problems beside its fields; return them as (field id, where,
        why) for the list at the top of the page, in the page's order."""
        listed = []
        for registration_id in self.registration_ids:
            if registration_id in ticks:
                tick = self.tick(registration_id)
                add_error(tick, ticks[registration_id])
                listed.append((tick.id, str(tick.label.text), ticks[registration_id]))
        for index, entry in enumerate(self.walk_ins):
            for name, why in walk_ins.get(index, {}).items():
                # A problem of no field of the line (none expected) is shown at its name.
                field = entry.form._fields.get(name, entry.form.name)
                add_error(field, why)
                where = _("当日参加 %(n)d行目の%(field)s", n=index + 1, field=field.label.text)
                listed.append((field.id, where, why))
        return listed


def paper_roster_form(
    registered: Iterable[tuple[int, str, str | None]], *, blank_rows: int
) -> PaperRosterForm:
    """The form for these registrations, each (id, learner's name, status recorded or None
    for the waitlisted), pre-set to what is recorded (the waitlisted: absent). Statuses are
    those of the sheet: present, late, absent; excused only where it is recorded already
    (set by a coordinator on the attendance page)."""

    class Sheet(PaperRosterForm):
        pass

    ids = []
    for registration_id, name, current in registered:
        statuses = [*TICKS, *([current] if current == AttendanceStatus.EXCUSED else [])]
        field = RadioField(
            name,
            choices=_choices(statuses),
            default=current or AttendanceStatus.ABSENT,
            validate_choice=False,
        )
        setattr(Sheet, f"r{registration_id}", field)
        ids.append(registration_id)
    form = Sheet()
    form.registration_ids = ids
    if not form.is_submitted():
        form.add_blank_rows(blank_rows)
    return form
