"""Forms of the scheduling pages.

The forms only read what people typed (dates and times in Japan time, full-width digits
welcome); the rules live in the services, whose field errors are shown beside these fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice is WTForms 3.3's; types-WTForms is 3.2's
    BooleanField,
    Field,
    Form,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.models import Role, User
from app.curricula.models import Course
from app.extensions import db
from app.inputs import digits_int
from app.labels import DELIVERY_TYPE, SESSION_STATUS, WEEKDAY
from app.orgs.models import Organization, OrgKind
from app.scheduling.models import Session, SessionStatus, Venue
from app.scheduling.queries import SessionFilters
from app.scheduling.venues import districts, list_venues
from app.text import clean
from app.timeutil import OutOfRange, check_day, from_local, local

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_TIME = re.compile(r"^(\d{1,2})(?:\s*[:時]\s*(\d{1,2})?\s*分?)?$")
_TIME_DIGITS = re.compile(r"^(\d{1,2})(\d{2})$")


def _typed_date(text: str | None) -> date | None:
    """2026-04-01, 2026/4/1, 2026年4月1日 (full-width too); None when it is not a date,
    OutOfRange when it is one outside FIRST_DAY..LAST_DAY (app.timeutil)."""
    match = _DATE.match(clean(text))
    if not match:
        return None
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    return check_day(day)


def parse_local_date(text: str | None) -> date | None:
    """A typed date as _typed_date reads it; None when it is not one within the range."""
    try:
        return _typed_date(text)
    except OutOfRange:
        return None


def parse_local_time(text: str | None) -> time | None:
    """10:00, 10時, 10時30分, 1030 (full-width too); None when it is not a time of day."""
    text = clean(text)
    match = _TIME.match(text) or _TIME_DIGITS.match(text)
    if not match:
        return None
    hour, minute = match.group(1), match.group(2) or "0"
    try:
        return time(int(hour), int(minute))
    except ValueError:
        return None


class _TypedField(StringField):
    """A text box whose value is read by `parse`; what was typed is shown back as typed."""

    data: Any  # what `parse` read (a date, a time), not the text
    invalid_message = ""

    @staticmethod
    def parse(text: str) -> object:
        return None

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and clean(valuelist[0]):
            try:
                self.data = self.parse(valuelist[0])
            except OutOfRange as exc:  # a date, but not one the app takes: say which
                raise ValueError(str(exc)) from None
            if self.data is None:
                raise ValueError(str(self.invalid_message))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.format(self.data) if self.data else ""

    @staticmethod
    def format(value) -> str:
        return str(value)


class LocalDateField(_TypedField):
    parse = staticmethod(_typed_date)
    invalid_message = _l("日付は 2026-04-01 の形式で入力してください。")

    @staticmethod
    def format(value: date) -> str:
        return value.isoformat()


class LocalTimeField(_TypedField):
    parse = staticmethod(parse_local_time)
    invalid_message = _l("時刻は 10:00 の形式で入力してください。")

    @staticmethod
    def format(value: time) -> str:
        return value.strftime("%H:%M")


def filled_in(message: str):
    """Required, without hiding an error the field already has (as DataRequired would)."""

    def check(form, field: Field) -> None:
        if field.errors:
            raise StopValidation()
        if not (field.raw_data and clean(field.raw_data[0])):
            raise StopValidation(str(message))

    return check


def checkbox_list(label, **kwargs) -> SelectMultipleField:
    """Ticks to choose several (people, weekdays): a session's form, a partner's proposal."""
    return SelectMultipleField(
        label,
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        **kwargs,
    )


def planned_times(
    day: date | None, start: time | None, end: time | None
) -> tuple[datetime | None, datetime | None]:
    """A class's start and end from its day and clock times in Japan; what was not
    understood goes as missing, for the service to name."""
    starts = from_local(day, start) if day and start else None
    ends = from_local(day, end) if day and end else None
    return starts, ends


def add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, str(message)]


# ---------------------------------------------------------------- choices


def option(value: str, text: object) -> SelectChoice:
    return SelectChoice(value=value, label=str(text))


def course_choices(placeholder: str) -> list[SelectChoice]:
    courses = db.session.scalars(
        sa.select(Course)
        .options(joinedload(Course.current_version))
        .where(Course.current_version_id.is_not(None))
    )
    titles = sorted((v.title, c.slug) for c in courses if (v := c.current_version))
    return [option("", placeholder)] + [option(slug, title) for title, slug in titles]


def venue_choices(placeholder: str, venues: Sequence[Venue] | None = None) -> list[SelectChoice]:
    return [option("", placeholder)] + [
        option(
            str(v.id),
            _(
                "%(name)s(%(district)s・%(n)d人まで)",
                name=v.name,
                district=v.district,
                n=v.capacity,
            ),
        )
        for v in (list_venues() if venues is None else venues)
    ]


def partner_choices(placeholder: str) -> list[SelectChoice]:
    orgs = db.session.scalars(
        sa.select(Organization)
        .where(Organization.kind != OrgKind.MUNICIPALITY)
        .order_by(Organization.name)
    )
    return [option("", placeholder)] + [option(o.slug, o.name) for o in orgs]


def staff_choices(keep_ids: Sequence[int] = ()) -> list[SelectChoice]:
    """Active instructors, plus anyone already on the session (so no one is dropped unseen)."""
    people = db.session.scalars(
        sa.select(User)
        .where(
            User.role == Role.INSTRUCTOR,
            sa.or_(User.active.is_(True), User.id.in_(list(keep_ids) or [-1])),
        )
        .order_by(User.name, User.id)
    )
    return [
        option(str(u.id), u.name if u.active else _("%(name)s(無効なアカウント)", name=u.name))
        for u in people
    ]


# ---------------------------------------------------------------- sessions


class ServiceErrors:
    """Shows a service's field errors beside this form's fields."""

    if TYPE_CHECKING:  # what the form it is mixed into has

        def __contains__(self, name: str) -> bool: ...
        def __getitem__(self, name: str) -> Field: ...

    # Where a service's error about a field belongs when the names differ.
    SERVICE_FIELDS: dict[str, tuple[str, ...]] = {}

    def show_service_errors(self, fields: dict[str, str]) -> list[str]:
        """Put each service error beside its field; return those that have no field here.

        A field that already shows the form's own error (a date it could not read) keeps
        that one: the service's "missing" would only repeat it less precisely.
        """
        leftovers = []
        for name, message in fields.items():
            targets = [t for t in self.SERVICE_FIELDS.get(name, (name,)) if t in self]
            if not targets:
                leftovers.append(message)
            elif not any(self[t].errors for t in targets):
                add_error(self[targets[0]], message)
        return leftovers


class SessionForm(ServiceErrors, FlaskForm):
    course = SelectField(_l("講座(コース)"), validate_choice=False)
    venue_id = SelectField(_l("会場"), validate_choice=False)
    day = LocalDateField(
        _l("日付"),
        [filled_in(_l("日付を入力してください。"))],
        description=_l("例: 2026-04-01(日本時間)"),
    )
    start_time = LocalTimeField(
        _l("開始時刻"),
        [filled_in(_l("開始時刻を入力してください。"))],
        description=_l("例: 10:00"),
    )
    end_time = LocalTimeField(
        _l("終了時刻"),
        [filled_in(_l("終了時刻を入力してください。"))],
        description=_l("例: 11:30"),
    )
    capacity = StringField(_l("定員"), description=_l("空欄なら会場の収容人数になります。"))
    delivery_type = SelectField(_l("実施形態"), validate_choice=False)
    partner_org = SelectField(_l("協力団体"), validate_choice=False)
    instructor_ids = checkbox_list(_l("講師"))
    assistant_ids = checkbox_list(_l("アシスタント"))
    public = BooleanField(_l("一般に公開する(受講者向けの案内に載せる)"), default=True)
    notes = TextAreaField(_l("メモ"))

    SERVICE_FIELDS = {"starts_at": ("start_time", "day"), "ends_at": ("end_time", "day")}

    def load_choices(self, keep_staff: Sequence[int] = ()) -> None:
        self.course.choices = course_choices(_("選んでください"))
        self.venue_id.choices = venue_choices(_("選んでください"))
        self.delivery_type.choices = [option(code, text) for code, text in DELIVERY_TYPE.items()]
        self.partner_org.choices = partner_choices(_("なし"))
        people = staff_choices(keep_staff)
        self.instructor_ids.choices = people
        self.assistant_ids.choices = people

    def fill_from(self, session: Session) -> None:
        starts, ends = local(session.starts_at), local(session.ends_at)
        self.course.data = session.course_version.course.slug
        self.venue_id.data = str(session.venue_id)
        self.day.data = starts.date()
        self.start_time.data = starts.time()
        self.end_time.data = ends.time()
        self.capacity.data = str(session.capacity)
        self.delivery_type.data = session.delivery_type
        self.partner_org.data = session.partner_org.slug if session.partner_org else ""
        self.instructor_ids.data = [str(u.id) for u in session.instructors]
        self.assistant_ids.data = [str(u.id) for u in session.assistants]
        self.public.data = session.public
        self.notes.data = session.notes

    def session_raw(self) -> dict:
        """The request in the services' words; a date or time not understood is sent as missing."""
        starts, ends = planned_times(self.day.data, self.start_time.data, self.end_time.data)
        return {
            "course": self.course.data or None,
            "venue_id": self.venue_id.data or None,
            "starts_at": starts,
            "ends_at": ends,
            "capacity": self.capacity.data or None,
            "delivery_type": self.delivery_type.data or None,
            "partner_org": self.partner_org.data or None,
            "instructor_ids": list(self.instructor_ids.data or []),
            "assistant_ids": list(self.assistant_ids.data or []),
            "public": bool(self.public.data),
            "notes": self.notes.data or "",
        }


