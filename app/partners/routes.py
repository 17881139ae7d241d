"""The partner space: the organization page and, for planners, the list of partners."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.access import PLANNERS, is_planner, roles
from app.auth.models import Role
from app.errors import ValidationError
from app.orgs import partner_services as orgs_partners
from app.orgs.models import Organization
from app.orgs.partner_services import PAGE_ROLES
from app.partners import bp
from app.partners import services as partners
from app.reports import teaching
from app.reports.teaching_routes import read_year
from app.sheets.account import sheets_access
from app.sheets.forms import LinkSheetForm, SyncNowForm
from app.sheets.jobs import followed_job, job_message
from app.sheets.runs import sheet_url
from app.staffing import services as staffing


class InstructorCoursesForm(FlaskForm):
    """One instructor's teachable courses; one form per person, told apart by a prefix."""

    course_ids = SelectMultipleField(
        _l("教えられるコース"),
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


def _courses_form(space: partners.PartnerSpace, member: orgs_partners.StaffMember, posted: bool):
    form = InstructorCoursesForm(
        prefix=f"user-{member.user.id}",
        formdata=request.form if posted else None,
        data=None if posted else {"course_ids": [str(i) for i in member.course_ids]},
    )
    form.course_ids.choices = [(str(v.course_id), v.title) for v in space.offered]
    return form


def render_partner_page(
    org: Organization,
    *,
    link_form: LinkSheetForm | None = None,
    posted_courses: tuple[int, ValidationError] | None = None,
    status: int = 200,
):
    """The organization page; a refused form comes back with its errors beside its fields."""
    space = partners.partner_space(org)
    planner = is_planner(current_user)
    course_forms = {}
    if planner:
        for member in space.staff:
            refused = (
                posted_courses[1]
                if posted_courses is not None and posted_courses[0] == member.user.id
                else None
            )
            form = _courses_form(space, member, refused is not None)
            if refused is not None:
                form.course_ids.errors = [refused.fields.get("course_ids", "")]
            course_forms[member.user.id] = form
    if link_form is None:
        link_form = LinkSheetForm(formdata=None)
    # The 活動記録 of the organization's people for the 年度 chosen (?year=).
    activity_error = None
    try:
        activity_year = read_year(request.args)
    except ValidationError as exc:
        activity_year, activity_error, status = None, exc, 422
    return render_template(
        "partners/partner_page.html",
        job_message=job_message,
        space=space,
        org=org,
        planner=planner,
        course_forms=course_forms,
        link_form=link_form,
        sync_form=SyncNowForm(formdata=None),
        requests_waiting=staffing.live_count(org.id),
        sync_job=followed_job(org, request.args.get("sync_job", type=int)) if space.link else None,
        sheet_url=sheet_url(space.link.spreadsheet_key) if space.link else None,
        activity_year=activity_year,
        activity_years=teaching.org_years(org),
        activity=teaching.org_activity(org, activity_year) if activity_year else [],
        activity_error=activity_error,
        # Whom to share the sheet with; what to configure is told to admins only.
        sheets_access=sheets_access(current_app.config),
        admin=current_user.role == Role.ADMIN,
    ), status


@bp.get("/orgs")
@roles(*PLANNERS)
def partner_list():
    year, rows = partners.partner_rows()
    return render_template("partners/partner_list.html", year=year, rows=rows)


@bp.get("/orgs/<int:org_id>")
@roles(*PAGE_ROLES)
def partner_page(org_id: int):
    return render_partner_page(orgs_partners.get_partner_org(current_user, org_id))


@bp.post("/orgs/<int:org_id>/instructors/<int:user_id>/courses")
@roles(*PLANNERS)
def instructor_courses(org_id: int, user_id: int):
    org = orgs_partners.get_partner_org(current_user, org_id)
    form = InstructorCoursesForm(prefix=f"user-{user_id}")
    try:
        user = orgs_partners.set_instructor_courses(org, user_id, form.course_ids.data or [])
    except ValidationError as exc:
        return render_partner_page(org, posted_courses=(user_id, exc), status=422)
    flash(_("%(name)sさんの教えられるコースを保存しました。", name=user.name), "success")
    return redirect(url_for("partners.partner_page", org_id=org.id, _anchor="staff"))
