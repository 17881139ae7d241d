"""The survey on a learner's phone: reached by the QR printed on a paper sheet, no login.

Here, among the pages residents see, and not in app.surveys: it speaks to learners in the
words and layout of the public pages; the rules (once per sheet, what an answer may be) are
app.surveys.services'."""

from __future__ import annotations

from flask import render_template

from app.auth.access import public
from app.errors import Conflict
from app.public import bp
from app.surveys import services
from app.surveys.forms import field_name, phone_form


@bp.route("/a/<token>", methods=["GET", "POST"])
@public
def survey_answer(token: str):
    sheet = services.sheet_by_token(token)
    session = sheet.session
    questions = services.questions_for(session)
    if services.is_answered(sheet):
        return render_template("public/survey_done.html", s=session, already=True), 409
    form = phone_form(questions)
    problems: dict[str, str] = {}
    status = 200
    if form.validate_on_submit():
        try:
            services.answer_by_phone(sheet, form.cells(questions))
        except services.AnswerRefused as refused:
            problems = {where: message for _line, where, message in refused.problems}
            status = 422
            message = refused.message
        except Conflict:
            return render_template("public/survey_done.html", s=session, already=True), 409
        else:
            return render_template("public/survey_done.html", s=session, already=False)
    else:
        message = None
    return render_template(
        "public/survey.html",
        s=session,
        form=form,
        questions=questions,
        field_name=field_name,
        problems=problems,
        message=message,
    ), status
