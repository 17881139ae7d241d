"""「教えられる日時」: an instructor's weekly times and unavailable dates, kept by themself,
their organization's partner users, or the planners (app.staffing.availability.may_manage)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import ALL_STAFF, roles
from app.auth.models import Role, User
from app.errors import ValidationError
from app.staffing import availability as service
from app.staffing import bp
from app.staffing.availability_forms import (
    UnavailableDateForm,
    WeeklyForm,
)
from app.timeutil import japan_today


def _weekly_form(person: User) -> WeeklyForm:
    form = WeeklyForm(
        formdata=None,
        data={
            "weekly": [
                {"weekday": str(s.weekday), "starts": s.starts, "ends": s.ends}
                for s in service.weekly_times(person.id)
            ]
        },
    )
    form.add_blank_rows()
    return form


def _page(
    person: User,
    *,
    weekly_form: WeeklyForm | None = None,
    date_form: UnavailableDateForm | None = None,
    status: int = 200,
):
    """The page; a refused form comes back as it was typed, its reasons beside its fields."""
    weekly_form = weekly_form or _weekly_form(person)
    return render_template(
        "staffing/availability.html",
        person=person,
        kept=service.availability_of(person),
        weekly_form=weekly_form,
        problems=weekly_form.problems(),
        date_form=date_form or UnavailableDateForm(formdata=None),
        own=person.id == current_user.id,
        today=japan_today(),
    ), status


def _back(person: User, anchor: str):
    return redirect(url_for("staffing.availability_page", user_id=person.id, _anchor=anchor))


@bp.get("/my/availability")
@roles(Role.INSTRUCTOR)
def my_availability():
    return redirect(url_for("staffing.availability_page", user_id=current_user.id))


@bp.get("/instructors/<int:user_id>/availability")
@roles(*ALL_STAFF)
def availability_page(user_id: int):
    return _page(service.instructor_for(current_user, user_id))


@bp.post("/instructors/<int:user_id>/availability/weekly")
@roles(*ALL_STAFF)
def availability_weekly(user_id: int):
    person = service.instructor_for(current_user, user_id)
    form = WeeklyForm()
    # For its fields' errors only: CSRF is checked for every form before any view
    # (app.extensions.csrf), and which rows count is form.slots()'s to say.
    form.validate()
    if form.more.data:  # more empty rows; nothing is saved
        form.add_blank_rows()
        return _page(person, weekly_form=form)
    slots = form.slots()
    if slots is None:
        return _page(person, weekly_form=form, status=422)
    try:
        service.set_weekly_times(person, slots)
    except ValidationError as exc:
        form.show(exc.fields)
        return _page(person, weekly_form=form, status=422)
    flash(_("%(name)sさんの教えられる時間を保存しました。", name=person.name), "success")
    return _back(person, "weekly")


@bp.post("/instructors/<int:user_id>/availability/dates")
@roles(*ALL_STAFF)
def availability_date_add(user_id: int):
    person = service.instructor_for(current_user, user_id)
    form = UnavailableDateForm()
    if not form.validate():
        return _page(person, date_form=form, status=422)
    try:
        row = service.add_unavailable_date(person, form.day.data, form.note.data or "")
    except ValidationError as exc:
        for name, why in exc.fields.items():
            if name in form:
                form[name].errors = [*form[name].errors, why]
        return _page(person, date_form=form, status=422)
    flash(_("%(date)s を都合が悪い日にしました。", date=row.day.isoformat()), "success")
    return _back(person, "dates")


@bp.post("/instructors/<int:user_id>/availability/dates/<int:date_id>/remove")
@roles(*ALL_STAFF)
def availability_date_remove(user_id: int, date_id: int):
    person = service.instructor_for(current_user, user_id)
    row = service.remove_unavailable_date(person, date_id)
    flash(_("%(date)s を都合が悪い日から外しました。", date=row.day.isoformat()), "success")
    return _back(person, "dates")
