"""Typing in the returned papers: one grid, one row per sheet, nothing saved if a cell is wrong."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.surveys.models import SurveyAnswer
from tests.conftest import login


def _row(i: int, sheet="", q1="", q2="", q3="", q4="", name="") -> dict[str, str]:
    return {
        f"rows-{i}-sheet": sheet,
        f"rows-{i}-q1": q1,
        f"rows-{i}-q2": q2,
        f"rows-{i}-q3": q3,
        f"rows-{i}-q4": q4,
        f"rows-{i}-name": name,
    }


def _answers() -> list[SurveyAnswer]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SurveyAnswer).order_by(SurveyAnswer.id)))


def test_the_instructor_types_in_the_papers(client, held):
    login(client, held.teacher)
    url = f"/sessions/{held.session.id}/survey/entry"
    assert client.get(url).status_code == 200
    data = {
        **_row(0, q1="5", q2="y", q3="1"),
        **_row(1, q1="４", q2="N", q4="字が大きくて読みやすい", name="山田"),
        **_row(2),  # left blank: not an answer
        **_row(3, q1="3"),
    }
    response = client.post(url, data=data)
    assert response.status_code == 302
    saved = _answers()
    assert [(a.source, a.answers, a.name) for a in saved] == [
        ("paper", {"satisfaction": 5, "someone-to-ask": True, "learn-next": 1}, ""),
        (
            "paper",
            {"satisfaction": 4, "someone-to-ask": False, "comments": "字が大きくて読みやすい"},
            "山田",
        ),
        ("paper", {"satisfaction": 3}, ""),
    ]
    assert saved[0].entered_by_id == held.teacher.id


def test_a_wrong_cell_names_its_row_and_nothing_is_saved(client, held):
    login(client, held.coordinator)
    url = f"/sessions/{held.session.id}/survey/entry"
    response = client.post(url, data={**_row(0, q1="5"), **_row(1, q1="7", q2="maybe", q3="9")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "2行目 問1: 1〜5の数字を入れてください。" in page
    assert "2行目 問2: はいは y、いいえは n を入れてください。" in page
    assert "2行目 問3: 選択肢の番号(1〜6)を入れてください。" in page
    assert _answers() == []


def test_a_sheet_answered_on_a_phone_cannot_be_typed_in_again(client, held):
    login(client, held.teacher)
    client.get(f"/sessions/{held.session.id}/survey/print")
    url = f"/sessions/{held.session.id}/survey/entry"
    assert client.post(url, data=_row(0, sheet="1", q1="5")).status_code == 302
    again = client.post(url, data={**_row(0, sheet="1", q1="4"), **_row(1, sheet="9", q1="4")})
    assert again.status_code == 422
    page = again.get_data(as_text=True)
    assert "用紙 1 はもう回答があります。" in page
    assert "用紙番号 9 の用紙は印刷されていません。" in page
    assert len(_answers()) == 1


def test_an_instructor_of_another_class_may_not_type_in(client, held, make):
    other = make.user("instructor")
    login(client, other)
    # Not theirs and not their organization's: they may not know it exists.
    assert client.get(f"/sessions/{held.session.id}/survey/entry").status_code == 404
    partner = make.user("partner", org=make.org())
    login(client, partner)
    assert client.get(f"/sessions/{held.session.id}/survey/entry").status_code == 403
