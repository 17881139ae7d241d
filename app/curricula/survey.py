"""The survey after class (アンケート) of a course version: its file's [[survey]], or the default.

The default asks what the program reports on (app.surveys.results reads these ids): how
satisfied the learner is, whether there is someone to ask when stuck, what to learn next, and
comments. A course file that defines its own survey keeps those figures by using the same ids
(`satisfaction` as a scale, `someone-to-ask` as yes/no).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.curricula.models import CourseVersion, QuestionKind, in_locale

SATISFACTION = "satisfaction"
SOMEONE_TO_ASK = "someone-to-ask"
SCALE = range(1, 6)  # 1 = not at all … 5 = very much, as the paper prints it

# やさしい日本語: short sentences, spaces between phrases, kanji a senior reads at a glance.
DEFAULT_SURVEY: list[dict[str, Any]] = [
    {
        "id": SATISFACTION,
        "kind": QuestionKind.SCALE.value,
        "ja": "きょうの 教室は どうでしたか。",
        "en": "How was today's class?",
        "choices": [],
    },
    {
        "id": SOMEONE_TO_ASK,
        "kind": QuestionKind.YES_NO.value,
        "ja": "スマホで こまったとき、聞ける 人が いますか。",
        "en": "Is there someone you can ask when you are stuck with your phone?",
        "choices": [],
    },
    {
        "id": "learn-next",
        "kind": QuestionKind.CHOICE.value,
        "ja": "つぎに 何を 習いたいですか。ひとつ えらんで ください。",
        "en": "What would you like to learn next? Choose one.",
        "choices": [
            {"ja": "LINE(ライン)", "en": "LINE"},
            {"ja": "写真・カメラ", "en": "Photos and the camera"},
            {"ja": "インターネット・地図", "en": "The internet and maps"},
            {"ja": "マイナンバーカード", "en": "The My Number Card"},
            {"ja": "キャッシュレス決済", "en": "Cashless payments"},
            {"ja": "防災アプリ", "en": "Disaster-preparedness apps"},
        ],
    },
    {
        "id": "comments",
        "kind": QuestionKind.TEXT.value,
        "ja": "ご意見・ご感想を 自由に 書いて ください。",
        "en": "Any comments? Write freely.",
        "choices": [],
    },
]


@dataclass(frozen=True)
class Choice:
    number: int  # from 1, as printed and typed
    ja: str
    en: str

    @property
    def label(self) -> str:
        return in_locale(self.ja, self.en)


@dataclass(frozen=True)
class Question:
    number: int  # from 1, as printed
    id: str
    kind: str
    ja: str
    en: str
    choices: tuple[Choice, ...] = ()

    @property
    def text(self) -> str:
        return in_locale(self.ja, self.en)


def questions(stored: list[dict[str, Any]] | None) -> list[Question]:
    """The questions of a stored survey (CourseVersion.survey); None gives the default's."""
    return [
        Question(
            number=n,
            id=q["id"],
            kind=q["kind"],
            ja=q["ja"],
            en=q["en"],
            choices=tuple(
                Choice(i, c["ja"], c["en"]) for i, c in enumerate(q.get("choices") or [], start=1)
            ),
        )
        for n, q in enumerate(stored or DEFAULT_SURVEY, start=1)
    ]


def survey_of(version: CourseVersion) -> list[Question]:
    return questions(version.survey)
