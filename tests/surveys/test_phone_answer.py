"""The printed sheets: one per learner, each with its own QR to answer once on a phone."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa

from app.extensions import db
from app.surveys.models import SurveyAnswer
from tests.conftest import login
from tests.surveys.conftest import printed_links


def _print(client, held) -> str:
    login(client, held.teacher)
    response = client.get(f"/sessions/{held.session.id}/survey/print")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_one_sheet_per_registered_learner_each_with_its_own_qr(client, held):
    html = _print(client, held)
    links = printed_links(html)
    assert len(links) == 3 == html.count('class="survey-sheet"')
    assert len(set(links)) == 3
    assert "きょうの 教室は どうでしたか。" in html
    # Printing again gives the same sheets: a sheet handed out keeps working.
    assert printed_links(_print(client, held)) == links


def test_the_phone_answers_through_the_printed_qr_once(client, held):
    link = printed_links(_print(client, held))[0]
    client.post("/logout")
    path = urlsplit(link).path
    page = client.get(path)
    assert page.status_code == 200
    assert "スマホで こまったとき" in page.get_data(as_text=True)

    sent = client.post(path, data={"q1": "5", "q2": "y", "q3": "2", "q4": "楽しかった"})
    assert sent.status_code == 200
    assert "こたえを うけとりました" in sent.get_data(as_text=True)
    answers = db.session.scalars(sa.select(SurveyAnswer)).all()
    assert [(a.source, a.answers) for a in answers] == [
        (
            "phone",
            {"satisfaction": 5, "someone-to-ask": True, "learn-next": 2, "comments": "楽しかった"},
        )
    ]

    again = client.post(path, data={"q1": "1"})
    assert again.status_code == 409
    assert "もう こたえて あります" in again.get_data(as_text=True)
    assert client.get(path).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(SurveyAnswer.id))) == 1


def test_a_made_up_token_finds_nothing(client, held):
    assert client.get("/a/not-a-real-token").status_code == 404


def test_an_answer_out_of_range_is_refused_naming_nothing_saved(client, held):
    path = urlsplit(printed_links(_print(client, held))[1]).path
    client.post("/logout")
    refused = client.post(path, data={"q1": "9"})
    assert refused.status_code == 422
    assert "1〜5の数字を入れてください" in refused.get_data(as_text=True)
    empty = client.post(path, data={})
    assert empty.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(SurveyAnswer.id))) == 0
    assert client.post(path, data={"q2": "n"}).status_code == 200
