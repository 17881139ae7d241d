"""Reading what people say on the phone: phone numbers, birth years in 和暦, furigana.

Examples first (each a case a coordinator meets), then properties checked by hypothesis over
every year, every phone number shape and every kana form.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.parsing import (
    check_furigana,
    furigana_key,
    normalize_phone,
    parse_birth_year,
    phone_digits,
    romaji_to_hiragana,
)
from app.timeutil import japan_today

TODAY = date(2026, 11, 26)
THIS_YEAR = japan_today().year
FULL_WIDTH = str.maketrans("0123456789MTSHR+-", "０１２３４５６７８９ＭＴＳＨＲ＋－")


def refusal(parse, text, **kwargs) -> str:
    with pytest.raises(ValueError) as caught:  # noqa: PT011 (the callers check the message)
        parse(text, **kwargs)
    return str(caught.value)


# ---------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("090-1234-5678", "090-1234-5678"),
        ("０９０－１２３４－５６７８", "090-1234-5678"),  # full-width digits and hyphen-minus
        ("０９０ー１２３４ー５６７８", "090-1234-5678"),  # 全角ハイフン as typed by an IME: ー
        ("090ｰ1234ｰ5678", "090-1234-5678"),  # half-width ｰ
        ("090‐1234−5678", "090-1234-5678"),  # hyphen and minus sign
        ("09012345678", "09012345678"),  # no hyphens: the digits, leading zero kept
        ("0422-12-3456", "0422-12-3456"),  # the area-code split is kept as typed
        ("0422123456", "0422123456"),
        ("(03)1234-5678", "03-1234-5678"),
        ("03(1234)5678", "03-1234-5678"),
        ("090 1234 5678", "090-1234-5678"),
        ("  090-1234-5678  ", "090-1234-5678"),
        ("+81 90-1234-5678", "090-1234-5678"),
        ("+81-3-1234-5678", "03-1234-5678"),
        ("+81 (0)90-1234-5678", "090-1234-5678"),
        ("＋８１９０１２３４５６７８", "09012345678"),
        ("0120-123-456", "0120-123-456"),  # toll-free, 10 digits
        ("050-1234-5678", "050-1234-5678"),
        ("0-9-0-1-2-3-4-5-6-7-8", "09012345678"),  # more groups than a number has: digits
        ("", None),
        (None, None),
        ("　", None),
    ],
)
def test_phone_numbers_are_stored_as_text_with_the_leading_zero(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("090-1234-567", "携帯電話の番号は11桁です"),
        ("０８０ー１２３４ー５６７", "携帯電話の番号は11桁です"),
        ("070-1234-56789", "携帯電話の番号は11桁です"),
        ("03-1234-567", "10桁か11桁"),
        ("0422-12-34567-8", "10桁か11桁"),
        ("90-1234-5678", "0から始まる番号"),
        ("+1 555 123 4567", "0から始まる番号"),
        ("090-1234-abcd", "数字とハイフン"),
        ("でんわ", "数字とハイフン"),
        ("090+1234+5678", "数字とハイフン"),
    ],
)
def test_a_phone_number_that_cannot_be_is_refused_with_what_is_expected(typed, says):
    message = refusal(normalize_phone, typed)
    assert says in message
    assert "例:" in message  # every refusal shows the expected shape


def test_phone_digits_ignore_every_kind_of_hyphen():
    assert phone_digits("０９０ー１２３４－５６７８") == "09012345678"
    assert phone_digits(None) == ""


# ---------------------------------------------------------------- birth years


@pytest.mark.parametrize(
    ("typed", "year"),
    [
        ("1948", 1948),
        ("１９４８", 1948),
        ("1948年", 1948),
        ("１９４８年生まれ", 1948),
        ("昭和23年", 1948),
        ("昭和23", 1948),
        ("昭和２３年", 1948),
        ("昭和 23 年", 1948),
        ("S23", 1948),
        ("s23", 1948),
        ("Ｓ２３", 1948),
        ("S.23", 1948),
        ("昭23", 1948),
        ("㍼23年", 1948),  # the one-character era sign some IMEs offer
        ("昭和元年", 1926),
        ("大正15年", 1926),
        ("明治45年", 1912),
        ("大正元年", 1912),
        ("T5", 1916),
        ("昭和64年", 1989),
        ("平成元年", 1989),
        ("平成元", 1989),
        ("H1", 1989),
        ("平成31年", 2019),
        ("令和元年", 2019),
        ("令和2年", 2020),
        ("R2", 2020),
        ("令和８年", 2026),
        ("1900", 1900),
        ("明治33年", 1900),
        ("", None),
        (None, None),
    ],
)
def test_birth_years_in_seireki_and_wareki(typed, year):
    assert parse_birth_year(typed, today=TODAY) == year


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("昭和70年", "昭和70年はありません"),  # Shōwa ended in its 64th year
        ("S70", "昭和70年はありません"),
        ("平成32年", "平成32年はありません"),
        ("大正16年", "大正16年はありません"),
        ("昭和0年", "昭和0年はありません"),
        ("2027", "範囲外"),  # a birth year still ahead
        ("令和9年", "範囲外"),
        ("令和30年", "範囲外"),
        ("1899", "範囲外"),
        ("明治20年", "範囲外"),
        ("48", "昭和23年 のように"),  # two digits could be any era
        ("昭和", "昭和23年 のように"),
        ("せんきゅうひゃく", "昭和23年 のように"),
        ("X23", "昭和23年 のように"),
    ],
)
def test_an_impossible_birth_year_is_refused_with_a_reason(typed, says):
    assert says in refusal(parse_birth_year, typed, today=TODAY)


def test_the_range_message_names_the_years_accepted():
    message = refusal(parse_birth_year, "2030", today=TODAY)
    assert "1900" in message
    assert "2026" in message


# ---------------------------------------------------------------- every year, every form

# The eras as the test knows them: name, letter, one-kanji short form, first and last year.
ERAS = [
    ("明治", "M", "明", 1868, 1912),
    ("大正", "T", "大", 1912, 1926),
    ("昭和", "S", "昭", 1926, 1989),
    ("平成", "H", "平", 1989, 2019),
    ("令和", "R", "令", 2019, 9999),
]


def seireki_forms(year: int) -> list[str]:
    return [f"{year}", f"{year}年", f"{year}年生まれ"]


def wareki_forms(year: int) -> list[str]:
    """Every way a person may say the year in an era, in each era the year belongs to."""
    forms = []
    for name, letter, short, first, last in ERAS:
        if not first <= year <= last:
            continue
        n = year - first + 1
        forms += [f"{name}{n}年", f"{name}{n}", f"{letter}{n}", f"{letter.lower()}{n}"]
        forms += [f"{short}{n}", f"{short}{n}年", f"{name}{n}年生まれ"]
        if n == 1:
            forms += [f"{name}元年", f"{name}元"]
    return forms


def test_every_year_since_1900_reads_back_in_every_form():
    wrong = []
    for year in range(1900, THIS_YEAR + 1):
        eras = wareki_forms(year)
        assert eras, year
        wrong.extend(
            typed
            for text in seireki_forms(year) + eras
            for typed in (text, text.translate(FULL_WIDTH))
            if parse_birth_year(typed) != year
        )
    assert wrong == []


@given(year=st.integers(min_value=1900, max_value=THIS_YEAR), data=st.data())
def test_a_year_written_any_accepted_way_parses_back_to_itself(year, data):
    text = data.draw(st.sampled_from(seireki_forms(year) + wareki_forms(year)), label="form")
    # Full-width digit by digit, as a phone keyboard may mix them.
    typed = "".join(c.translate(FULL_WIDTH) if data.draw(st.booleans()) else c for c in text)
    assert parse_birth_year(typed) == year


# ---------------------------------------------------------------- phone numbers, all shapes

MOBILE_PREFIXES = ("090", "080", "070", "050")
DASHES = ["-", "－", "ー", "ｰ", "‐", "−", " "]


@st.composite
def valid_phone_numbers(draw) -> str:
    length = draw(st.sampled_from([10, 11]))
    digits = "0" + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=length - 1, max_size=length - 1))
    )
    if length == 10 and digits.startswith(MOBILE_PREFIXES):
        digits = "03" + digits[2:]  # a 10-digit number is a landline
    return digits


@given(digits=valid_phone_numbers(), data=st.data())
def test_any_valid_number_parses_to_its_digits_whatever_hyphens_and_widths(digits, data):
    typed = ""
    for position, digit in enumerate(digits):
        if position and data.draw(st.booleans(), label=f"dash before {position}"):
            typed += data.draw(st.sampled_from(DASHES))
        typed += digit.translate(FULL_WIDTH) if data.draw(st.booleans()) else digit
    stored = normalize_phone(typed)
    assert stored.startswith("0")
    assert phone_digits(stored) == digits
    assert len(stored) <= 20  # fits the column, however many hyphens were typed


# ---------------------------------------------------------------- furigana in every kana form


def _half_width_katakana() -> dict[str, str]:
    """Full-width katakana → its half-width spelling (ガ → ｶﾞ), from Unicode's own tables."""
    table = {}
    for code in range(0xFF66, 0xFF9E):
        half = chr(code)
        full = unicodedata.normalize("NFKC", half)
        table.setdefault(full, half)
        for mark in "ﾞﾟ":
            combined = unicodedata.normalize("NFKC", half + mark)
            if len(combined) == 1:
                table.setdefault(combined, half + mark)
    return table


