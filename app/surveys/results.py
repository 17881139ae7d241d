"""What the surveys say: figures per question, per session, per course and per 年度; and the
dashboard's breakdown by course, partner, district (the venue's), 年度 and session.

Counted in Python from the answers' JSON (a handful per session): the same code on SQLite and
PostgreSQL, whose JSON operators differ. Each scope is read in one query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.curricula.models import Course, CourseVersion, QuestionKind
from app.curricula.survey import (
    SATISFACTION,
    SCALE,
    SOMEONE_TO_ASK,
    Question,
    questions,
    survey_of,
)
from app.extensions import db
from app.fiscal import FiscalYear
from app.scheduling.models import Session
from app.surveys.models import SurveyAnswer
from app.tabular import Cell, Table
from app.timeutil import local

# As the public figures do (app.public): fewer answers than this are not shown as a figure.
SUPPRESS_UNDER = 5


@dataclass
class QuestionFigures:
    question: Question
    answered: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)  # (label, how many), in order
    mean: float | None = None  # scale: the mean of 1–5
    yes_share: float | None = None  # yes/no: the share of yes among those who answered
    texts: list[str] = field(default_factory=list)  # free text, in the order given


@dataclass
class Figures:
    answers: int
    questions: list[QuestionFigures]

    def of(self, question_id: str) -> QuestionFigures | None:
        return next((f for f in self.questions if f.question.id == question_id), None)

    @property
    def satisfaction_mean(self) -> float | None:
        found = self.of(SATISFACTION)
        return found.mean if found else None

    @property
    def someone_to_ask_share(self) -> float | None:
        found = self.of(SOMEONE_TO_ASK)
        return found.yes_share if found else None


def _question_figures(question: Question, values: list[Any]) -> QuestionFigures:
    result = QuestionFigures(question, answered=len(values))
    if question.kind == QuestionKind.SCALE:
        seen = Counter(values)
        result.counts = [(str(n), seen[n]) for n in SCALE]
        result.mean = sum(values) / len(values) if values else None
    elif question.kind == QuestionKind.YES_NO:
        yes = sum(1 for v in values if v is True)
        result.counts = [(_("はい"), yes), (_("いいえ"), len(values) - yes)]
        result.yes_share = yes / len(values) if values else None
    elif question.kind == QuestionKind.CHOICE:
        seen = Counter(values)
        result.counts = [(c.label, seen[c.number]) for c in question.choices]
    else:
        result.texts = [str(v) for v in values]
    return result


def _accepts(question: Question, value: Any) -> bool:
    # A course's later version may change a question's kind under the same id: an answer is
    # counted under the question only if it is that kind's value.
    if question.kind == QuestionKind.SCALE:
        return isinstance(value, int) and not isinstance(value, bool) and value in SCALE
    if question.kind == QuestionKind.YES_NO:
        return isinstance(value, bool)
    if question.kind == QuestionKind.CHOICE:
        return isinstance(value, int) and 1 <= value <= len(question.choices)
    return isinstance(value, str)


def figures(questions: Sequence[Question], answers: Iterable[dict[str, Any]]) -> Figures:
    rows = list(answers)
    return Figures(
        answers=len(rows),
        questions=[
            _question_figures(q, [a[q.id] for a in rows if q.id in a and _accepts(q, a[q.id])])
            for q in questions
        ],
    )


def _merged_questions(versions: Iterable[CourseVersion]) -> list[Question]:
    """The questions of several versions of a course, newest first, each id once."""
    seen: set[str] = set()
    merged: list[Question] = []
    for version in sorted(versions, key=lambda v: v.version, reverse=True):
        for q in survey_of(version):
            if q.id not in seen:
                seen.add(q.id)
                merged.append(q)
    return merged


# ---------------------------------------------------------------- scopes


@dataclass
class AnswerRow:
    answer: SurveyAnswer
    session: Session


def _answer_rows(where: sa.ColumnElement[bool]) -> list[AnswerRow]:
    rows = db.session.execute(
        sa.select(SurveyAnswer, Session)
        .join(Session, Session.id == SurveyAnswer.session_id)
        .options(
            joinedload(SurveyAnswer.sheet),
            joinedload(Session.course_version).joinedload(CourseVersion.course),
            joinedload(Session.venue),
            joinedload(Session.partner_org),
        )
        .where(where)
        .order_by(Session.starts_at, SurveyAnswer.id)
    ).unique()
    return [AnswerRow(answer, session) for answer, session in rows]


def session_figures(session: Session) -> tuple[list[Question], list[AnswerRow], Figures]:
    questions = survey_of(session.course_version)
    rows = _answer_rows(SurveyAnswer.session_id == session.id)
    return questions, rows, figures(questions, (r.answer.answers for r in rows))


def in_year(year: FiscalYear | None) -> sa.ColumnElement[bool]:
    if year is None:
        return sa.true()
    start, end = year.bounds()
    return sa.and_(Session.starts_at >= start, Session.starts_at < end)


def course_figures(
    course: Course, year: FiscalYear | None
) -> tuple[list[Question], list[AnswerRow], Figures]:
    """A course's answers over all its versions (within a 年度, if given)."""
    rows = _answer_rows(
        sa.and_(
            Session.course_version_id.in_(
                sa.select(CourseVersion.id).where(CourseVersion.course_id == course.id)
            ),
            in_year(year),
        )
    )
    versions = {r.session.course_version.id: r.session.course_version for r in rows}
    if course.current_version is not None:
        versions.setdefault(course.current_version.id, course.current_version)
    questions = _merged_questions(versions.values())
    return questions, rows, figures(questions, (r.answer.answers for r in rows))


