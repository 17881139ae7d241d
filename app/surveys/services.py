"""The survey after class: printing the sheets, answering by phone, typing in the papers.

Paper first: a session's sheets are printed one per registered learner, each with a number
and a token of its own in a small QR. The survey is anonymous: a sheet is not tied to a
learner, so the token only lets whoever holds that sheet answer once on a phone. Returned
papers are typed in on a grid (entry_grid), one row per sheet; a row may give the sheet's
number, which then cannot be answered a second time (on paper or by phone).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.checkin.counts import counts_for
from app.checkin.services import may_check_in
from app.curricula.models import QuestionKind
from app.curricula.survey import SCALE, Question, survey_of
from app.errors import Conflict, Forbidden, NotFound, ServiceError
from app.extensions import db
from app.scheduling.models import Session
from app.surveys.models import AnswerSource, SurveyAnswer, SurveySheet
from app.text import clean
from app.transaction import atomic

MAX_TEXT = 1000  # one free-text answer: a page of handwriting
MAX_NAME = 100
YES = {"y", "yes", "1", "はい", "o", "○"}
NO = {"n", "no", "0", "いいえ", "x", "×"}


def may_enter(user: User, session: Session) -> bool:
    """The session's instructors and assistants, coordinators and admins (as at the door)."""
    return may_check_in(user, session)


def require_entry_rights(user: User, session: Session) -> None:
    if not may_enter(user, session):
        raise Forbidden(
            _("この講座のアンケートは、担当の講師・アシスタントとコーディネーターが入力します。")
        )


def questions_for(session: Session) -> list[Question]:
    return survey_of(session.course_version)


# ---------------------------------------------------------------- the printed sheets


def _new_token() -> str:
    return secrets.token_urlsafe(16)  # 128 bits: not guessed from another sheet's


def printed_sheets(session: Session) -> list[SurveySheet]:
    return list(
        db.session.scalars(
            sa.select(SurveySheet)
            .where(SurveySheet.session_id == session.id)
            .order_by(SurveySheet.number)
        )
    )


@atomic
def sheets_for_print(session: Session) -> list[SurveySheet]:
    """The session's sheets, one per registered learner (at least one): printing again gives
    the same sheets, and new ones only for those who registered since."""
    sheets = printed_sheets(session)
    wanted = max(counts_for([session.id])[session.id].registered, 1)
    for number in range(len(sheets) + 1, wanted + 1):
        sheet = SurveySheet(session_id=session.id, number=number, token=_new_token())
        db.session.add(sheet)
        sheets.append(sheet)
    db.session.flush()
    return sheets


def sheet_by_token(token: str) -> SurveySheet:
    sheet = db.session.scalar(sa.select(SurveySheet).where(SurveySheet.token == token[:64]))
    if sheet is None:
        raise NotFound(_("このアンケートは 見つかりません。紙の アンケートに 書いて ください。"))
    return sheet


def is_answered(sheet: SurveySheet) -> bool:
    return (
        db.session.scalar(sa.select(SurveyAnswer.id).where(SurveyAnswer.sheet_id == sheet.id))
        is not None
    )


# ---------------------------------------------------------------- one answer


class AnswerRefused(ServiceError):
    """Some cells cannot be read; `problems` is (row number or 0, field, message) each."""

    status = 422
    code = "invalid_survey_answer"

    def __init__(self, message: str, problems: list[tuple[int, str, str]]):
        super().__init__(message)
        self.problems = problems


def read_cell(question: Question, text: str | None) -> Any:
    """A typed cell (or a phone's field) as its answer; None when left blank. ValueError
    says what is expected."""
    value = clean(unicodedata.normalize("NFKC", text or ""))
    if not value:
        return None
    if question.kind == QuestionKind.SCALE:
        if value.isdigit() and int(value) in SCALE:
            return int(value)
        raise ValueError(_("1〜5の数字を入れてください。"))
    if question.kind == QuestionKind.YES_NO:
        if value.lower() in YES:
            return True
        if value.lower() in NO:
            return False
        raise ValueError(_("はいは y、いいえは n を入れてください。"))
    if question.kind == QuestionKind.CHOICE:
        if value.isdigit() and 1 <= int(value) <= len(question.choices):
            return int(value)
        raise ValueError(_("選択肢の番号(1〜%(n)d)を入れてください。", n=len(question.choices)))
    if len(value) > MAX_TEXT:
        raise ValueError(_("%(n)d文字以内にしてください。", n=MAX_TEXT))
    return value


