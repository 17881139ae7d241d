"""The dashboard's figures as tables: one sheet each in the figures workbook. The API's
summary (app.reports.schemas.SummaryOut) is read off the same `Figures`, so both always agree
with the page.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.labels import label
from app.reports.figures import KINDS, NEW_LEARNERS, RETURNING_LEARNERS, Figures, SessionLine
from app.tabular import Cell, Table


def rounded_share(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _session_table(title: str, what: str, lines: list[SessionLine]) -> Table:
    header = [what, _("実施"), _("中止"), _("予定"), _("合計")]
    rows: list[list[Cell]] = [
        [
            line.label,
            line.counts.held,
            line.counts.cancelled,
            line.counts.planned,
            line.counts.total,
        ]
        for line in lines
    ]
    return Table(title, header, rows, widths=[30])


def tables(figures: Figures) -> list[Table]:
    f = figures
    flt = f.filter
    summary: list[tuple[str, Cell]] = [
        (_("期間"), f"{flt.first_day.isoformat()}〜{flt.last_day.isoformat()}"),
        (_("実施した講座(コマ)"), f.sessions.held),
        (_("中止した講座"), f.sessions.cancelled),
        (_("予定の講座"), f.sessions.planned),
        (_("出席 延べ人数"), f.attendances),
        (_("出席 実人数"), f.distinct_learners),
        (str(NEW_LEARNERS), f.new_learners),
        (str(RETURNING_LEARNERS), f.returning_learners),
        (_("1講座あたりの平均受講者数"), f.avg_learners_per_session),
        (_("受講者が1人だった講座の割合"), rounded_share(f.single_learner_share)),
        (_("定員に対する申込の割合"), rounded_share(f.capacity_filled)),
        (_("無断欠席の割合"), rounded_share(f.no_show_rate)),
        (_("1:4の基準を満たした講座"), f.rule_met),
        (_("2つ以上のコースに出席した受講者"), f.further_course),
    ]
    kinds = [label("learner_kind", kind) for kind in KINDS]
    return [
        Table(_("概要"), [_("項目"), _("値")], summary, widths=[34, 24]),
        _session_table(_("月別"), _("年月"), f.by_month),
        _session_table(_("コース別"), _("コース"), f.by_course),
        _session_table(_("講座の種類別"), _("講座の種類"), f.by_track),
        _session_table(_("実施形態別"), _("実施形態"), f.by_delivery),
        _session_table(_("協力団体別"), _("協力団体"), f.by_partner),
        _session_table(_("会場別"), _("会場"), f.by_venue),
        Table(
            _("キャンセル待ち"),
            [_("コース"), _("キャンセル待ちの申込")],
            [[line.label, line.count] for line in f.waitlist_by_course],
            widths=[30],
        ),
        Table(
            _("講師・アシスタントの時間"),
            [_("団体"), _("講師(時間)"), _("アシスタント(時間)")],
            [[h.org_name, h.instructor_hours, h.assistant_hours] for h in f.staff_hours],
            widths=[30],
        ),
        Table(
            _("地区別の受講者"),
            [_("地区"), _("実人数"), *kinds],
            [
                [line.label, line.total, *(line.by_kind.get(kind, 0) for kind in KINDS)]
                for line in f.by_district
            ],
            widths=[20],
        ),
        Table(
            _("年代別の受講者"),
            [_("年代"), _("実人数")],
            [[line.label, line.count] for line in f.by_age_band],
        ),
        Table(
            _("区分別の受講者"),
            [_("区分"), _("実人数")],
            [[line.label, line.count] for line in f.by_kind],
        ),
        Table(
            _("端末別の受講者"),
            [_("端末"), _("実人数")],
            [[line.label, line.count] for line in f.by_device],
            widths=[24],
        ),
        Table(
            _("できるようになったこと"),
            [_("コース"), _("できるようになったこと"), _("人数"), _("出席した実人数"), _("割合")],
            [
                [o.title, s.label, s.reached, s.attendees, rounded_share(s.share)]
                for o in f.outcomes
                for s in o.skills
            ],
            widths=[30, 40],
        ),
        Table(
            _("コースの修了"),
            [_("コース"), _("出席した実人数"), _("すべてできるようになった人数")],
            [[o.title, o.attendees, o.completed] for o in f.outcomes],
            widths=[30],
        ),
    ]