@dataclass
class Summary:
    """The survey's part of the reports' summary (GET /api/v1/reports/summary)."""

    answers: int
    satisfaction_mean: float | None
    satisfaction_answered: int  # of the answers, those that gave a satisfaction: the mean's base
    someone_to_ask_share: float | None
    by_course: list[Line]  # as the dashboard's view counts them (breakdown)


def summary(sessions: sa.ColumnElement[bool]) -> Summary:
    """The survey figures of the sessions `sessions` selects (the reports' filter), in one
    query: the program-wide figures read the default survey's two questions by their ids."""
    rows = _answer_rows(sessions)
    found = figures(survey_of_default(), (r.answer.answers for r in rows))
    return Summary(
        answers=found.answers,
        satisfaction_mean=found.satisfaction_mean,
        satisfaction_answered=satisfied.answered if (satisfied := found.of(SATISFACTION)) else 0,
        someone_to_ask_share=found.someone_to_ask_share,
        by_course=_course_lines(rows),
    )


# ---------------------------------------------------------------- the dashboard's view


@dataclass
class Line:
    """The answers of one course, partner, district, 年度 or session: how many, and the two
    questions every survey asks (by their ids), each with how many answered it."""

    key: str  # what the line is of: a course's slug, a partner's slug, a district, a year
    label: str
    sessions: int
    answers: int
    satisfaction: QuestionFigures
    someone_to_ask: QuestionFigures
    session: Session | None = None  # a session's line: the session

    @property
    def satisfaction_mean(self) -> float | None:
        """None when too few answered to show it (see `too_few`)."""
        return shown(self.satisfaction.mean, self.satisfaction.answered)

    @property
    def someone_to_ask_share(self) -> float | None:
        return shown(self.someone_to_ask.yes_share, self.someone_to_ask.answered)

    @property
    def too_few(self) -> bool:
        """Some answers, but too few of one of the two questions for its figure to be shown."""
        return any(
            0 < q.answered < SUPPRESS_UNDER for q in (self.satisfaction, self.someone_to_ask)
        )


@dataclass
class Breakdown:
    """The survey figures of a set of sessions, whole and by course, partner, district (the
    venue's), 年度 and session: what the dashboard's アンケート view and its files show."""

    total: Line
    by_course: list[Line]
    by_partner: list[Line]
    by_district: list[Line]
    by_year: list[Line]
    by_session: list[Line]


def _line(key: str, label: str, rows: list[AnswerRow], session: Session | None = None) -> Line:
    found = figures(survey_of_default(), (r.answer.answers for r in rows))
    satisfaction, someone_to_ask = found.questions  # the default's two, in its order
    return Line(
        key=key,
        label=label,
        sessions=len({r.session.id for r in rows}),
        answers=found.answers,
        satisfaction=satisfaction,
        someone_to_ask=someone_to_ask,
        session=session,
    )


