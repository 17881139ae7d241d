"""Printed certificates (修了証): one per completion, from the learner's page, or for everyone
who completed the course in a class, from the session's page. Plain pages with a print
stylesheet (A4 landscape, or A5 landscape for smaller frames), like the cards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from app.auth.access import ALL_STAFF, roles
from app.certificates import bp
from app.certificates.completions import (
    Completion,
    completed_at,
    completion_of,
    completions_of,
    visible_to,
)
from app.errors import NotFound
from app.fiscal import era_date
from app.people.learners import get_learner
from app.people.models import Learner
from app.people.privacy import record_download, require_roster_rights
from app.scheduling.next_course import Suggestions
from app.scheduling.queries import get_session

PAPERS = ("a4", "a5")  # both landscape: A4 for a wall, A5 for a folder or a small frame
CERTIFICATE_LANGUAGES = ("ja", "en")


@dataclass
class PrintedCertificate:
    learner: Learner
    completion: Completion
    html: Markup


def _paper() -> tuple[str, str | None]:
    """The paper asked for (?paper=a4|a5, A4 when not said), and what is wrong with it."""
    paper = request.args.get("paper", "a4").strip().lower()
    if paper in PAPERS:
        return paper, None
    return "a4", _(
        "用紙(paper)は a4 か a5 を選んでください(「%(value)s」は選べません)。", value=paper
    )


def _language(learner: Learner) -> str:
    # The certificate speaks its holder's language, whatever the language of who prints it.
    language = (learner.language or "ja").lower()[:2]
    return language if language in CERTIFICATE_LANGUAGES else "ja"


def _printed(pairs: list[tuple[Learner, Completion]], paper: str) -> list[PrintedCertificate]:
    city = current_app.config["CITY_NAME"]
    help_phone = current_app.config["HELP_PHONE"]
    # The next course skips those each holder completed (as far as who prints may know:
    # a partner never learns what another partner's class recorded), read for all at once.
    found = completions_of([learner.id for learner, _completion in pairs])
    completed: dict[int, set[int]] = defaultdict(set)  # learner → the courses they completed
    for done in visible_to(current_user, [c for some in found.values() for c in some]):
        completed[done.learner_id].add(done.course.id)
    suggestions = Suggestions()
    printed = []
    for learner, completion in pairs:
        following, sessions = suggestions.after(completion.course, completed[learner.id])
        language = _language(learner)
        with force_locale(language):
            html = render_template(
                "certificates/certificate.html",
                learner=learner,
                completion=completion,
                completed_on=(
                    era_date(completion.completed_on)
                    if language == "ja"
                    else completion.completed_on.strftime("%d %B %Y")
                ),
                following=following,
                sessions=sessions,
                city=city,
                help_phone=help_phone,
                language=language,
                paper=paper,
            )
        printed.append(PrintedCertificate(learner, completion, Markup(html)))
    return printed


def _page(
    pairs: list[tuple[Learner, Completion]], *, heading: str, back_url: str
) -> tuple[str, int]:
    paper, problem = _paper()
    page = render_template(
        "certificates/print.html",
        certificates=[] if problem else _printed(pairs, paper),
        heading=heading,
        back_url=back_url,
        paper=paper,
        problem=problem,
        other_papers=[p for p in PAPERS if p != paper],
    )
    return page, 400 if problem else 200


@bp.get("/learners/<int:learner_id>/certificates/<slug>")
@roles(*ALL_STAFF)
def learner_certificate(learner_id: int, slug: str):
    learner = get_learner(current_user, learner_id)
    if learner.anonymized:
        raise NotFound(_("受講者(ID %(id)s)は見つかりません。", id=learner_id))
    completion = completion_of(current_user, learner, slug)
    page, status = _page(
        [(learner, completion)],
        heading=_("%(name)sさんの修了証", name=learner.name),
        back_url=url_for("people.learner_detail", learner_id=learner.id),
    )
    if status == 200:
        record_download(
            current_user,
            "certificates",
            fmt="print",
            rows=1,
            subject_type="learner",
            subject_id=learner.id,
            course=slug,
        )
    return page, status


@bp.get("/sessions/<int:session_id>/certificates")
@roles(*ALL_STAFF)
def session_certificates(session_id: int):
    session = get_session(current_user, session_id)
    require_roster_rights(current_user, session)
    pairs = completed_at(session)
    page, status = _page(
        pairs,
        heading=_("%(title)sの修了証", title=session.course_version.title),
        back_url=url_for("scheduling.session_detail", session_id=session.id),
    )
    if status == 200:
        record_download(
            current_user, "certificates", fmt="print", rows=len(pairs), session_id=session.id
        )
    return page, status
