"""Forms of the check-in pages, and the words for attendance statuses and check-in methods."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from app.checkin.models import AttendanceStatus
from app.labels import ATTENDANCE_STATUS, CHECKIN_METHOD

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