class SessionEditForm(SessionForm):
    scope = RadioField(
        _l("変更する範囲"),
        choices=[
            SelectChoice("this", _l("この回だけ")),
            SelectChoice("following", _l("この回以降すべて")),
        ],
        default="this",
        validate_choice=False,
    )


class SeriesForm(SessionForm):
    weekdays = checkbox_list(
        _l("曜日"), description=_l("初回の日付から、選んだ曜日ごとに作ります。")
    )
    until = StringField(_l("終了日"), description=_l("例: 2026-07-31(この日まで)"))
    count = StringField(_l("回数"), description=_l("終了日の代わりに回数で決めるとき"))
    on_closed = RadioField(
        _l("休館日にあたる日"),
        choices=[
            SelectChoice("refuse", _l("登録しないで知らせる(どの日が休館日かを表示します)")),
            SelectChoice("skip", _l("その日を飛ばして、ほかの日だけ登録する")),
        ],
        default="refuse",
        validate_choice=False,
        description=_l("祝日や会場の休館日・点検日にあたる回の扱いです。"),
    )

    def load_choices(self, keep_staff: Sequence[int] = ()) -> None:
        super().load_choices(keep_staff)
        self.weekdays.choices = [option(str(i), name) for i, name in enumerate(WEEKDAY)]

    def series_raw(self) -> dict:
        until = clean(self.until.data)
        until_day = parse_local_date(until)
        return {
            **self.session_raw(),
            "weekdays": list(self.weekdays.data or []),
            # A date we can read goes as ISO; anything else goes as typed for the service to name.
            "until": until_day.isoformat() if until_day else (until or None),
            "count": clean(self.count.data) or None,
            "on_closed": self.on_closed.data or "refuse",
        }


