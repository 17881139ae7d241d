"""Staff pages of the survey after class: print the sheets, type in the papers, read results.

(The learner's phone page is public, in app.public.survey_routes.)"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import PLANNERS, roles
from app.auth.models import Role
from app.curricula.models import Course
from app.errors import Conflict, NotFound
from app.extensions import db
from app.fiscal import FiscalYear
from app.inputs import digits_int
from app.people.cards import inline_qr
from app.scheduling.next_course import next_course
from app.scheduling.queries import get_session
from app.surveys import bp, results, services
from app.surveys.forms import SPARE_ROWS, entry_grid_form, field_name, scale_labels
from app.tabular import file_chunks, file_response, xlsx_chunks
from app.timeutil import japan_today

# Who types in papers and reads a session's results: the session's own staff (checked by the
# service) and the planners. Partners see their figures in the reports, not answer by answer.
SESSION_STAFF = (Role.ADMIN, Role.COORDINATOR, Role.INSTRUCTOR)
FILE_FORMATS = ("csv", "xlsx")


def _session(session_id: int):
    user = current_user._get_current_object()
    session = get_session(user, session_id)  # 404 for a session the user may not know
    services.require_entry_rights(user, session)  # 403 for one they know but do not teach
    return user, session


@bp.get("/sessions/<int:session_id>/survey/print")
@roles(*SESSION_STAFF)
def print_sheets(session_id: int):
    """The sheets to print: one A4 page per registered learner, each with its own QR.

    Opening the page makes the missing sheets (idempotent: the same sheets every time), so
    that what is printed is always what the phone page will accept."""
    _user, session = _session(session_id)
    sheets = services.sheets_for_print(session)
    # What to take next, as the certificate says it (the sheet is anonymous: by course only).
    following, upcoming = next_course(session.course_version.course)
    return render_template(
        "surveys/print.html",
        s=session,
        following=following,
        upcoming=upcoming,
        help_phone=current_app.config["HELP_PHONE"],
        questions=services.questions_for(session),
        sheets=[
            (sheet, inline_qr(url_for("public.survey_answer", token=sheet.token, _external=True)))
            for sheet in sheets
        ],
        scale=scale_labels(),
        back_url=url_for("surveys.session_results", session_id=session.id),
        printable=True,
    )


@bp.route("/sessions/<int:session_id>/survey/entry", methods=["GET", "POST"])
@roles(*SESSION_STAFF)
def entry(session_id: int):
    user, session = _session(session_id)
    questions = services.questions_for(session)
    wanted = digits_int(request.args.get("rows")) or max(8, _printed(session) + SPARE_ROWS)
    form = entry_grid_form(questions, wanted)
    # A problem names its line and its column as the grid heads it.
    columns = {q.id: _("問%(n)d", n=q.number) for q in questions}
    columns.update(sheet=_("用紙番号"), name=_("名前"))
    problems: dict[tuple[int, str], str] = {}
    status = 200
    if form.validate_on_submit():
        try:
            saved = services.save_papers(session, user, form.paper_rows(questions))
        except services.AnswerRefused as refused:
            flash(refused.message, "error")
            problems = {(line, where): message for line, where, message in refused.problems}
            status = 422
        except Conflict as clash:  # a numbered sheet answered on a phone meanwhile
            flash(clash.message, "error")
            status = 409
        else:
            flash(_("%(n)d枚のアンケートを保存しました。", n=saved), "success")
            return redirect(url_for("surveys.session_results", session_id=session.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "surveys/entry.html",
        s=session,
        form=form,
        questions=questions,
        field_name=field_name,
        problems=problems,
        problem_list=[
            (line, columns.get(where, where), message)
            for (line, where), message in sorted(problems.items())
        ],
    ), status


def _printed(session) -> int:
    return len(services.printed_sheets(session))


@bp.get("/sessions/<int:session_id>/survey")
@roles(*SESSION_STAFF)
def session_results(session_id: int):
    _user, session = _session(session_id)
    questions, rows, found = results.session_figures(session)
    extension = request.args.get("format")
    if extension:
        if extension not in FILE_FORMATS:
            abort(404)
        table = results.answers_table(_("アンケート"), questions, rows)
        name = f"survey-session-{session.id}.{extension}"
        return file_response(file_chunks(table, extension), name)
    return render_template(
        "surveys/results.html",
        s=session,
        course=None,
        found=found,
        rows=rows,
        printed=_printed(session),
        year=None,
    )


def _year() -> FiscalYear:
    text = request.args.get("year")
    if not text:
        return FiscalYear.of_day(japan_today())
    try:
        return FiscalYear.parse(text)
    except ValueError as exc:
        raise NotFound(str(exc)) from None


@bp.get("/surveys")
@roles(*PLANNERS)
def overview():
    """The figures by course, partner, district and 年度 are the reports dashboard's アンケート
    view now: an old link (?year=2025) lands there, on the same 年度."""
    values: dict[str, Any] = {"view": "surveys"}
    if year := request.args.get("year"):
        values["year"] = year
    return redirect(url_for("reports.dashboard", **values))


@bp.get("/surveys/courses/<slug>")
@roles(*PLANNERS)
def course_results(slug: str):
    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound(_("コース「%(slug)s」は見つかりません。", slug=slug))
    year = _year()
    questions, rows, found = results.course_figures(course, year)
    extension = request.args.get("format")
    if extension:
        if extension not in FILE_FORMATS:
            abort(404)
        if extension == "xlsx":
            chunks = xlsx_chunks(
                results.figures_table(_("集計"), found),
                results.answers_table(_("回答"), questions, rows),
            )
        else:
            chunks = file_chunks(results.answers_table(_("回答"), questions, rows), extension)
        return file_response(chunks, f"survey-{course.slug}-{year.year}.{extension}")
    return render_template(
        "surveys/results.html", s=None, course=course, found=found, rows=rows, year=year
    )
