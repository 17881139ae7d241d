"""The 活動記録 pages: one person's record (by 年度), its printed form, and the files of a
person (all 年度) and of an organization's people (one 年度). Who sees whose:
app.reports.teaching.get_person and app.orgs.partner_services.get_partner_org (404 else)."""

from __future__ import annotations

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.auth.access import PLANNERS, roles
from app.auth.models import Role
from app.errors import ValidationError
from app.fiscal import FiscalYear, era_date
from app.orgs.partner_services import PAGE_ROLES, get_partner_org
from app.reports import bp, teaching
from app.reports.filters import PARAM_LABELS
from app.reports.schemas import ActivityQuery, YearQuery
from app.tabular import file_chunks, file_response
from app.timeutil import local, utcnow

#: Who reaches a person's record: planners anyone's, an instructor their own, a partner
#: user their organization's people (teaching.get_person).
ACTIVITY_ROLES = (*PLANNERS, Role.INSTRUCTOR, Role.PARTNER)


def read_years(args: MultiDict[str, str]) -> tuple[FiscalYear, FiscalYear]:
    """The 年度 asked for in the query string, `year` or `from`..`to` (ValidationError naming
    the parameter)."""
    query = ActivityQuery.read_args(args)
    return teaching.year_range(query.year, query.from_, query.to)


def read_year(args: MultiDict[str, str]) -> FiscalYear:
    """The 年度 of `year` (the current one when not given); ValidationError names it."""
    return teaching.year_range(YearQuery.read_args(args).year, None, None)[0]


def _refused(exc: ValidationError) -> Response:
    """A file asked for with a bad 年度: what is wrong, as text (no page to show it on)."""
    lines = [str(exc.message)]
    lines += [f"{PARAM_LABELS.get(name, name)} ({name}): {why}" for name, why in exc.fields.items()]
    return Response(
        "\n".join(lines) + "\n",
        status=422,
        mimetype="text/plain",
        headers={"Cache-Control": "no-store"},
    )


@bp.get("/instructors/<int:user_id>/activity")
@roles(*ACTIVITY_ROLES)
def activity(user_id: int):
    person = teaching.get_person(current_user, user_id)
    now = utcnow()
    years = teaching.person_years(person, now)
    try:
        year = read_year(request.args)
    except ValidationError as exc:
        return render_template(
            "reports/activity.html", person=person, years=years, year=None, error=exc
        ), 422
    return render_template(
        "reports/activity.html",
        person=person,
        years=years,
        year=year,
        # Every 年度 taught in is among the lines: one not there had no classes.
        total={line.year: line.activity for line in years}.get(year, teaching.Activity()),
        classes=teaching.person_classes(person, year, year, now),
        error=None,
    )


@bp.get("/instructors/<int:user_id>/activity/print")
@roles(*ACTIVITY_ROLES)
def activity_print(user_id: int):
    person = teaching.get_person(current_user, user_id)
    back_url = url_for("reports.activity", user_id=person.id)
    try:
        first, last = read_years(request.args)
    except ValidationError as exc:
        return render_template(
            "reports/activity_print.html", person=person, error=exc, back_url=back_url
        ), 422
    now = utcnow()
    return render_template(
        "reports/activity_print.html",
        person=person,
        first=first,
        last=last,
        classes=teaching.person_classes(person, first, last, now),
        total=teaching.person_total(person, first, last, now),
        city=current_app.config["CITY_NAME"],
        printed_on=local(now).date(),
        printed_era=era_date(local(now).date()),
        error=None,
        back_url=back_url,
    )


def _person_file(user_id: int, extension: str) -> Response:
    person = teaching.get_person(current_user, user_id)
    table = teaching.person_table(person, teaching.person_classes(person))
    return file_response(file_chunks(table, extension), f"dekiru-activity-{person.id}.{extension}")


@bp.get("/instructors/<int:user_id>/activity.csv")
@roles(*ACTIVITY_ROLES)
def activity_csv(user_id: int):
    return _person_file(user_id, "csv")


@bp.get("/instructors/<int:user_id>/activity.xlsx")
@roles(*ACTIVITY_ROLES)
def activity_xlsx(user_id: int):
    return _person_file(user_id, "xlsx")


def _org_file(org_id: int, extension: str) -> Response:
    org = get_partner_org(current_user, org_id)
    try:
        year = read_year(request.args)
    except ValidationError as exc:
        return _refused(exc)
    table = teaching.org_table(year, teaching.org_activity(org, year))
    filename = f"dekiru-activity-{org.slug}-{year.year}.{extension}"
    return file_response(file_chunks(table, extension), filename)


@bp.get("/orgs/<int:org_id>/activity.csv")
@roles(*PAGE_ROLES)
def org_activity_csv(org_id: int):
    return _org_file(org_id, "csv")


@bp.get("/orgs/<int:org_id>/activity.xlsx")
@roles(*PAGE_ROLES)
def org_activity_xlsx(org_id: int):
    return _org_file(org_id, "xlsx")
