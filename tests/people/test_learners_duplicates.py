"""Possible duplicates: the same furigana with the same phone number or the same birth year,
whatever way each was typed."""

from __future__ import annotations

from app.people.learners import possible_duplicates


def ids(found) -> list[int]:
    return [learner.id for learner in found]


def test_same_furigana_and_same_phone_is_a_possible_duplicate(add_learner):
    hanako = add_learner("山田 花子", "やまだ はなこ", phone="090-1234-5678")
    typed = {"furigana": "ヤマダ ハナコ", "phone": "０９０ー１２３４ー５６７８"}
    assert ids(possible_duplicates(typed)) == [hanako.id]
    assert ids(possible_duplicates({**typed, "phone": "+81 90 1234 5678"})) == [hanako.id]


def test_same_furigana_and_same_birth_year_is_a_possible_duplicate(add_learner):
    hanako = add_learner("山田 花子", "やまだ はなこ", birth_year="1948")
    for year in ("昭和23年", "S23", "１９４８", 1948):
        assert ids(possible_duplicates({"furigana": "やまだはなこ", "birth_year": year})) == [
            hanako.id
        ], year


def test_a_different_reading_is_not_a_duplicate_even_with_the_same_phone(add_learner):
    add_learner("山田 花子", "やまだ はなこ", phone="090-1234-5678", birth_year="1948")
    assert (
        possible_duplicates(
            {"furigana": "やまだ はるこ", "phone": "090-1234-5678", "birth_year": "1948"}
        )
        == []
    )


def test_same_furigana_alone_is_not_enough(add_learner):
    add_learner("山田 花子", "やまだ はなこ", phone="090-1234-5678", birth_year="1948")
    assert possible_duplicates({"furigana": "やまだ はなこ"}) == []
    assert (
        possible_duplicates(
            {"furigana": "やまだ はなこ", "phone": "090-0000-0000", "birth_year": "1950"}
        )
        == []
    )


def test_the_record_being_edited_is_not_its_own_duplicate(add_learner):
    hanako = add_learner("山田 花子", "やまだ はなこ", phone="090-1234-5678")
    other = add_learner("山田 花子", "やまだ はなこ", phone="090-1234-5678")
    typed = {"furigana": "やまだ はなこ", "phone": "090-1234-5678"}
    assert ids(possible_duplicates(typed)) == [hanako.id, other.id]
    assert ids(possible_duplicates(typed, exclude_id=hanako.id)) == [other.id]
