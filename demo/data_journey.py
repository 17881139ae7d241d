"""What the learner's way through the program is made of in the demo city (demo.journey): the
day-before calls, the family contacts, the survey answers and the courses completed.

Plain data, drawn from by demo.journey with its own seeded random generator.
"""

from __future__ import annotations

from app.scheduling.models import DeliveryType
from demo.data_city import BRING_PHONE, Slot

JOURNEY_SEED = 16

# Tomorrow (Japan time) has a class to call for: the biggest one planned that day, if it seats
# at least this many, else one of TOMORROW_SLOTS is added (the first with nobody booked twice).
TOMORROW_MIN_CAPACITY = 6
TOMORROW_COURSE = "smartphone-basics"
TOMORROW_SLOTS = (
    Slot(
        weekday=0,  # (the day is tomorrow's, whatever its weekday)
        start="10:00",
        venue="chuo-library",
        capacity=8,
        delivery=DeliveryType.REGIONAL,
        partner="npo-tsunagu",
        instructors=("kobayashi",),
        notes="前日にお電話で確認します。" + BRING_PHONE,
    ),
    Slot(
        weekday=0,
        start="13:30",
        venue="konan-community-center",
        capacity=8,
        delivery=DeliveryType.REGIONAL,
        partner="npo-egao-digital",
        instructors=("yoshida",),
        notes="前日にお電話で確認します。" + BRING_PHONE,
    ),
)
TOMORROW_WAITLIST = 3  # people waiting for a seat in tomorrow's full class
# Calls already made for tomorrow's class by the time the demo opens (the rest are to make).
TOMORROW_CALLS = ("attending", "no_answer", "message_left", "attending")

# The past's calls: the held classes of the last weeks before this one (the city began
# calling in the autumn). Odds of each last outcome, for those who came and those who did
# not; what is left over is "never reached" by a call at all.
CALL_WEEKS = 8
CALL_ODDS_CAME = {"attending": 0.72, "message_left": 0.1, "no_answer": 0.05}
CALL_ODDS_NOT_CAME = {"attending": 0.3, "message_left": 0.2, "no_answer": 0.22}
SECOND_TRY = 0.4  # a 参加 that came after a 不在 the same day
# A cancellation of the last two days was mostly said on the day-before call (欠席).
CANCELLED_BY_CALL = 0.7
CALL_NOTES = (
    "娘さんが電話に出られました。",
    "午後なら家にいるとのこと。",
    "貸出機を希望。",
    "補聴器をお使い。大きな声で。",
)
CANCEL_NOTES = (
    "体調がすぐれないため欠席。",
    "通院の日と重なった。",
    "次の回に申し込みたいとのこと。",
)

# Family contacts: this many learners with a class coming have one kept; of those, these
# shares gave consent with an e-mail (the reminder two days before), with a phone only, or none.
FAMILIES = 50
FAMILY_CONSENT_EMAIL = 0.55
FAMILY_CONSENT_PHONE = 0.2
FAMILY_RELATIONS = ("長女", "長男", "次女", "次男", "娘", "息子", "妻", "夫", "孫", "姪")
FAMILY_GIVEN = (
    "恵子", "由美子", "真理子", "直美", "久美子", "浩", "健一", "誠", "大輔", "拓也",
)  # fmt: skip
TOMORROW_FAMILIES = 3  # of tomorrow's class: two with consent and e-mail, one without consent

# Surveys: the held classes of the last weeks before this one have answers (this week's papers
# are still to be typed in). Of those who came, a share returned the paper, a few answered on
# a phone through the sheet's QR; some paper rows give no sheet number.
SURVEY_WEEKS = 8
PAPER_SHARE = 0.68
PHONE_SHARE = 0.1
NUMBERED_SHARE = 0.8
NAMED_SHARE = 0.12
# How satisfied, by course (the mean the answers lean to; 5 = very much): most courses please,
# the procedures (マイナポータル, e-Tax) less so; unknown courses get the default.
SATISFACTION = {
    "smartphone-basics": 4.6,
    "phone-camera-photos": 4.5,
    "line-basics": 4.4,
    "internet-search-maps": 4.2,
    "smartphone-safety": 4.1,
    "disaster-apps": 4.3,
    "mynumber-card": 3.7,
    "mynaportal-online-procedures": 3.3,
    "cashless-payments": 3.9,
    "association-digital": 4.0,
    "online-meetings-scheduling": 3.6,
    "smartphone-supporter-intro": 4.4,
}
SATISFACTION_DEFAULT = 4.0
SOMEONE_TO_ASK = 0.62  # answers yes: there is someone to ask when stuck
COMMENT_SHARE = 0.3
COMMENTS = (
    "ゆっくり教えてもらえて、よくわかりました。",
    "字が大きい資料で助かりました。",
    "もう少し時間がほしかったです。",
    "家で復習したいので、資料がほしいです。",
    "先生がやさしくて安心しました。",
    "次の講座も来たいです。",
    "説明が少し早かったです。",
    "隣の人と教え合えて楽しかった。",
)
# What only some courses' learners write.
COURSE_COMMENTS = {
    "mynaportal-online-procedures": (
        "マイナポータルは難しかったです。",
        "家でもう一度やってみます。",
    ),
    "mynumber-card": ("暗証番号の大切さがわかりました。", "保険証の登録ができて安心しました。"),
    "line-basics": ("孫に写真を送れました。",),
    "smartphone-basics": ("文字の入力がまだ難しいです。", "電源の切り方がやっとわかりました。"),
}

# Completions over two classes: learners of an earlier スマホ基本 class who reached only its
# first skills, came back to the latest one and reached the rest.
COMPLETION_COURSE = "smartphone-basics"
COMPLETERS = 3
FIRST_CLASS_SKILLS = 4  # of the course's skills, reached in the first class