def _grouped(
    rows: list[AnswerRow], key: Callable[[AnswerRow], Any]
) -> list[tuple[Any, list[AnswerRow]]]:
    groups: dict[Any, list[AnswerRow]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return list(groups.items())


def _course_lines(rows: list[AnswerRow]) -> list[Line]:
    lines = []
    for _course_id, group in _grouped(rows, lambda r: r.session.course_version.course_id):
        # Named by the newest version answered: the title the course has today, most likely.
        newest = max((r.session.course_version for r in group), key=lambda v: v.version)
        lines.append(_line(newest.slug, newest.title, group))
    return sorted(lines, key=lambda line: line.key)


def _partner_lines(rows: list[AnswerRow]) -> list[Line]:
    lines = []
    for _org_id, group in _grouped(rows, lambda r: r.session.partner_org_id):
        org = group[0].session.partner_org
        if org is None:
            lines.append(_line("", _("協力団体なし"), group))
        else:
            lines.append(_line(org.slug, org.name, group))
    return sorted(lines, key=lambda line: (line.key == "", line.label))


def _district_lines(rows: list[AnswerRow]) -> list[Line]:
    lines = [
        _line(district, district or _("地区なし"), group)
        for district, group in _grouped(rows, lambda r: r.session.venue.district or "")
    ]
    return sorted(lines, key=lambda line: (line.key == "", line.key))


def _year_lines(rows: list[AnswerRow]) -> list[Line]:
    lines = [
        _line(str(year), _("%(year)d年度", year=year), group)
        for year, group in _grouped(rows, lambda r: FiscalYear.of(r.session.starts_at).year)
    ]
    return sorted(lines, key=lambda line: line.key)


def _session_lines(rows: list[AnswerRow]) -> list[Line]:
    # The rows come in the sessions' order (_answer_rows): the lines keep it.
    return [
        _line(
            str(group[0].session.id), group[0].session.course_version.title, group, group[0].session
        )
        for _session_id, group in _grouped(rows, lambda r: r.session.id)
    ]


def breakdown(sessions: sa.ColumnElement[bool]) -> Breakdown:
    """The figures of the answers to the sessions `sessions` selects (the reports' filter),
    read in one query and grouped here, in Python: one grouping for the page and its files."""
    rows = _answer_rows(sessions)
    return Breakdown(
        total=_line("", _("全体"), rows),
        by_course=_course_lines(rows),
        by_partner=_partner_lines(rows),
        by_district=_district_lines(rows),
        by_year=_year_lines(rows),
        by_session=_session_lines(rows),
    )


def survey_of_default() -> list[Question]:
    # The program-wide figures read the two questions the default survey asks, by their ids,
    # which course surveys reuse for the same questions.
    return [q for q in questions(None) if q.id in (SATISFACTION, SOMEONE_TO_ASK)]


def shown(figure: float | None, answered: int) -> float | None:
    """A figure as the public sees it: None (suppressed) under SUPPRESS_UNDER answers."""
    return figure if answered >= SUPPRESS_UNDER else None


# ---------------------------------------------------------------- the files


def _cell(question: Question, value: Any) -> Cell:
    if value is None or not _accepts(question, value):
        return None
    if question.kind == QuestionKind.YES_NO:
        return _("はい") if value else _("いいえ")
    if question.kind == QuestionKind.CHOICE:
        return question.choices[value - 1].label
    return value


def answers_table(title: str, questions: list[Question], rows: list[AnswerRow]) -> Table:
    """One line per answer: when and where, how it came, then each question."""
    header = [
        _("講座ID"),
        _("日時"),
        _("コース"),
        _("会場"),
        _("回答方法"),
        _("用紙番号"),
        _("名前"),
    ]
    header += [q.text for q in questions]
    source = {"paper": _("紙"), "phone": _("スマホ")}

    def line(r: AnswerRow) -> list[Cell]:
        cells: list[Cell] = [
            r.session.id,
            local(r.session.starts_at).strftime("%Y-%m-%d %H:%M"),  # Japan time, as shown
            r.session.course_version.title,
            r.session.venue.name,
            source.get(r.answer.source, r.answer.source),
            _sheet_number(r.answer),
            r.answer.name,
        ]
        return cells + [_cell(q, r.answer.answers.get(q.id)) for q in questions]

    return Table(
        title=title,
        header=header,
        rows=(line(r) for r in rows),
        widths=[6, 25, 30, 20, 8, 8, 15],
    )


def _sheet_number(answer: SurveyAnswer) -> int | None:
    return answer.sheet.number if answer.sheet else None


def figures_table(title: str, found: Figures) -> Table:
    """One line per question and answer: the counts a person would make by hand."""
    lines: list[list[Cell]] = []
    for qf in found.questions:
        for label, count in qf.counts:
            lines.append([qf.question.text, label, count])
        if qf.mean is not None:
            lines.append([qf.question.text, _("平均"), round(qf.mean, 2)])
        if qf.question.kind == QuestionKind.TEXT:
            lines.append([qf.question.text, _("回答数"), qf.answered])
    return Table(
        title=title, header=[_("質問"), _("答え"), _("人数")], rows=lines, widths=[40, 20, 6]
    )
