"""The public achievements page: linked from the city's home page, so cheap to serve and to cache.

The page holds nothing that differs per visitor (no CSRF token, no session cookie set), so
`Cache-Control: public` is true of it. Its language comes from `?lang=en` / `?lang=ja`, which
makes each language its own cacheable address (the city's English home page links the
English one); without the parameter it follows the visitor's language switch, and then the
response says `Vary: Cookie` (Flask adds it when the session is read).
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import make_response, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from app.auth.access import public
from app.public import achievements as achieved
from app.public import bp
from app.timeutil import utcnow

CACHE = "public, max-age=300"
LANGUAGES = ("ja", "en")


@bp.get("/public/achievements")
@public
def achievements():
    lang = request.args.get("lang")
    with force_locale(lang) if lang in LANGUAGES else nullcontext():
        body = _render()
    response = make_response(body)
    response.headers["Cache-Control"] = CACHE
    response.add_etag()
    return response.make_conditional(request)


def _render() -> str:
    # Computed inside the chosen language: skill and course names come in it.
    figures = achieved.achievements(utcnow())
    return render_template(
        "public/achievements.html",
        figures=figures,
        district_bars=[
            (row.district, row.sessions.exact, _("%(n)s かい", n=row.sessions), None)
            for row in figures.districts
        ],
        skill_bars=[
            (row.label, row.learners.exact, _("%(n)s 人", n=row.learners), None)
            for row in figures.skills
        ],
    )
