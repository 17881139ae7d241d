"""Every QR code we print or show decodes back to its card's token, and stays small."""

from __future__ import annotations

import pytest

from app.people import cards
from app.people.learners import create_learner

MAX_VERSION = 4  # at error correction M: big modules that scan from a card at arm's length
SAMPLES = 50


@pytest.fixture(scope="module")
def tokens() -> list[str]:
    return [cards.new_token() for _ in range(SAMPLES)]


def _only(found, token):
    assert len(found) == 1, f"{len(found)} QR codes found for {token}"
    return found[0]


def test_png_codes_decode_to_their_tokens_at_a_small_version(tokens, read_qr_png):
    for token in tokens:
        code = _only(read_qr_png(cards.qr_png(token)), token)
        assert code.text == token
        assert code.ec_level == "M"
        assert int(code.extra["Version"]) <= MAX_VERSION
        assert cards.qr_version(token) <= MAX_VERSION


def test_svg_codes_decode_to_their_tokens_at_a_small_version(tokens, read_qr_svg):
    for token in tokens:
        code = _only(read_qr_svg(cards.qr_svg(token)), token)
        assert code.text == token
        assert code.ec_level == "M"
        assert int(code.extra["Version"]) <= MAX_VERSION


def test_the_svg_carries_its_quiet_zone(read_qr_svg):
    token = cards.new_token()
    svg = cards.qr_svg(token)
    version = cards.qr_version(token)
    side = 17 + 4 * version
    # Four light modules on each side, inside the picture, so that a printed code needs
    # no margin from the page around it.
    assert f'viewBox="0 0 {side + 8} {side + 8}"' in svg
    assert "M4,4H" in svg


def test_issued_cards_decode_from_both_images(make, read_qr_png, read_qr_svg):
    learner = create_learner({"name": "佐藤 一郎", "furigana": "さとう いちろう"})
    card = cards.issue_card(learner)
    assert _only(read_qr_png(cards.qr_png(card.token, box_size=4)), card.token).text == card.token
    assert _only(read_qr_svg(cards.qr_svg(card.token)), card.token).text == card.token
