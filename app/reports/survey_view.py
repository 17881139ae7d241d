"""The dashboard's アンケート view: the surveys after class of the filter's sessions, by course,
partner, district (the venue's), 年度 and session, each line linking to where it is drilled, and
the same lines as a CSV or XLSX file.

The grouping is app.surveys.results.breakdown's; here only the links and the tables. A figure
of fewer than results.SUPPRESS_UNDER answers shows its count, never its mean or share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from app.fiscal import FiscalYear
from app.reports.figure_tables import rounded_share
from app.reports.filters import ReportFilter
from app.scheduling.models import Session
from app.surveys import results
from app.surveys.results import Breakdown, Line
from app.tabular import Cell, Table
from app.timeutil import local

VIEW = "surveys"
# The page lists the newest sessions only (a ten-year filter covers thousands); the files
# list every one.
SESSIONS_SHOWN = 100


def too_few_note() -> str:
    return _("回答が%(n)d件より少ないため、平均と割合は出していません。", n=results.SUPPRESS_UNDER)


@dataclass
class SurveyView:
    report: ReportFilter
    planner: bool
    found: Breakdown

    @classmethod
    def of(cls, report: ReportFilter, planner: bool) -> SurveyView:
        return cls(report, planner, results.breakdown(Session.id.in_(report.session_ids())))

    @property
    def shown_under(self) -> int:
        return results.SUPPRESS_UNDER

    @property
    def sessions_shown(self) -> list[Line]:
        """The newest sessions with answers, newest first."""
        return self.found.by_session[::-1][:SESSIONS_SHOWN]

    # ------------------------------------------------------------ where each line leads

    def _dashboard(self, values: dict[str, Any]) -> str:
        return url_for("reports.dashboard", **values, view=VIEW)

    def _one_year(self) -> FiscalYear | None:
        """The 年度 the whole period lies in, if it lies in one."""
        year = FiscalYear.of_day(self.report.first_day)
        return year if self.report.last_day <= year.last_day else None

    def course_url(self, line: Line) -> str | None:
        """A planner: the course's page of the 年度, question by question, when the period lies
        in one 年度; else (or a partner) this view narrowed to the course."""
        year = self._one_year()
        if self.planner and year is not None:
            return url_for("surveys.course_results", slug=line.key, year=year.year)
        if self.report.course is not None and self.report.course.slug == line.key:
            return None
        return self._dashboard(self.report.args(course=line.key))

    def partner_url(self, line: Line) -> str | None:
        if not line.key or (self.report.partner and self.report.partner.slug == line.key):
            return None  # the sessions of no partner have no filter of their own
        return self._dashboard(self.report.args(partner=line.key))

    def district_url(self, line: Line) -> str | None:
        if not line.key or self.report.district == line.key:
            return None
        return self._dashboard(self.report.args(district=line.key))

    def year_url(self, line: Line) -> str | None:
        """This view narrowed to the part of the period in that 年度."""
        year = FiscalYear(int(line.key))
        first = max(self.report.first_day, year.first_day)
        last = min(self.report.last_day, year.last_day)
        if (first, last) == (self.report.first_day, self.report.last_day):
            return None
        values = {k: v for k, v in self.report.args().items() if k not in ("year", "from", "to")}
        if (first, last) == (year.first_day, year.last_day):
            values["year"] = line.key
        else:
            values.update({"from": first.isoformat(), "to": last.isoformat()})
        return self._dashboard(values)

    def session_url(self, line: Line) -> str | None:
        """A session's answers, one by one: planners (partners see figures, not answers)."""
        if not self.planner or line.session is None:
            return None
        return url_for("surveys.session_results", session_id=line.session.id)

    # ------------------------------------------------------------ the files

    def sections(self) -> list[tuple[str, list[Line]]]:
        """(title, lines) in the page's order; a partner's own line only is not a section."""
        found = self.found
        sections = [(_("全体"), [found.total]), (_("コース別"), found.by_course)]
        if not self.report.pinned_partner:
            sections.append((_("協力団体別"), found.by_partner))
        sections += [
            (_("地区別(会場の地区)"), found.by_district),
            (_("年度別"), found.by_year),
            (_("講座別"), found.by_session),
        ]
        return sections

    def csv_table(self) -> Table:
        """Every section in one table, each line headed by its section."""
        rows = [[title, *_cells(line)] for title, lines in self.sections() for line in lines]
        return Table(_("アンケート"), [_("区分"), *_header()], rows, widths=[16, *_WIDTHS])

    def xlsx_tables(self) -> list[Table]:
        """A sheet per section."""
        return [
            Table(title, _header(), [_cells(line) for line in lines], widths=_WIDTHS)
            for title, lines in self.sections()
        ]


def _header() -> list[str]:
    return [
        _("ID"),
        _("名前"),
        _("講座数"),
        _("回答数"),
        _("満足度に答えた人数"),
        _("満足度(1〜5の平均)"),
        _("「聞ける人がいる」に答えた人数"),
        _("困ったとき聞ける人がいる割合"),
        _("備考"),
    ]


_WIDTHS = [16, 40, 6, 6, 8, 8, 8, 8, 40]


def _name(line: Line) -> str:
    if line.session is None:
        return line.label
    when = local(line.session.starts_at).strftime("%Y-%m-%d %H:%M")  # Japan time, as shown
    return f"{when} {line.label} ({line.session.venue.name})"


def _cells(line: Line) -> list[Cell]:
    mean = line.satisfaction_mean
    return [
        line.key,
        _name(line),
        line.sessions,
        line.answers,
        line.satisfaction.answered,
        round(mean, 2) if mean is not None else None,
        line.someone_to_ask.answered,
        rounded_share(line.someone_to_ask_share),
        too_few_note() if line.too_few else None,
    ]
