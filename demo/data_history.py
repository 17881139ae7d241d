"""The demo city's past, as tables: how much of it (the scales), what is taught where and how
popular it is, who teaches at the demo's venues, the districts a city adds, and the calendar's
rhythm (slots, seasons, the shares of cancellations, drop-outs, walk-ins and attendance).

Plain data, read by the generators (demo.world, demo.planning, demo.learners, demo.history).
Tuning the past is changing a number here; the rules that keep it believable are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from app.scheduling.models import DeliveryType

# ---------------------------------------------------------------- scales


@dataclass(frozen=True)
class HistoryScale:
    """How much past to build. Counts are of what this builds, not of what was there."""

    name: str
    fiscal_years: int  # this 年度 and the ones before it
    learners: int
    sessions: int | None = None  # classes over the whole period; None: sessions_per_week
    sessions_per_week: tuple[int, int] = (12, 18)
    attendances: int | None = None  # attendance records; None: the class sizes halls see
    city: bool = False  # add districts, venues, partners and staff to hold that much


SCALES = {
    "demo": HistoryScale("demo", fiscal_years=1, learners=800),
    "city": HistoryScale(
        "city",
        fiscal_years=5,
        learners=60_000,
        sessions=20_000,
        attendances=500_000,
        city=True,
    ),
}


# ---------------------------------------------------------------- what is taught where

HALL_COURSES = {
    "smartphone-basics": 5.0,
    "line-basics": 4.0,
    "phone-camera-photos": 2.5,
    "internet-search-maps": 2.0,
    "smartphone-safety": 2.5,
    "disaster-apps": 1.5,
    "mynumber-card": 3.0,
    "mynaportal-online-procedures": 2.0,
    "cashless-payments": 1.5,
}
CITY_OWN_COURSES = {**HALL_COURSES, "smartphone-supporter-intro": 3.0}
SHOP_COURSES = {
    "line-basics": 3.0,
    "mynumber-card": 4.0,
    "smartphone-basics": 3.0,
    "cashless-payments": 1.5,
    "mynaportal-online-procedures": 1.0,
}
LEADER_COURSES = {"association-digital": 1.0, "online-meetings-scheduling": 1.0, "line-basics": 0.4}
# How many more (or fewer) people sign up than for an average class.
POPULARITY = {
    "mynumber-card": 1.3,
    "smartphone-basics": 1.25,
    "line-basics": 1.15,
    "mynaportal-online-procedures": 1.1,
    "association-digital": 0.85,
    "online-meetings-scheduling": 0.8,
    "smartphone-supporter-intro": 0.8,
}
POPULAR = 1.1  # from this popularity up, a full class gets a waitlist
# Planned classes of these courses are booked out with waitlists (マイナ保険証 far the
# longest, then first smartphones): the dashboard's "where to add sessions" has a clear
# answer. Both have about as many classes to come, so the waits per class (6.5 against 2 on
# average) keep マイナ保険証's total twice the next whatever the day the demo is made.
OVERSUBSCRIBED = {"mynumber-card": (5, 8), "smartphone-basics": (1, 3)}

NOTES: dict[str, str] = {
    DeliveryType.NATIONWIDE: "店頭での少人数講座(予約制)。",
    DeliveryType.DISPATCH: "ショップのない地区への講師派遣です。",
}
CANCEL_REASONS = [
    "台風接近のため中止しました。",
    "大雪のため中止しました。",
    "講師の体調不良のため中止しました。",
    "会場の設備点検のため中止しました。",
    "申込者が少ないため中止し、翌月に振り替えました。",
    "感染症の拡大防止のため中止しました。",
]


@dataclass(frozen=True)
class Team:
    """Who runs a kind of class at a venue."""

    partner: str | None  # the partner organization's slug; None: the city's own class
    staff: tuple[str, ...]  # organizations whose staff teach: instructors from the first
    delivery: str
    courses: dict[str, float]
    weight: float = 1.0
    public: bool = True


# The demo's six venues: (classes a week, relatively; who teaches there).
DEMO_PLACES: dict[str, tuple[float, list[Team]]] = {
    "chuo-kominkan": (
        3.0,
        [Team("npo-tsunagu", ("npo-tsunagu",), DeliveryType.REGIONAL, HALL_COURSES)],
    ),
    "chuo-library": (
        1.5,
        [Team(None, ("npo-tsunagu",), DeliveryType.INDEPENDENT, CITY_OWN_COURSES)],
    ),
    "ekimae-shop-counter": (
        3.5,
        [Team("carrier-ekimae", ("carrier-ekimae",), DeliveryType.NATIONWIDE, SHOP_COURSES)],
    ),
    "midorigaoka-center": (
        2.0,
        [
            Team(
                "npo-egao-digital", ("npo-egao-digital",), DeliveryType.REGIONAL, HALL_COURSES, 0.6
            ),
            Team(
                "jichikai-midorigaoka",
                ("npo-egao-digital",),
                DeliveryType.INDEPENDENT,
                LEADER_COURSES,
                0.4,
                public=False,
            ),
        ],
    ),
    "konan-community-center": (
        2.5,
        [Team("npo-egao-digital", ("npo-egao-digital",), DeliveryType.REGIONAL, HALL_COURSES)],
    ),
    "hokubu-kominkan": (
        1.5,
        [Team("npo-egao-digital", ("npo-egao-digital",), DeliveryType.DISPATCH, HALL_COURSES)],
    ),
}

# ---------------------------------------------------------------- the city at scale

# (district, slug stem, name stem, home NPO, has a carrier shop, has an association)
CITY_DISTRICTS = [
    ("東部地区", "higashi", "東", "npo-silver-net", True, True),
    ("西部地区", "nishi", "西", "npo-sumaho-sapo", True, False),
    ("南部地区", "minami", "南", "npo-hibiki", False, True),
    ("桜台地区", "sakuradai", "桜台", "npo-ayumi", True, False),
    ("若葉台地区", "wakabadai", "若葉台", "npo-tsunagu", True, True),
    ("川辺地区", "kawabe", "川辺", "npo-egao-digital", False, False),
    ("山手地区", "yamate", "山手", "npo-silver-net", True, True),
    ("新町地区", "shinmachi", "新町", "npo-sumaho-sapo", True, False),
]
CITY_NPOS = {
    "npo-silver-net": ("NPO法人シルバーネット若葉", "石井 恵子"),
    "npo-sumaho-sapo": ("NPO法人スマホサポートわかば", "岡田 健一"),
    "npo-hibiki": ("NPO法人ひびき", "前田 直美"),
    "npo-ayumi": ("NPO法人あゆみ", "藤井 大輔"),
}
# The demo's districts get a large hall each, so that every district has two to four venues.
DEMO_DISTRICT_HALLS = [
    ("中央地区", "chuo-shimin-kaikan", "若葉市民会館 大会議室", "若葉市本町1-1-1", 60, "npo-tsunagu"),
    ("緑が丘地区", "midorigaoka-kominkan", "緑が丘公民館 ホール", "若葉市緑が丘2-3-1", 48, "npo-egao-digital"),
    ("港南地区", "konan-kominkan", "港南公民館 大ホール", "若葉市港南1-4-2", 56, "npo-egao-digital"),
    ("北部地区", "hokubu-center", "北部地域センター 多目的ホール", "若葉市北山町3-2-8", 44, "npo-egao-digital"),
]  # fmt: skip
STAFF_PER_NPO = 26
STAFF_PER_SHOP = 4
DIGITAL_PROMOTERS = 24  # デジタル推進委員 under the city hall: they assist
CITY_WEIGHTS = {"hall": 3.0, "center": 2.5, "library": 1.5, "shop": 1.2, "demo": 0.4}

# ---------------------------------------------------------------- the calendar

SLOT_STARTS = (time(9, 30), time(13, 0), time(15, 30))
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5)  # Monday to Saturday; no classes on Sunday
SEASON = {4: 0.8, 5: 1.0, 6: 1.1, 7: 1.0, 8: 0.6, 9: 1.0, 10: 1.15, 11: 1.15, 12: 0.8, 1: 0.8, 2: 1.1, 3: 0.9}  # fmt: skip
CANCELLED_SHARE = 0.03
DROPOUT_SHARE = 0.06  # sign-ups cancelled before the day
WALK_IN_SHARE = 0.04
# Of the registered on a held class: present, late, excused, absent on record; the rest never
# came and nobody recorded anything (absent all the same).
ATTENDANCE_ODDS = (0.80, 0.08, 0.05, 0.03)
ROW_RATE = sum(ATTENDANCE_ODDS)  # attendance records per registered seat
SKILLS_MARKED = 0.82  # present learners whose instructor ticked skills
