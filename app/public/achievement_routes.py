"""The public achievements page: linked from the city's home page, so cheap to serve and to cache.

Its ETag is the version of the data it shows (app.public.achievements.page_version), so a
revalidation (304) costs two queries and no counting or template; a full answer of a version
already written comes from app.public.achievement_cache, whichever process wrote it.

The page holds nothing that differs per visitor (no CSRF token, no session cookie set), so
`Cache-Control: public` is true of it. Its language comes from `?lang=en` / `?lang=ja`, which
makes each language its own cacheable address (the city's English home page links the
English one); without the parameter it follows the visitor's language switch, and then the
response says `Vary: Cookie` (Flask adds it when the session is read).
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from flask import Response, make_response, render_template, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from app.auth.access import public
from app.public import achievement_cache, bp
from app.public import achievements as achieved
from app.timeutil import utcnow

CACHE = "public, max-age=300"
LANGUAGES = ("ja", "en")


@bp.get("/public/achievements")
@public
def achievements():
    lang = request.args.get("lang")
    now = utcnow()
    with force_locale(lang) if lang in LANGUAGES else nullcontext():
        locale = str(get_locale())
        etag = achieved.page_version(now, locale)
        if etag in request.if_none_match:
            return _answer(Response(status=304), etag)
        body = achievement_cache.kept(locale, etag)
        if body is None:
            body = _render(now)
            if achieved.page_version(now, locale) == etag:  # nothing changed meanwhile
                achievement_cache.keep(locale, etag, body)
    return _answer(make_response(body), etag)


def _answer(response: Response, etag: str) -> Response:
    response.headers["Cache-Control"] = CACHE
    response.set_etag(etag)
    return response


def _render(now: datetime) -> str:
    # Computed inside the chosen language: skill and course names come in it.
    figures = achieved.achievements(now)
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
