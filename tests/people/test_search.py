"""Finding a learner the way staff ask: by furigana in either kana, a part of the name, a
phone number as typed, a district, a card's short code."""

from __future__ import annotations

import pytest

from app.people import cards
from app.people.learners import search
from tests.conftest import login


@pytest.fixture
def people(add_learner):
    return {
        "hanako": add_learner("山田 花子", "ヤマダ ハナコ", phone="090-1234-5678", district="中央"),
        "ichiro": add_learner("鈴木 一郎", "すずき いちろう", phone="0422-12-3456", district="東"),
        "taro": add_learner("山本 太郎", "やまもと たろう", phone="080-9999-0000", district="東"),
    }


def names(found) -> list[str]:
    return [learner.name for learner in found]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("やまだ", ["山田 花子"]),  # hiragana finds katakana-stored furigana
        ("ヤマダ", ["山田 花子"]),
        ("ﾔﾏﾀﾞ", ["山田 花子"]),  # half-width katakana too
        ("スズキ", ["鈴木 一郎"]),  # katakana finds hiragana-stored furigana
        ("すずき いちろう", ["鈴木 一郎"]),
        ("スズキイチロウ", ["鈴木 一郎"]),  # with or without the space
        ("はなこ", ["山田 花子"]),  # the given name alone
        ("ハナ", ["山田 花子"]),
        ("やま", ["山田 花子", "山本 太郎"]),  # ordered by furigana
        ("花子", ["山田 花子"]),  # the name in kanji
        ("山", ["山田 花子", "山本 太郎"]),
        ("5678", ["山田 花子"]),  # the last digits of a phone number
        ("090-1234", ["山田 花子"]),
        ("０９０ー１２３４", ["山田 花子"]),  # full-width, with the IME's ー
        ("0422 12", ["鈴木 一郎"]),
        ("+81 90 1234", ["山田 花子"]),
        ("たなか", []),
        ("%", []),  # a LIKE wildcard is a character, not "everyone"
        ("_", []),
    ],
)
def test_search_matches_across_kana_forms_names_and_phone_digits(make, people, query, expected):
    assert names(search(make.user("coordinator"), query)) == expected


def test_an_empty_query_lists_everyone_and_district_narrows_it(make, people):
    coordinator = make.user("coordinator")
    assert len(search(coordinator, "")) == 3
    assert names(search(coordinator, "", district="東")) == ["鈴木 一郎", "山本 太郎"]
    assert names(search(coordinator, "やま", district="東")) == ["山本 太郎"]


def test_a_typed_card_short_code_finds_its_holder_until_the_card_is_replaced(make, people):
    coordinator = make.user("coordinator")
    card = cards.issue_card(people["ichiro"])
    typed = card.short_code.replace("-", "").lower()
    assert names(search(coordinator, typed)) == ["鈴木 一郎"]
    assert names(search(coordinator, card.short_code)) == ["鈴木 一郎"]
    cards.issue_card(people["ichiro"])
    assert names(search(coordinator, card.short_code)) == []


def test_search_pages_with_offset(make, add_learner):
    coordinator = make.user("coordinator")
    for kana in "あいうえお":
        add_learner(f"{kana}さん", f"{kana}{kana}")
    first = search(coordinator, "", limit=2)
    second = search(coordinator, "", limit=2, offset=2)
    assert names(first) == ["あさん", "いさん"]
    assert names(second) == ["うさん", "えさん"]


def test_the_list_page_searches_by_furigana_and_phone(make, client, people):
    login(client, make.user("coordinator"))
    page = client.get("/learners?q=すずき").get_data(as_text=True)
    assert ">鈴木 一郎</a>" in page
    assert "すずき いちろう" in page
    assert ">山田 花子</a>" not in page
    page = client.get("/learners?q=090-1234-5678").get_data(as_text=True)
    assert ">山田 花子</a>" in page
    assert ">鈴木 一郎</a>" not in page
    page = client.get("/learners?q=&district=東").get_data(as_text=True)
    assert ">鈴木 一郎</a>" in page
    assert ">山本 太郎</a>" in page
    assert ">山田 花子</a>" not in page
