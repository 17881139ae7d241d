"""The coordinator's dashboard, the lists behind its figures, and the figures workbook.

Every page reads the same filter (app.reports.filters) from its query string; a partner's is
pinned to their organization. The lists of learners carry personal data: planners only.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import PLANNERS, is_planner, roles
from app.auth.models import Role
from app.errors import ValidationError
from app.inputs import page_or_first
from app.reports import bp, drilldown, figure_tables, figures, survey_view
from app.reports.charts import Bars
from app.reports.choices import filter_choices, filter_fields
from app.reports.figures import KINDS
from app.reports.filters import FILTER_PARAMS, parse_filter
from app.tabular import file_response, xlsx_chunks
from app.timeutil import utcnow

REPORT_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.PARTNER)

# The dashboard's views (tabs), each with the parts of the figures it shows: a view counts
# only what it shows, so that each stays quick on a city's five years of data.
VIEWS = {
    "overview": frozenset({figures.SESSIONS, figures.ATTENDANCE, figures.STAFFING, figures.CALLS}),
    "sessions": frozenset({figures.SESSIONS}),
    "reach": frozenset({figures.ATTENDANCE, figures.REACH}),
    "outcomes": frozenset({figures.ATTENDANCE, figures.OUTCOMES}),
    # The surveys after class: none of the figures, the survey's own (app.reports.survey_view).
    survey_view.VIEW: frozenset(),
}
VIEW_TITLES = {
    "overview": _l("概要・申込・講師"),
    "sessions": _l("講座(コマ)"),
    "reach": _l("届いた人"),
    "outcomes": _l("できるようになったこと"),
    survey_view.VIEW: _l("アンケート"),
}


def _page_number() -> int:
    return page_or_first(request.args.get("page"))


def _failed(template: str, exc: ValidationError, **context):
    return (
        render_template(
            template,
            report=None,
            errors=exc.fields,
            message=exc.message,
            asked={k: request.args.get(k, "") for k in FILTER_PARAMS},
            fields=filter_fields(filter_choices(), current_user.role == Role.PARTNER),
            **{"view": "overview", "views": VIEW_TITLES, **context},
        ),
        422,
    )


@bp.get("/")
@roles(*REPORT_ROLES)
def dashboard():
    view = request.args.get("view") or "overview"
    try:
        report = parse_filter(request.args, current_user)
        if view not in VIEWS:
            raise ValidationError(_("表示が正しくありません。"), fields={"view": ", ".join(VIEWS)})
    except ValidationError as exc:
        return _failed(
            "reports/dashboard.html", exc, figures=None, view="overview", views=VIEW_TITLES
        )
    planner = is_planner(current_user)
    return render_template(
        "reports/dashboard.html",
        report=report,
        figures=figures.compute(report, utcnow(), VIEWS[view]),
        survey=survey_view.SurveyView.of(report, planner) if view == survey_view.VIEW else None,
        view=view,
        views=VIEW_TITLES,
        planner=planner,
        bars=Bars(report, planner),
        kinds=KINDS,
        new_learners_label=figures.NEW_LEARNERS,
        returning_learners_label=figures.RETURNING_LEARNERS,
        errors={},
        asked={k: request.args.get(k, "") for k in FILTER_PARAMS},
        fields=filter_fields(filter_choices(), report.pinned_partner),
    )


@bp.get("/sessions")
@roles(*REPORT_ROLES)
def sessions():
    try:
        report = parse_filter(request.args, current_user)
        state = request.args.get("state") or None
        only = request.args.get("only") or None
        page = drilldown.session_rows(report, utcnow(), state, only, _page_number())
    except ValidationError as exc:
        return _failed("reports/sessions.html", exc, page=None)
    return render_template(
        "reports/sessions.html",
        report=report,
        page=page,
        state=state,
        only=only,
        pager_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.get("/learners")
@roles(*PLANNERS)
def learners():
    facet = request.args.get("facet") or "all"
    try:
        report = parse_filter(request.args, current_user)
        page = drilldown.learner_rows(report, utcnow(), facet, _page_number())
    except ValidationError as exc:
        return _failed("reports/learners.html", exc, page=None, facet=facet)
    return render_template(
        "reports/learners.html",
        report=report,
        page=page,
        facet=facet,
        facet_label=drilldown.describe_facet(facet),
        pager_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.get("/figures.xlsx")
@roles(*REPORT_ROLES)
def figures_xlsx():
    try:
        report = parse_filter(request.args, current_user)
    except ValidationError as exc:
        return _failed("reports/dashboard.html", exc, figures=None)
    tables = figure_tables.tables(figures.compute(report, utcnow()))
    return file_response(xlsx_chunks(*tables), report.filename("figures", "xlsx"))
