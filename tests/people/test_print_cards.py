"""Card sheets: one learner's card, a selection, a session's learners; ten cards per A4."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people import cards
from app.people.learners import create_learner
from app.people.models import Card
from app.people.registration import register
from tests.conftest import login

SVG = re.compile(r"<svg\b.*?</svg>", re.S)
KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわ"


def _learner(name="山田 花子", furigana="やまだ はなこ", **extra):
    return create_learner({"name": name, "furigana": furigana, **extra})


def _many(n: int):
    # Furigana in a known order, names distinct, so that a page shows who is where.
    return [_learner(name=f"受講者{i:02d}", furigana=f"{KANA[i]}やま") for i in range(n)]


def _page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _sheets(page: str) -> list[str]:
    return page.split('<section class="sheet"')[1:]


def _cards_in(html: str) -> int:
    return html.count('<article class="card"')


def _selection_url(learners) -> str:
    return "/cards/print?" + "&".join(f"learner={learner.id}" for learner in learners)


@pytest.fixture
def coordinator(make, client):
    user = make.user("coordinator")
    login(client, user)
    return user


def test_a_learners_card_shows_all_a_reader_needs(make, client, coordinator, read_qr_svg):
    hanako = _learner()
    page = _page(client, f"/learners/{hanako.id}/card")
    card = db.session.scalar(sa.select(Card).where(Card.learner_id == hanako.id))
    assert card is not None, "a card is issued when the learner had none"

    assert "<ruby>山田 花子<rp>(</rp><rt>やまだ はなこ</rt><rp>)</rp></ruby>" in page
    assert card.short_code in page
    assert "カード番号" in page
    assert "デジタル活用支援 スマホ教室 受講カード" in page
    assert "毎回この カードを お持ちください" in page
    assert "0120-000-000" in page
    assert "印刷する" in page
    assert "window.print()" in page
    assert "/static/css/print.css" in page
    assert 'class="site-header"' not in page
    # The token is only in the QR picture: never in a link, never as text.
    assert card.token not in page
    svgs = SVG.findall(page)
    assert len(svgs) == 1
    assert [code.text for code in read_qr_svg(svgs[0])] == [card.token]
    # One sheet, the card in its first place, the other nine places left blank.
    sheets = _sheets(page)
    assert len(sheets) == 1
    assert _cards_in(sheets[0]) == 1


def test_the_same_card_is_printed_again_until_it_is_reissued(make, client, coordinator):
    hanako = _learner()
    first = _page(client, f"/learners/{hanako.id}/card")
    code = cards.ensure_card(hanako).short_code
    assert code in _page(client, f"/learners/{hanako.id}/card")

    new = cards.issue_card(hanako)

    again = _page(client, f"/learners/{hanako.id}/card")
    assert new.short_code in again
    assert code not in again
    assert code in first


def test_the_help_number_comes_from_the_configuration(make, client, coordinator):
    client.application.config["HELP_PHONE"] = "011-222-3333"
    page = _page(client, f"/learners/{_learner().id}/card")
    assert "011-222-3333" in page
    assert "0120-000-000" not in page


def test_long_names_get_a_smaller_type_that_is_still_large(make, client, coordinator):
    short = _page(client, f"/learners/{_learner().id}/card")
    long = _page(
        client, f"/learners/{_learner(name='長谷川 左衛門三郎太郎', furigana='はせがわ').id}/card"
    )
    assert 'class="card-name"' in short
    assert 'class="card-name card-name-longer"' in long
    css = client.get("/static/css/print.css").get_data(as_text=True)
    sizes = {
        rule: float(re.search(rf"\.{rule} \{{[^}}]*?font-size: ([\d.]+)pt", css).group(1))
        for rule in ("card-name", "card-name-long", "card-name-longer", "card-code-value")
    }
    assert min(sizes[r] for r in ("card-name", "card-name-long", "card-name-longer")) >= 14
    assert sizes["card-code-value"] >= 12


def test_the_print_stylesheet_lays_out_a4_sheets_of_ten_business_cards(client):
    css = client.get("/static/css/print.css").get_data(as_text=True)
    first_page_rule = re.search(r"@page \{([^}]*)\}", css).group(1)
    assert "size: A4" in first_page_rule
    assert "margin: 0" in first_page_rule
    assert "grid-template-columns: repeat(2, 91mm)" in css
    assert "grid-template-rows: repeat(5, 55mm)" in css
    assert "padding: 11mm 14mm" in css
    qr_rule = re.search(r"\.card-qr svg \{([^}]*)\}", css).group(1)
    assert float(re.search(r"width: ([\d.]+)mm", qr_rule).group(1)) >= 22
    assert re.search(r"@media print \{.*\.no-print \{\s*display: none", css, re.S)


def test_twelve_learners_make_two_sheets_in_the_order_chosen(make, client, coordinator):
    learners = _many(12)
    chosen = list(reversed(learners))
    page = _page(client, _selection_url(chosen))
    sheets = _sheets(page)
    assert [_cards_in(sheet) for sheet in sheets] == [10, 2]
    names = re.findall(r"<ruby>(受講者\d\d)<rp>", page)
    assert names == [learner.name for learner in chosen]
    assert len(SVG.findall(page)) == 12
    assert "12人分" in page


def test_every_card_on_a_sheet_scans_as_its_own_learner(make, client, coordinator, read_qr_svg):
    learners = _many(3)
    page = _page(client, _selection_url(learners))
    tokens = [cards.ensure_card(learner).token for learner in learners]
    decoded = [[c.text for c in read_qr_svg(svg)] for svg in SVG.findall(page)]
    assert decoded == [[token] for token in tokens]


def test_a_selection_naming_nobody_or_an_unknown_learner_is_refused(make, client, coordinator):
    assert "印刷する受講者を選んでください。" in _page(client, "/cards/print", status=400)
    known = _learner()
    assert "9999" in _page(client, f"/cards/print?learner={known.id}&learner=9999", status=404)
    _page(client, "/cards/print?learner=abc", status=404)


def test_a_session_prints_the_cards_of_its_registered_learners(make, client, coordinator):
    session = make.session(capacity=2)
    for name, kana in (("鈴木 二郎", "すずき じろう"), ("青木 三郎", "あおき さぶろう")):
        register(session, _learner(name=name, furigana=kana), source="phone")
    waiting = _learner(name="待田 四郎", furigana="まちだ しろう")
    register(session, waiting, source="phone")
    other = _learner(name="他野 五郎", furigana="たの ごろう")
    register(make.session(), other, source="phone")

    page = _page(client, f"/sessions/{session.id}/cards")

    assert re.findall(r"<ruby>([^<]+)<rp>", page) == ["青木 三郎", "鈴木 二郎"]
    assert "待田" not in page
    assert "他野" not in page


def test_card_sheet_queries_do_not_grow_with_the_number_of_cards(make, client, coordinator):
    few, many = _many(3), _many(30)
    for learner in few + many:
        cards.ensure_card(learner)
    urls = [_selection_url(group) for group in (few, many)]
    counted = []

    def count(*_args):
        counted[-1] += 1

    with client.application.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for url in urls:
            counted.append(0)
            _page(client, url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert counted[0] == counted[1]


# ---------------------------------------------------------------- who may print cards


def test_partners_may_not_print_cards(make, client):
    org = make.org()
    partner = make.user("partner", org=org)
    session = make.session(partner_org=org.slug)
    hanako = _learner()
    register(session, hanako, source="partner")
    recorded = [(c.id, c.revoked_at) for c in hanako.cards]
    login(client, partner)
    for url in (
        f"/learners/{hanako.id}/card",
        f"/cards/print?learner={hanako.id}",
        f"/sessions/{session.id}/cards",
    ):
        _page(client, url, status=403)
    db.session.expire_all()
    assert [(c.id, c.revoked_at) for c in hanako.cards] == recorded


def test_instructors_print_the_cards_of_their_own_learners_only(make, client):
    teacher = make.user("instructor")
    theirs = make.session(instructor_ids=[teacher.id])
    elsewhere = make.session()
    mine, not_mine = _learner(), _learner(name="他人 太郎", furigana="たにん たろう")
    register(theirs, mine, source="phone")
    register(elsewhere, not_mine, source="phone")
    login(client, teacher)

    assert "山田 花子" in _page(client, f"/learners/{mine.id}/card")
    _page(client, f"/learners/{not_mine.id}/card", status=404)
    _page(client, f"/cards/print?learner={mine.id}", status=403)
    _page(client, f"/sessions/{theirs.id}/cards", status=403)


def test_a_session_nobody_may_see_is_not_found(make, client, coordinator):
    _page(client, "/sessions/9999/cards", status=404)
    _page(client, "/learners/9999/card", status=404)


def test_each_card_is_in_its_holders_language_whatever_the_printers(make, client, coordinator):
    client.post("/language", data={"lang": "en", "next": "/"})
    hanako = _learner()
    maria = _learner(name="Maria Silva", furigana="まりあ しるば", language="en")
    page = _page(client, _selection_url([hanako, maria]))
    assert '<html lang="en">' in page
    hanakos_card, marias_card = page.split('<article class="card"')[1:]
    assert hanakos_card.startswith(' lang="ja"')
    assert "デジタル活用支援 スマホ教室 受講カード" in hanakos_card
    assert marias_card.startswith(' lang="en"')