def _read_answers(
    questions: list[Question],
    cells: dict[str, str],
    row: int,
    problems: list[tuple[int, str, str]],
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for q in questions:
        try:
            value = read_cell(q, cells.get(q.id))
        except ValueError as exc:
            problems.append((row, q.id, str(exc)))
            continue
        if value is not None:
            answers[q.id] = value
    return answers


@atomic
def answer_by_phone(sheet: SurveySheet, cells: dict[str, str]) -> SurveyAnswer:
    """The learner's own answer through the sheet's QR: once per sheet."""
    if is_answered(sheet):
        raise Conflict(
            "already_answered",
            _("このアンケートは もう 答えて あります。ありがとう ございました。"),
        )
    problems: list[tuple[int, str, str]] = []
    answers = _read_answers(questions_for(sheet.session), cells, 0, problems)
    if problems:
        raise AnswerRefused(_("答えを 確かめて ください。"), problems)
    if not answers:
        raise AnswerRefused(
            _("ひとつも 答えが ありません。答えてから 送って ください。"), [(0, "", "")]
        )
    answer = SurveyAnswer(
        session_id=sheet.session_id, sheet_id=sheet.id, source=AnswerSource.PHONE, answers=answers
    )
    db.session.add(answer)
    _flush_once_per_sheet()
    return answer


def _flush_once_per_sheet() -> None:
    # Two sends of one sheet at the same moment (a double tap, the paper typed in meanwhile):
    # the unique sheet_id lets one in; the other is told, not shown an error page.
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(
            "already_answered",
            _("このアンケートは もう 答えて あります。ありがとう ございました。"),
        ) from None


# ---------------------------------------------------------------- the papers, typed in


@dataclass
class PaperRow:
    """One line of the entry grid as typed: the sheet's number (may be blank), the name the
    learner wrote (may be blank), and a cell per question id."""

    line: int  # from 1, as the grid shows
    sheet: str
    name: str
    cells: dict[str, str]

    def is_blank(self) -> bool:
        return not (clean(self.sheet) or clean(self.name) or any(map(clean, self.cells.values())))


@atomic
def save_papers(session: Session, user: User, rows: list[PaperRow]) -> int:
    """Every filled line of the grid as one answer, or nothing if any cell is wrong (each
    problem named by line and column). Returns how many answers were saved."""
    require_entry_rights(user, session)
    questions = questions_for(session)
    sheets = {
        s.number: s
        for s in db.session.scalars(
            sa.select(SurveySheet).where(SurveySheet.session_id == session.id)
        )
    }
    answered = {
        sheet_id
        for sheet_id in db.session.scalars(
            sa.select(SurveyAnswer.sheet_id).where(SurveyAnswer.session_id == session.id)
        )
        if sheet_id is not None
    }
    problems: list[tuple[int, str, str]] = []
    made: list[SurveyAnswer] = []
    taken: dict[int, int] = {}
    for row in rows:
        if row.is_blank():
            continue
        sheet = _sheet_of(row, sheets, answered, taken, problems)
        name = clean(row.name)
        if len(name) > MAX_NAME:
            problems.append((row.line, "name", _("%(n)d文字以内にしてください。", n=MAX_NAME)))
        answers = _read_answers(questions, row.cells, row.line, problems)
        if not answers:
            problems.append((row.line, "", _("答えがひとつもありません。")))
        made.append(
            SurveyAnswer(
                session_id=session.id,
                sheet_id=sheet.id if sheet else None,
                source=AnswerSource.PAPER,
                answers=answers,
                name=name,
                entered_by_id=user.id,
            )
        )
    if problems:
        raise AnswerRefused(
            _("%(n)d件の入力を確かめてください。何も保存していません。", n=len(problems)),
            problems,
        )
    db.session.add_all(made)
    _flush_once_per_sheet()
    return len(made)


def _sheet_of(
    row: PaperRow,
    sheets: dict[int, SurveySheet],
    answered: set[int],
    taken: dict[int, int],
    problems: list[tuple[int, str, str]],
) -> SurveySheet | None:
    text = clean(unicodedata.normalize("NFKC", row.sheet))
    if not text:
        return None
    sheet = sheets.get(int(text)) if text.isdigit() else None
    if sheet is None:
        problems.append(
            (row.line, "sheet", _("用紙番号 %(text)s の用紙は印刷されていません。", text=text))
        )
        return None
    if sheet.id in answered:
        problems.append((row.line, "sheet", _("用紙 %(n)d はもう回答があります。", n=sheet.number)))
    elif sheet.number in taken:
        problems.append(
            (
                row.line,
                "sheet",
                _(
                    "用紙 %(n)d は %(line)d行目にも書かれています。",
                    n=sheet.number,
                    line=taken[sheet.number],
                ),
            )
        )
    taken.setdefault(sheet.number, row.line)
    return sheet


def answers_of(session: Session) -> list[SurveyAnswer]:
    return list(
        db.session.scalars(
            sa.select(SurveyAnswer)
            .where(SurveyAnswer.session_id == session.id)
            .order_by(SurveyAnswer.id)
        )
    )
