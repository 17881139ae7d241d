"""Forms of the check-in pages, and the words for attendance statuses and check-in methods."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from app.checkin.models import AttendanceStatus, CheckinMethod

STATUS_LABEL = {
    AttendanceStatus.PRESENT: _l("出席"),
    AttendanceStatus.LATE: _l("遅刻"),
    AttendanceStatus.EXCUSED: _l("欠席連絡あり"),
    AttendanceStatus.ABSENT: _l("欠席"),
}
NOT_YET = _l("未受付")
METHOD_LABEL = {
    CheckinMethod.QR: _l("カード(カメラ)"),
    CheckinMethod.SCANNER: _l("カード(スキャナー)"),
    CheckinMethod.CODE: _l("番号の入力"),
    CheckinMethod.SEARCH: _l("名前から"),
    CheckinMethod.WALK_IN: _l("当日参加"),
    CheckinMethod.API: _l("端末"),
    CheckinMethod.RECORDED_LATER: _l("後から記録"),
}


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
