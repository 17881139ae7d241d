"""The public achievements page shows the year's satisfaction only when 5 or more answered it."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine

from app.extensions import db
from app.surveys.models import SurveyAnswer
from app.timeutil import TOKYO


@pytest.fixture(autouse=True)
def _mid_year():
    """The page shows this 年度's figures: the class (held an hour ago) must be in it, which
    at 00:30 on 1 April it is not. Mid-June, whatever the machine's clock."""
    with time_machine.travel(datetime(2026, 6, 15, 14, 0, tzinfo=TOKYO), tick=True):
        yield


def _answer(session, satisfaction: int | None) -> None:
    answers = {"satisfaction": satisfaction} if satisfaction else {"comments": "よかった"}
    db.session.add(SurveyAnswer(session_id=session.id, source="paper", answers=answers))
    db.session.commit()


def _shown(client) -> str:
    html = client.get("/public/achievements").get_data(as_text=True)
    figure = re.search(r'<dd data-figure="satisfaction">(.*?)</dd>', html, re.S)
    assert figure
    return re.sub(r"<[^>]+>|\s+", "", figure[1])


def test_satisfaction_is_suppressed_under_five_answers(client, held):
    for value in (5, 4, 5, 4):
        _answer(held.session, value)
    _answer(held.session, None)  # answered, but not the satisfaction: not in its base
    assert _shown(client) == "—(こたえた人5人)"
    _answer(held.session, 3)
    # By hand: (5 + 4 + 5 + 4 + 3) / 5 = 4.2 from 5 answers of 6.
    assert _shown(client) == "4.2(こたえた人6人)"
