"""Cards: unguessable tokens, codes people can type, and a lost card that stops working."""

from __future__ import annotations

import re
import string
from collections import Counter
from datetime import timedelta

import pytest

from app.checkin import services as checkin
from app.errors import Gone
from app.people import cards
from app.people.learners import create_learner
from app.people.registration import register
from app.timeutil import utcnow

TOKEN = re.compile(r"^DK1([A-Z2-7]{21})$")
SHORT_CODE = re.compile(
    r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{2}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$"
)
BASE32 = string.ascii_uppercase + "234567"


def _learner(name="山田 花子", furigana="やまだ はなこ", **extra):
    return create_learner({"name": name, "furigana": furigana, **extra})


def test_a_thousand_tokens_are_distinct_and_each_carries_more_than_80_random_bits():
    tokens = [cards.new_token() for _ in range(1000)]
    assert len(set(tokens)) == 1000
    randoms = []
    for token in tokens:
        match = TOKEN.match(token)
        assert match, token
        randoms.append(match.group(1))
    # Every one of the first 20 positions takes all 32 base32 symbols (5 bits each) and the
    # last one 16 (4 bits): 104 bits. A counter, a timestamp or a learner id would leave
    # positions nearly constant; missing a symbol by chance in 1000 draws is ~1e-12.
    for position in range(20):
        seen = Counter(r[position] for r in randoms)
        assert set(seen) == set(BASE32), f"position {position} saw only {sorted(seen)}"
    assert len({r[20] for r in randoms}) == 16


def test_cards_are_not_derived_from_the_learner(make):
    hanako = _learner()
    first = cards.issue_card(hanako)
    second = cards.issue_card(hanako)
    # Two learners with the same name, issued one after the other, share nothing either.
    twin = _learner()
    twins = cards.issue_card(twin)
    assert len({first.token, second.token, twins.token}) == 3
    assert len({first.short_code, second.short_code, twins.short_code}) == 3


def test_reissuing_a_card_revokes_the_old_token_at_once(make):
    instructor = make.user("instructor")
    start = utcnow() - timedelta(minutes=5)
    session = make.session(
        starts_at=start, ends_at=start + timedelta(minutes=60), instructor_ids=[instructor.id]
    )
    hanako = _learner()
    register(session, hanako, source="phone")
    lost = cards.issue_card(hanako)
    lost_token, lost_code = lost.token, lost.short_code

    new = cards.issue_card(hanako)

    assert new.token != lost_token
    assert new.short_code != lost_code
    assert hanako.active_card.id == new.id
    for old in (lost_token, lost_code):
        found = cards.find_card(old)
        assert found is not None
        assert found.revoked_at is not None
        with pytest.raises(Gone) as refused:
            checkin.check_in(session, instructor, code=old)
        assert refused.value.code == "revoked_card"
    result = checkin.check_in(session, instructor, code=new.token)
    assert result.result == "checked_in"
    assert result.learner.id == hanako.id


def test_ensure_card_keeps_the_card_a_learner_has(make):
    hanako = _learner()
    card = cards.ensure_card(hanako)
    assert cards.ensure_card(hanako).id == card.id
    assert len(hanako.cards) == 1


def test_short_codes_use_an_alphabet_without_look_alike_characters():
    codes = [cards.new_short_code() for _ in range(1000)]
    for code in codes:
        assert SHORT_CODE.match(code), code
        assert not set(code) & set("0O1IL")
    assert len(set(codes)) > 990


@pytest.mark.parametrize(
    "typed",
    [
        "{code}",
        "{lower}",
        "{plain}",
        "{plain_lower}",
        "{spaced}",
        "{wide}",
        "{wide_lower}",
        "  {head}ー{tail}  ",
        "{head}\u3000{tail}",
    ],
)
def test_a_short_code_is_found_however_it_is_typed(make, typed):
    card = cards.issue_card(_learner())
    head, tail = card.short_code.split("-")
    wide = card.short_code.translate(
        str.maketrans(
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-",
            "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ－",
        )
    )
    text = typed.format(
        code=card.short_code,
        lower=card.short_code.lower(),
        plain=head + tail,
        plain_lower=(head + tail).lower(),
        spaced=f"{head.lower()} {tail[:2]} {tail[2:].lower()}",
        wide=wide,
        wide_lower=wide.lower(),
        head=head,
        tail=tail,
    )
    found = cards.find_card(text)
    assert found is not None, text
    assert found.id == card.id, text


def test_a_scanned_token_is_found_in_lower_case_too(make):
    card = cards.issue_card(_learner())
    assert cards.find_card(card.token.lower()).id == card.id
    assert cards.find_card(f" {card.token}\n").id == card.id


def test_codes_that_belong_to_no_card_find_nothing(make):
    card = cards.issue_card(_learner())
    head, tail = card.short_code.split("-")
    assert cards.find_card("") is None
    assert cards.find_card(head + tail[:-1]) is None
    assert cards.find_card(card.token[:-1]) is None
    assert cards.find_card("DK1" + "A" * 21) is None
