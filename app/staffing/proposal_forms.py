"""Forms of the proposal pages: a partner's proposal, its own venue, the coordinator's decline.

Like the session forms (app.scheduling.forms), they only read what people typed; the rules
are the services', whose field errors are shown beside these fields.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from app.orgs.models import Organization
from app.orgs.partner_services import org_staff
from app.scheduling.forms import (
    LocalDateField,
    LocalTimeField,
    ServiceErrors,
    checkbox_list,
    course_choices,
    filled_in,
    option,
    planned_times,
)
from app.scheduling.models import Venue


class ProposalForm(ServiceErrors, FlaskForm):
    course = SelectField(_l("講座(コース)"), validate_choice=False)
    venue_id = SelectField(
        _l("会場"), validate_choice=False, description=_l("市の会場か、団体の会場から選びます。")
    )
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
    instructor_ids = checkbox_list(_l("講師"))
    assistant_ids = checkbox_list(_l("アシスタント"))
    note = TextAreaField(
        _l("コーディネーターへのメモ"),
        description=_l("例: 店舗の2階で行います。駐車場あり。"),
    )

    SERVICE_FIELDS = {"starts_at": ("start_time", "day"), "ends_at": ("end_time", "day")}

    def load_choices(self, org: Organization, venues: list[Venue]) -> None:
        self.course.choices = course_choices(_("選んでください"))
        self.venue_id.choices = [option("", _("選んでください"))] + [
            option(
                str(v.id),
                _(
                    "%(name)s(%(whose)s・%(district)s・%(n)d人まで)",
                    name=v.name,
                    whose=_("団体の会場") if v.org_id else _("市の会場"),
                    district=v.district,
                    n=v.capacity,
                ),
            )
            for v in venues
        ]
        # Only the organization's own active people: a partner proposes its own staff.
        people = [option(str(m.user.id), m.user.name) for m in org_staff(org)]
        self.instructor_ids.choices = people
        self.assistant_ids.choices = people

    def proposal_raw(self) -> dict:
        """The proposal in the service's words; a date or time not understood goes as missing."""
        starts, ends = planned_times(self.day.data, self.start_time.data, self.end_time.data)
        return {
            "course": self.course.data or None,
            "venue_id": self.venue_id.data or None,
            "starts_at": starts,
            "ends_at": ends,
            "capacity": self.capacity.data or None,
            "instructor_ids": list(self.instructor_ids.data or []),
            "assistant_ids": list(self.assistant_ids.data or []),
            "note": self.note.data or "",
        }


class OwnVenueForm(ServiceErrors, FlaskForm):
    """A place of the partner's own: a shop, a 自治会's hall."""

    name = StringField(_l("会場名"), description=_l("例: ○○ショップ 中央店、△△町内会館"))
    address = StringField(_l("住所"))
    district = StringField(_l("地区"), description=_l("例: 中央地区"))
    capacity = StringField(_l("収容人数"), description=_l("講座の定員はこの人数までにできます。"))
    accessibility_notes = TextAreaField(
        _l("アクセシビリティのメモ"), description=_l("例: 入口に段差あり。スロープを用意します。")
    )

    def venue_raw(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class DeclineForm(ServiceErrors, FlaskForm):
    reason = TextAreaField(
        _l("見送る理由"),
        description=_l("協力団体に伝わります(例: その日は市の行事と重なるため)。"),
    )


class ActionForm(FlaskForm):
    """A button that changes something (approve, withdraw): its CSRF token only."""
