"""Reading what people say on the phone: phone numbers, birth years in 和暦, furigana.

Each parser takes the text as typed (full-width digits, half-width kana, stray spaces) and
returns the stored form, or raises ValueError with a message a coordinator can act on.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import gettext as _

from app.text import clean
from app.timeutil import japan_today

# Hyphen-like characters people and IMEs produce in phone numbers.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ーｰ－", "-"))
_PHONE_CHARS = re.compile(r"^[0-9()\-+ ]+$")


def phone_digits(text: str | None) -> str:
    return re.sub(r"\D", "", clean(text).translate(_DASHES))


def normalize_phone(text: str | None) -> str | None:
    """A Japanese phone number as text, leading zero kept: '０９０ー１２３４ー５６７８' → '090-1234-5678'.

    Hyphens are kept where the person put them (they carry the area code split); a number
    typed without them is stored as its digits.
    """
    value = clean(text).translate(_DASHES).replace("(", "-").replace(")", "-")
    if not value:
        return None
    # A plus sign only makes sense as the country code in front.
    if not _PHONE_CHARS.match(value) or "+" in value[1:]:
        raise ValueError(_("電話番号は数字とハイフンで入力してください(例: 090-1234-5678)。"))
    if value.startswith("+81"):
        rest = value[3:].lstrip(" -")
        if rest.startswith("0"):  # "+81 (0)90-...": the trunk zero written out in brackets
            rest = rest[1:].lstrip(" -")
        value = "0" + rest
    digits = re.sub(r"\D", "", value)
    if not digits.startswith("0"):
        raise ValueError(_("電話番号は0から始まる番号を入力してください(例: 090-1234-5678)。"))
    if digits.startswith(("090", "080", "070", "050")) and len(digits) != 11:
        raise ValueError(_("携帯電話の番号は11桁です(例: 090-1234-5678)。"))
    if len(digits) not in (10, 11):
        raise ValueError(
            _("電話番号は市外局番から10桁か11桁で入力してください(例: 0422-12-3456)。")
        )
    parts = [p for p in re.split(r"[\- ]+", value) if p]
    # A Japanese number has at most three groups; more hyphens than that are noise.
    return "-".join(parts) if 1 < len(parts) <= 3 else digits


# Era name → the Gregorian year of its first year (元年).
_ERAS = {
    "明治": 1868,
    "大正": 1912,
    "昭和": 1926,
    "平成": 1989,
    "令和": 2019,
}
_ERA_ALIASES = {
    "M": "明治",
    "T": "大正",
    "S": "昭和",
    "H": "平成",
    "R": "令和",
    "明": "明治",
    "大": "大正",
    "昭": "昭和",
    "平": "平成",
    "令": "令和",
}
# The last year of each era, so that 昭和70年 (which never was) is refused.
_ERA_LAST = {"明治": 45, "大正": 15, "昭和": 64, "平成": 31}
_WAREKI = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR明大昭平令])\s*\.?\s*(元|\d{1,2})\s*年?(生まれ)?$",
    re.IGNORECASE,
)
_SEIREKI = re.compile(r"^(\d{4})\s*年?(生まれ)?$")
# Learners are people alive today; a fixed floor keeps the rule easy to say on the phone.
EARLIEST_BIRTH_YEAR = 1900


def parse_birth_year(text: str | None, today: date | None = None) -> int | None:
    """'1948', '１９４８年', '昭和23年', '昭和23', 'S23', '昭23', '平成元年' → a Gregorian year."""
    value = clean(text).replace(" ", "")
    if not value:
        return None
    today = today or japan_today()
    year = None
    if match := _SEIREKI.match(value):
        year = int(match.group(1))
    elif match := _WAREKI.match(value):
        era = match.group(1)
        era = _ERA_ALIASES.get(era.upper(), _ERA_ALIASES.get(era, era))
        number = 1 if match.group(2) == "元" else int(match.group(2))
        if number < 1 or number > _ERA_LAST.get(era, 99):
            raise ValueError(
                _("%(era)s%(n)d年はありません。生まれ年を確かめてください。", era=era, n=number)
            )
        year = _ERAS[era] + number - 1
    else:
        raise ValueError(
            _("生まれ年は 1948 か 昭和23年 のように入力してください(S23、昭23 も使えます)。")
        )
    if year > today.year or year < EARLIEST_BIRTH_YEAR:
        raise ValueError(
            _(
                "生まれ年 %(year)d は範囲外です。%(first)d年から%(last)d年までで入力してください。",
                year=year,
                first=EARLIEST_BIRTH_YEAR,
                last=today.year,
            )
        )
    return year


_KATAKANA_START, _KATAKANA_END = ord("ァ"), ord("ヶ")
_OFFSET = ord("ァ") - ord("ぁ")


def to_hiragana(text: str) -> str:
    return "".join(
        chr(ord(ch) - _OFFSET) if _KATAKANA_START <= ord(ch) <= _KATAKANA_END else ch for ch in text
    )


def furigana_key(text: str | None) -> str:
    """The form furigana are compared in: NFKC, hiragana, no spaces or middle dots."""
    value = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s・･\u3000]", "", to_hiragana(value)).lower()


_KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u309d\u309e\u30fd\u30fe ・]+$")


FURIGANA_MAX = 100  # the column's width


def check_furigana(text: str | None) -> str:
    value = clean(text)
    if not value:
        raise ValueError(_("ふりがなを入力してください。"))
    if len(value) > FURIGANA_MAX:
        raise ValueError(_("ふりがなは%(n)d文字以内で入力してください。", n=FURIGANA_MAX))
    if not _KANA.match(value):
        raise ValueError(_("ふりがなは ひらがな か カタカナ で入力してください。"))
    return value


# ---------------------------------------------------------------- romaji readings

# Hepburn (and the common kunrei and wāpuro spellings), longest first when read. A reading
# typed on the English page ("Tanaka Michiko") becomes the kana staff search by.
_ROMAJI_VOWELS = {"a": "あ", "i": "い", "u": "う", "e": "え", "o": "お"}
_ROMAJI_ROWS = {
    "k": "かきくけこ", "g": "がぎぐげご", "s": "さしすせそ", "z": "ざじずぜぞ",
    "t": "たちつてと", "d": "だぢづでど", "n": "なにぬねの", "h": "はひふへほ",
    "b": "ばびぶべぼ", "p": "ぱぴぷぺぽ", "m": "まみむめも", "r": "らりるれろ",
}  # fmt: skip
_ROMAJI_YOON = {
    "ky": "き", "gy": "ぎ", "sh": "し", "sy": "し", "j": "じ", "zy": "じ", "jy": "じ",
    "ch": "ち", "ty": "ち", "cy": "ち", "dy": "ぢ", "ny": "に", "hy": "ひ", "by": "び",
    "py": "ぴ", "my": "み", "ry": "り",
}  # fmt: skip
_SMALL = {"a": "ゃ", "u": "ゅ", "o": "ょ", "e": "ぇ"}


def _romaji_table() -> dict[str, str]:
    table = dict(_ROMAJI_VOWELS)
    for consonant, kana in _ROMAJI_ROWS.items():
        table.update({consonant + v: k for v, k in zip("aiueo", kana, strict=True)})
    for start, kana in _ROMAJI_YOON.items():
        table.update({start + v: kana + small for v, small in _SMALL.items()})
        table[start + "i"] = kana
    table.update(
        {
            "shi": "し", "chi": "ち", "tsu": "つ", "fu": "ふ", "ji": "じ", "ya": "や",
            "yu": "ゆ", "yo": "よ", "wa": "わ", "wo": "を", "fa": "ふぁ", "fi": "ふぃ",
            "fe": "ふぇ", "fo": "ふぉ", "si": "し", "ti": "ち", "tu": "つ", "hu": "ふ",
            "zi": "じ", "di": "ぢ", "du": "づ", "n'": "ん", "nn": "ん",
        }
    )  # fmt: skip
    return table


_ROMAJI = _romaji_table()
_ROMAJI_LONGEST = max(len(key) for key in _ROMAJI)
_MACRONS = str.maketrans({"ā": "aa", "ī": "ii", "ū": "uu", "ē": "ee", "ō": "ou", "â": "aa",
                          "î": "ii", "û": "uu", "ê": "ee", "ô": "ou"})  # fmt: skip
_ROMAJI_TEXT = re.compile(r"^[a-z' \-]+$")


def romaji_to_hiragana(text: str | None) -> str | None:
    """'Tanaka Michiko' → 'たなか みちこ'; None when the text is not romaji throughout."""
    typed = clean(text).lower().translate(_MACRONS)
    if not typed or not _ROMAJI_TEXT.match(typed):
        return None
    out, i = [], 0
    while i < len(typed):
        ch = typed[i]
        if ch in " -":
            out.append(" ")
            i += 1
            continue
        nxt = typed[i + 1] if i + 1 < len(typed) else ""
        if ch == nxt and ch not in "aiueon'":  # a doubled consonant: "kk" → っk
            out.append("っ")
            i += 1
            continue
        if ch == "t" and typed.startswith("tch", i):  # "matcha" → まっちゃ
            out.append("っ")
            i += 1
            continue
        if ch == "n" and nxt != "'" and (not nxt or nxt not in "aiueoy"):
            out.append("ん")  # "n" before a consonant or at the end
            i += 2 if nxt == "n" and typed[i + 2 : i + 3] not in tuple("aiueoy") else 1
            continue
        for size in range(_ROMAJI_LONGEST, 0, -1):
            if (kana := _ROMAJI.get(typed[i : i + size])) is not None:
                out.append(kana)
                i += size
                break
        else:
            return None
    return re.sub(r" +", " ", "".join(out)).strip()
