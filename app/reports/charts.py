"""The rows the dashboard's bar charts draw (templates/_charts.html): label, value, the figure
as written, and the link to what is behind it (learners only for planners)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for

from app.reports.figures import CountLine, DistrictLine, SessionLine, SkillLine
from app.reports.filters import ReportFilter

Bar = tuple[str, float | None, str, str | None]


@dataclass
class Bars:
    report: ReportFilter
    planner: bool

    def sessions_url(
        self, changes: dict[str, Any], state: str | None = None, only: str | None = None
    ) -> str:
        # (url_for's values typed Any: a dict of str would have to fit its `_external` too.)
        values: dict[str, Any] = self.report.args(**changes)
        values.update((k, v) for k, v in (("state", state), ("only", only)) if v)
        return url_for("reports.sessions", **values)

    def learners_url(self, facet: str) -> str | None:
        if not self.planner:
            return None
        values: dict[str, Any] = self.report.args()
        return url_for("reports.learners", **values, facet=facet)

    def sessions(self, lines: list[SessionLine]) -> list[Bar]:
        """Sessions held, by line."""
        return [
            (
                ln.label,
                ln.counts.held,
                str(ln.counts.held),
                self.sessions_url(ln.changes, state="held"),
            )
            for ln in lines
        ]

    def counts(self, lines: list[CountLine]) -> list[Bar]:
        return [
            (
                ln.label,
                ln.count,
                str(ln.count),
                self.learners_url(ln.facet)
                if ln.facet
                else self.sessions_url(ln.changes, only="waitlisted"),
            )
            for ln in lines
        ]

    def districts(self, lines: list[DistrictLine]) -> list[Bar]:
        return [
            (ln.label, ln.total, str(ln.total), self.learners_url(f"district:{ln.district}"))
            for ln in lines
        ]

    def skills(self, lines: list[SkillLine], course_slug: str) -> list[Bar]:
        """The share of the course's learners who reached each skill."""
        return [
            (
                ln.label,
                ln.share or 0,
                f"{(ln.share or 0) * 100:.0f}% ({ln.reached})",
                self.learners_url(f"skill:{course_slug}/{ln.key}"),
            )
            for ln in lines
        ]