HALF = _half_width_katakana()
# Hiragana with a katakana and a half-width katakana form (ゐ, ゑ, ゎ have no half-width form).
READING_CHARS = sorted(
    chr(ord(k) - 0x60) for k in HALF if "ァ" <= k <= "ヶ" and chr(ord(k) - 0x60).isalpha()
) + ["ー"]


def katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def half_width(text: str) -> str:
    return "".join(HALF.get(c, c) for c in katakana(text))


@given(
    family=st.text(alphabet=READING_CHARS, min_size=1, max_size=8),
    given_name=st.text(alphabet=READING_CHARS, min_size=1, max_size=8),
)
@example(family="やまだ", given_name="はなこ")
@example(family="ゔぃえと", given_name="ぱぴぷ")
def test_furigana_key_is_the_same_for_hiragana_katakana_and_half_width(family, given_name):
    hiragana = f"{family} {given_name}"
    forms = [hiragana, katakana(hiragana), half_width(hiragana), family + "　" + given_name]
    keys = {furigana_key(form) for form in forms}
    assert keys == {furigana_key(family + given_name)}
    for form in forms:
        assert check_furigana(form)  # every form is accepted as furigana


def test_furigana_examples():
    assert furigana_key("ヤマダ ハナコ") == furigana_key("やまだはなこ") == "やまだはなこ"
    assert furigana_key("ﾔﾏﾀﾞ ﾊﾅｺ") == "やまだはなこ"
    assert furigana_key("スズキ・イチロー") == "すずきいちろー"
    assert "ふりがなを入力" in refusal(check_furigana, "  ")
    assert "ひらがな か カタカナ" in refusal(check_furigana, "山田")
    assert "ひらがな か カタカナ" in refusal(check_furigana, "yamada")
    assert "100文字以内" in refusal(check_furigana, "あ" * 101)


@pytest.mark.parametrize(
    ("typed", "kana"),
    [
        ("Tanaka Michiko", "たなか みちこ"),
        ("Satō Kenji", "さとう けんじ"),
        ("Ken'ichi", "けんいち"),
        ("Shinnosuke", "しんのすけ"),
        ("Hattori", "はっとり"),
        ("Kyōko", "きょうこ"),
        ("Tsuyoshi", "つよし"),
        ("Honda Junko", "ほんだ じゅんこ"),
    ],
)
def test_a_romaji_reading_becomes_hiragana(typed, kana):
    assert romaji_to_hiragana(typed) == kana


@pytest.mark.parametrize("typed", ["田中", "たなか", "xyz", "", "Tanaka3"])
def test_what_is_not_romaji_is_not_read_as_romaji(typed):
    assert romaji_to_hiragana(typed) is None