class CancelForm(ServiceErrors, FlaskForm):
    reason = TextAreaField(
        _l("中止の理由"),
        description=_l("受講者や講師に伝わる理由を書いてください(例: 講師の体調不良のため)。"),
    )


# ---------------------------------------------------------------- venues


class VenueForm(ServiceErrors, FlaskForm):
    name = StringField(_l("会場名"), description=_l("例: 中央公民館 第1会議室"))
    slug = StringField(
        _l("識別名(英字)"),
        description=_l(
            "英小文字・数字・ハイフン。連携やファイルで会場を指すときに使います(例: chuo-kominkan)。"
        ),
    )
    address = StringField(_l("住所"))
    district = StringField(_l("地区"), description=_l("例: 中央地区"))
    capacity = StringField(_l("収容人数"), description=_l("講座の定員はこの人数までにできます。"))
    setup_buffer_minutes = StringField(
        _l("準備時間(分)"),
        default="15",
        description=_l("前後の講座との間に空ける時間です(0〜120分)。"),
    )
    has_wifi = BooleanField(_l("Wi-Fi がある"))
    loaner_devices = StringField(_l("貸出用の端末の台数"), default="0")
    step_free = BooleanField(_l("段差なしで入れる(車いす可)"))
    hearing_loop = BooleanField(_l("ヒアリングループがある"))
    accessibility_notes = TextAreaField(
        _l("アクセシビリティのメモ"), description=_l("例: エレベーターは正面玄関の右側")
    )

    def venue_raw(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


# ---------------------------------------------------------------- the list's filters


class SessionFilterForm(Form):
    """Filters read from the query string (a GET form, so no CSRF token)."""

    date_from = LocalDateField(_l("開始日"), name="from")
    date_to = LocalDateField(_l("終了日"), name="to")
    course = SelectField(_l("講座(コース)"), validate_choice=False)
    venue_id = SelectField(_l("会場"), validate_choice=False)
    district = SelectField(_l("地区"), validate_choice=False)
    partner = SelectField(_l("協力団体"), validate_choice=False)
    instructor_id = SelectField(_l("講師・アシスタント"), validate_choice=False)
    status = SelectField(_l("状態"), validate_choice=False)

    def load_choices(self, *, planner: bool, org_id: int | None = None) -> None:
        everything = _("すべて")
        self.course.choices = course_choices(everything)
        # A partner's own places (its shop, its hall) are listed to planners and to its own
        # people only.
        venues = [v for v in list_venues() if planner or v.org_id in (None, org_id)]
        self.venue_id.choices = venue_choices(everything, venues)
        self.district.choices = [option("", everything)] + [option(d, d) for d in districts()]
        self.status.choices = [option("", everything)] + [
            option(code, text) for code, text in SESSION_STATUS.items()
        ]
        if planner:
            self.partner.choices = partner_choices(everything)
            self.instructor_id.choices = [option("", everything)] + staff_choices()
        else:
            # Others see only their own or their organization's sessions: these would only
            # list names that are none of their business.
            del self.partner
            del self.instructor_id

    def filters(self) -> SessionFilters:
        """What the form asks for, in the list's words (a partner's form has no partner or
        instructor filter); a box that did not read right filters nothing."""
        status = self.status.data if self.status.data in set(SessionStatus) else None
        return SessionFilters(
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            course=self.course.data or None,
            venue_id=int_or_none(self.venue_id.data),
            district=self.district.data or None,
            partner=(self.partner.data or None) if "partner" in self else None,
            instructor_id=int_or_none(self.instructor_id.data) if "instructor_id" in self else None,
            status=status,
        )


def int_or_none(text: str | None) -> int | None:
    """A whole number typed in a box or a query string (full-width too), if a column holds it."""
    return digits_int(clean(text))
