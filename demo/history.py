"""Past activity for the demo city: learners, the classes already held, sign-ups, attendance.

The reports need a past to report on. `build_history("demo")` adds this 年度 so far to the
demo city (若葉市) — about fifteen classes a week at its six venues, 800 learners — and
sign-ups for its planned classes, with one or two courses clearly over-subscribed.
`build_history("city")` builds a city of 700,000 over five 年度 instead: twelve districts,
about 20,000 classes, 60,000 learners and 500,000 attendance records.

The rows are written with bulk INSERTs in chunks, not through the services: the services
write a row at a time, and a city is a few million rows. So this module keeps, itself, the
rules the services and the schema keep: no venue, instructor or assistant in two classes at
once (the venue's setup time included); a learner at most once per class; attendance only on
classes held, one per registration, for its session and learner; a skill reached once per
learner; capacity within the venue's; waitlists only on full classes; each learner an active
card with a unique short code. Ids are given explicitly (PostgreSQL's sequences are moved
past them at the end) so that no row has to be read back.

Deterministic: one `random.Random(seed)` makes every choice. Only card tokens and short codes
come from the card module's own generators (`secrets`): they open a learner's record and must
never be predictable, demo or not.
"""

from __future__ import annotations

import math
import random
import secrets
import time as stopwatch
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from app.auth.models import Role, User
from app.checkin.models import Attendance, AttendanceStatus, CheckinMethod, SkillReached
from app.curricula.models import Course, CourseVersion, Skill
from app.errors import ServiceError
from app.extensions import db
from app.fiscal import FiscalYear
from app.orgs.models import Organization, OrgKind
from app.people.cards import new_short_code, new_token
from app.people.models import (
    Card,
    Device,
    Learner,
    LearnerKind,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from app.people.parsing import furigana_key
from app.scheduling.models import (
    DeliveryType,
    Session,
    SessionStaff,
    SessionStatus,
    StaffRole,
    Venue,
)
from app.timeutil import from_local, japan_today, local, utcnow
from app.transaction import atomic

T = TypeVar("T")

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


class DemoCityMissing(ServiceError):
    code = "demo_city_missing"
    status = 409


# ---------------------------------------------------------------- the people of the city

SURNAMES = [
    ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"),
    ("伊藤", "いとう"), ("渡辺", "わたなべ"), ("山本", "やまもと"), ("中村", "なかむら"),
    ("小林", "こばやし"), ("加藤", "かとう"), ("吉田", "よしだ"), ("山田", "やまだ"),
    ("佐々木", "ささき"), ("山口", "やまぐち"), ("松本", "まつもと"), ("井上", "いのうえ"),
    ("木村", "きむら"), ("林", "はやし"), ("斎藤", "さいとう"), ("清水", "しみず"),
    ("山崎", "やまざき"), ("森", "もり"), ("池田", "いけだ"), ("橋本", "はしもと"),
    ("阿部", "あべ"), ("石川", "いしかわ"), ("山下", "やました"), ("中島", "なかじま"),
    ("石井", "いしい"), ("小川", "おがわ"), ("前田", "まえだ"), ("岡田", "おかだ"),
    ("長谷川", "はせがわ"), ("藤田", "ふじた"), ("後藤", "ごとう"), ("近藤", "こんどう"),
    ("村上", "むらかみ"), ("遠藤", "えんどう"), ("青木", "あおき"), ("坂本", "さかもと"),
    ("福田", "ふくだ"), ("太田", "おおた"), ("西村", "にしむら"), ("藤井", "ふじい"),
    ("金子", "かねこ"), ("岡本", "おかもと"), ("藤原", "ふじわら"), ("中野", "なかの"),
    ("三浦", "みうら"), ("原田", "はらだ"), ("松田", "まつだ"), ("竹内", "たけうち"),
    ("小野", "おの"), ("田村", "たむら"), ("和田", "わだ"), ("石田", "いしだ"),
    ("上田", "うえだ"), ("内田", "うちだ"), ("柴田", "しばた"), ("酒井", "さかい"),
    ("宮崎", "みやざき"), ("横山", "よこやま"), ("安藤", "あんどう"), ("宮本", "みやもと"),
    ("大野", "おおの"), ("工藤", "くどう"), ("野口", "のぐち"), ("千葉", "ちば"),
    ("菅原", "すがわら"), ("久保", "くぼ"),
    # The same kanji read differently: why staff look people up by ふりがな.
    ("河野", "こうの"), ("河野", "かわの"), ("東", "ひがし"), ("東", "あずま"),
    ("中田", "なかた"), ("中田", "なかだ"), ("角田", "かくた"), ("角田", "つのだ"),
    ("上村", "うえむら"), ("上村", "かみむら"),
]  # fmt: skip
WOMEN = [
    ("和子", "かずこ"), ("幸子", "さちこ"), ("節子", "せつこ"), ("洋子", "ようこ"),
    ("恵子", "けいこ"), ("京子", "きょうこ"), ("久美子", "くみこ"), ("美智子", "みちこ"),
    ("悦子", "えつこ"), ("典子", "のりこ"), ("由美子", "ゆみこ"), ("順子", "じゅんこ"),
    ("文子", "ふみこ"), ("弘子", "ひろこ"), ("照子", "てるこ"), ("敏子", "としこ"),
    ("信子", "のぶこ"), ("清子", "きよこ"), ("千代子", "ちよこ"), ("美代子", "みよこ"),
    ("光子", "みつこ"), ("静子", "しずこ"), ("春子", "はるこ"), ("正子", "まさこ"),
    ("明美", "あけみ"), ("良子", "よしこ"), ("良子", "りょうこ"), ("陽子", "ようこ"),
    ("裕子", "ゆうこ"), ("裕子", "ひろこ"), ("直美", "なおみ"), ("トミ", "とみ"),
    ("ハル", "はる"), ("キヨ", "きよ"),
]  # fmt: skip
MEN = [
    ("清", "きよし"), ("茂", "しげる"), ("博", "ひろし"), ("実", "みのる"), ("勇", "いさむ"),
    ("進", "すすむ"), ("正", "ただし"), ("隆", "たかし"), ("誠", "まこと"), ("勝", "まさる"),
    ("修", "おさむ"), ("明", "あきら"), ("武", "たけし"), ("豊", "ゆたか"), ("浩", "ひろし"),
    ("和夫", "かずお"), ("正雄", "まさお"), ("幸雄", "ゆきお"), ("一郎", "いちろう"),
    ("健一", "けんいち"), ("秀夫", "ひでお"), ("稔", "みのる"), ("義雄", "よしお"),
    ("敏夫", "としお"), ("三郎", "さぶろう"), ("昇", "のぼる"), ("孝", "たかし"),
    ("光男", "みつお"), ("健二", "けんじ"), ("哲也", "てつや"), ("進一", "しんいち"),
    ("勝利", "かつとし"), ("昭", "あきら"),
]  # fmt: skip
# Supporters and staff are younger.
YOUNGER_WOMEN = [
    ("美穂", "みほ"), ("智子", "ともこ"), ("恵美", "えみ"), ("麻衣", "まい"),
    ("香織", "かおり"), ("真由美", "まゆみ"), ("彩", "あや"), ("愛", "あい"),
]  # fmt: skip
YOUNGER_MEN = [
    ("大輔", "だいすけ"), ("健太", "けんた"), ("翔", "しょう"), ("拓也", "たくや"),
    ("直樹", "なおき"), ("達也", "たつや"), ("雄一", "ゆういち"), ("亮", "りょう"),
]  # fmt: skip

DEVICES = {
    LearnerKind.SENIOR: (
        [Device.ANDROID, Device.IPHONE, Device.FEATURE_PHONE, Device.NONE, Device.LOANER, None],
        [34, 28, 13, 5, 9, 11],
    ),
    LearnerKind.LEADER: (
        [Device.ANDROID, Device.IPHONE, Device.FEATURE_PHONE, Device.LOANER, None],
        [38, 40, 8, 4, 10],
    ),
    LearnerKind.SUPPORTER: ([Device.ANDROID, Device.IPHONE, None], [40, 52, 8]),
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

BRING_PHONE = "ご自分のスマートフォンをお持ちください(ない方は貸出機があります)。"
NOTES = {
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


def _npo(slug: str, weight: float = 1.0, delivery: str = DeliveryType.REGIONAL) -> Team:
    return Team(slug, (slug,), delivery, HALL_COURSES, weight)


def _shop(slug: str) -> Team:
    return Team(slug, (slug,), DeliveryType.NATIONWIDE, SHOP_COURSES)


def _association(slug: str, staff: str, weight: float) -> Team:
    return Team(slug, (staff,), DeliveryType.INDEPENDENT, LEADER_COURSES, weight, public=False)


# The demo's six venues: (classes a week, relatively; who teaches there).
DEMO_PLACES: dict[str, tuple[float, list[Team]]] = {
    "chuo-kominkan": (3.0, [_npo("npo-tsunagu")]),
    "chuo-library": (
        1.5,
        [Team(None, ("npo-tsunagu",), DeliveryType.INDEPENDENT, CITY_OWN_COURSES)],
    ),
    "ekimae-shop-counter": (3.5, [_shop("carrier-ekimae")]),
    "midorigaoka-center": (
        2.0,
        [
            _npo("npo-egao-digital", 0.6),
            _association("jichikai-midorigaoka", "npo-egao-digital", 0.4),
        ],
    ),
    "konan-community-center": (2.5, [_npo("npo-egao-digital")]),
    "hokubu-kominkan": (1.5, [_npo("npo-egao-digital", delivery=DeliveryType.DISPATCH)]),
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
CHUNK = 5_000


def _closed(day: date) -> bool:
    """Sundays, 年末年始 and お盆: no classes."""
    if day.weekday() == 6:
        return True
    if (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3):
        return True
    return day.month == 8 and 13 <= day.day <= 16


def _weeks(first: date, last: date) -> list[list[date]]:
    """The open days from first to last, grouped by week."""
    weeks: dict[date, list[date]] = {}
    day = first
    while day <= last:
        if not _closed(day):
            weeks.setdefault(day - timedelta(days=day.weekday()), []).append(day)
        day += timedelta(days=1)
    return list(weeks.values())


def _pick(rng: random.Random, weighted: dict[T, float]) -> T:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _round(rng: random.Random, value: float) -> int:
    """Round up with the probability of the fraction: totals stay right on average."""
    whole = math.floor(value)
    return whole + (1 if rng.random() < value - whole else 0)


def _overlaps(busy: list[tuple[datetime, datetime]], start, end, buffer: timedelta) -> bool:
    return any(s < end + buffer and start < e + buffer for s, e in busy)


# ---------------------------------------------------------------- the world as it is


@dataclass(frozen=True)
class CourseInfo:
    index: int
    slug: str
    version_id: int
    duration: timedelta
    skills: tuple[int, ...]
    popularity: float
    kinds: dict[str, float]  # which kinds of learner come


def _kinds(audience: Sequence[str]) -> dict[str, float]:
    if "senior" in audience and "neighborhood_leader" in audience:
        return {LearnerKind.SENIOR: 0.8, LearnerKind.LEADER: 0.2}
    if "senior" in audience:
        return {LearnerKind.SENIOR: 0.93, LearnerKind.LEADER: 0.07}
    if "neighborhood_leader" in audience:
        return {LearnerKind.LEADER: 1.0}
    if "supporter" in audience:
        return {LearnerKind.SUPPORTER: 1.0}
    return {LearnerKind.SENIOR: 1.0}


@dataclass
class Place:
    venue_id: int
    district: str
    capacity: int
    buffer: timedelta
    weight: float
    teams: list[Team]

    @property
    def counter(self) -> bool:
        """A shop's counter: one or two people at a time."""
        return self.capacity <= 2


@dataclass
class World:
    courses: dict[str, CourseInfo]
    orgs: dict[str, int]  # slug -> id
    places: list[Place]
    staff: dict[str, list[int]]  # org slug -> ids of its instructors (role instructor)
    coordinators: list[int]
    partner_users: dict[int, list[int]]  # org id -> its partner users


def _load_courses() -> dict[str, CourseInfo]:
    rows = db.session.execute(
        sa.select(
            Course.slug, CourseVersion.id, CourseVersion.duration_minutes, CourseVersion.audience
        )
        .join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .order_by(Course.slug)
    ).all()
    skills: dict[int, list[int]] = defaultdict(list)
    for version_id, skill_id in db.session.execute(
        sa.select(Skill.course_version_id, Skill.id).order_by(
            Skill.course_version_id, Skill.position
        )
    ):
        skills[version_id].append(skill_id)
    return {
        slug: CourseInfo(
            index=i,
            slug=slug,
            version_id=version_id,
            duration=timedelta(minutes=minutes),
            skills=tuple(skills[version_id]),
            popularity=POPULARITY.get(slug, 0.95),
            kinds=_kinds(audience or []),
        )
        for i, (slug, version_id, minutes, audience) in enumerate(rows)
    }


def _load_world(city: bool) -> World:
    orgs = dict(db.session.execute(sa.select(Organization.slug, Organization.id)).all())
    venues = {v.slug: v for v in db.session.scalars(sa.select(Venue).order_by(Venue.id))}
    missing = [slug for slug in DEMO_PLACES if slug not in venues]
    if missing or "city-hall" not in orgs:
        raise DemoCityMissing(
            _(
                "過去の記録はデモの街の上に作ります。先に `flask --app app demo-data` を実行してください。"
            )
        )
    places = [
        Place(
            venues[slug].id,
            venues[slug].district,
            venues[slug].capacity,
            timedelta(minutes=venues[slug].setup_buffer_minutes),
            weight * (CITY_WEIGHTS["demo"] if city else 1.0),
            [t for t in teams if t.partner is None or t.partner in orgs],
        )
        for slug, (weight, teams) in DEMO_PLACES.items()
    ]
    if city:
        places += [
            Place(
                venues[slug].id,
                venues[slug].district,
                venues[slug].capacity,
                timedelta(minutes=venues[slug].setup_buffer_minutes),
                weight,
                teams,
            )
            for slug, weight, teams in _city_place_plan()
        ]
    staff: dict[str, list[int]] = defaultdict(list)
    coordinators: list[int] = []
    partner_users: dict[int, list[int]] = defaultdict(list)
    slug_of = {org_id: slug for slug, org_id in orgs.items()}
    for user_id, role, org_id in db.session.execute(
        sa.select(User.id, User.role, User.org_id).where(User.active).order_by(User.id)
    ):
        if role == Role.INSTRUCTOR and org_id in slug_of:
            staff[slug_of[org_id]].append(user_id)
        elif role in (Role.COORDINATOR, Role.ADMIN):
            coordinators.append(user_id)
        elif role == Role.PARTNER and org_id is not None:
            partner_users[org_id].append(user_id)
    return World(_load_courses(), orgs, places, dict(staff), coordinators, dict(partner_users))


# ---------------------------------------------------------------- adding the city's places


def _city_venue_plan() -> list[tuple[str, dict[str, Any], str]]:
    """(slug, venue fields, kind) of the venues a city adds to the demo's."""
    plan = [
        (
            slug,
            {"name": name, "address": address, "district": district, "capacity": capacity},
            "hall",
        )
        for district, slug, name, address, capacity, _npo_slug in DEMO_DISTRICT_HALLS
    ]
    for i, (district, stem, name, _npo_slug, shop, _assoc) in enumerate(CITY_DISTRICTS):
        town = f"若葉市{name}町"
        plan.append(
            (
                f"{stem}-kominkan",
                {
                    "name": f"{name}公民館 大ホール",
                    "address": f"{town}1-{i + 2}-1",
                    "district": district,
                    "capacity": 52 + 4 * (i % 3),
                },
                "hall",
            )
        )
        plan.append(
            (
                f"{stem}-community-center",
                {
                    "name": f"{name}コミュニティセンター 会議室",
                    "address": f"{town}2-{i + 5}-3",
                    "district": district,
                    "capacity": 36 + 2 * (i % 4),
                },
                "center",
            )
        )
        if i % 2 == 0:
            plan.append(
                (
                    f"{stem}-library",
                    {
                        "name": f"{name}図書館 視聴覚室",
                        "address": f"{town}3-{i + 1}-12",
                        "district": district,
                        "capacity": 30,
                    },
                    "library",
                )
            )
        if shop:
            plan.append(
                (
                    f"{stem}-shop-counter",
                    {
                        "name": f"携帯ショップ 若葉{name}店 相談カウンター",
                        "address": f"{town}1-1-{i + 3}",
                        "district": district,
                        "capacity": 2,
                    },
                    "shop",
                )
            )
    return plan


def _city_place_plan() -> list[tuple[str, float, list[Team]]]:
    """(venue slug, weight, teams) of the city's added venues."""
    plan = []
    homes = {d: (npo, shop, assoc) for d, _s, _n, npo, shop, assoc in CITY_DISTRICTS}
    stems = {d: s for d, s, *_rest in CITY_DISTRICTS}
    demo_homes = {d: npo for d, _slug, _n, _a, _c, npo in DEMO_DISTRICT_HALLS}
    for slug, fields, kind in _city_venue_plan():
        district = fields["district"]
        if district in demo_homes:
            npo = demo_homes[district]
            teams = [
                _npo(
                    npo,
                    0.75,
                    DeliveryType.DISPATCH if district == "北部地区" else DeliveryType.REGIONAL,
                ),
                Team(None, (npo, "city-hall"), DeliveryType.INDEPENDENT, CITY_OWN_COURSES, 0.25),
            ]
            if district == "緑が丘地区":
                teams.append(_association("jichikai-midorigaoka", npo, 0.15))
        elif kind == "shop":
            teams = [_shop(f"carrier-{stems[district]}")]
        else:
            npo, shop, assoc = homes[district]
            delivery = DeliveryType.REGIONAL if shop else DeliveryType.DISPATCH
            teams = [
                Team(npo, (npo, "city-hall"), delivery, HALL_COURSES, 0.7),
                Team(None, (npo, "city-hall"), DeliveryType.INDEPENDENT, CITY_OWN_COURSES, 0.2),
            ]
            if assoc:
                teams.append(_association(f"jichikai-{stems[district]}", npo, 0.1))
        plan.append((slug, CITY_WEIGHTS[kind], teams))
    return plan


def _city_org_plan() -> list[dict[str, Any]]:
    orgs = [
        {"slug": slug, "name": name, "kind": OrgKind.NPO, "contact_name": contact}
        for slug, (name, contact) in CITY_NPOS.items()
    ]
    for i, (_district, stem, name, _npo_slug, shop, assoc) in enumerate(CITY_DISTRICTS):
        if shop:
            orgs.append(
                {
                    "slug": f"carrier-{stem}",
                    "name": f"携帯ショップ 若葉{name}店",
                    "kind": OrgKind.CARRIER,
                    "contact_name": f"{SURNAMES[i * 7][0]} 店長",
                }
            )
        if assoc:
            orgs.append(
                {
                    "slug": f"jichikai-{stem}",
                    "name": f"{name}町内会" if i % 2 else f"{name}自治会",
                    "kind": OrgKind.NEIGHBORHOOD_ASSOCIATION,
                    "contact_name": f"{SURNAMES[i * 5 + 3][0]} 会長",
                }
            )
    return orgs


def _add_city_places(rng: random.Random, report: HistoryReport) -> None:
    """Districts, venues, partners and staff a city of 700,000 needs. Idempotent (by slug)."""
    known_orgs = set(db.session.scalars(sa.select(Organization.slug)))
    new_orgs = [Organization(**raw) for raw in _city_org_plan() if raw["slug"] not in known_orgs]
    db.session.add_all(new_orgs)
    known_venues = set(db.session.scalars(sa.select(Venue.slug)))
    new_venues = [
        Venue(
            slug=slug,
            setup_buffer_minutes=20 if kind == "hall" else 15,
            has_wifi=kind != "hall" or rng.random() < 0.5,
            loaner_devices=2 if kind == "shop" else rng.choice([6, 8, 10, 12]),
            step_free=kind != "library" or rng.random() < 0.7,
            hearing_loop=kind == "hall",
            **fields,
        )
        for slug, fields, kind in _city_venue_plan()
        if slug not in known_venues
    ]
    db.session.add_all(new_venues)
    db.session.flush()
    orgs = dict(db.session.execute(sa.select(Organization.slug, Organization.id)).all())
    known_users = set(db.session.scalars(sa.select(User.email)))
    # One hash for every added account: nobody knows its password (staff of the city only
    # exist to be in the figures); hashing once keeps the build fast.
    password_hash = generate_password_hash(secrets.token_urlsafe(24))
    wanted: list[tuple[str, str, str]] = []  # (org slug, role, email)
    for slug in [*CITY_NPOS, "npo-tsunagu", "npo-egao-digital"]:
        wanted += [
            (slug, Role.INSTRUCTOR, f"{slug}-{n:03d}@staff.wakaba.example.jp")
            for n in range(1, STAFF_PER_NPO + 1)
        ]
    for raw in _city_org_plan():
        if raw["kind"] == OrgKind.CARRIER:
            wanted += [
                (raw["slug"], Role.INSTRUCTOR, f"{raw['slug']}-{n:03d}@staff.wakaba.example.jp")
                for n in range(1, STAFF_PER_SHOP + 1)
            ]
    wanted += [
        ("city-hall", Role.INSTRUCTOR, f"suishin-{n:03d}@city.wakaba.example.jp")
        for n in range(1, DIGITAL_PROMOTERS + 1)
    ]
    wanted += [
        (raw["slug"], Role.PARTNER, f"partner@{raw['slug']}.example.jp") for raw in _city_org_plan()
    ]
    users = [
        User(
            email=email,
            name=_staff_name(rng),
            role=role,
            org_id=orgs[slug],
            password_hash=password_hash,
        )
        for slug, role, email in wanted
        if email not in known_users
    ]
    db.session.add_all(users)
    db.session.flush()
    report.organizations += len(new_orgs)
    report.venues += len(new_venues)
    report.users += len(users)


def _staff_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)[0]
    given = rng.choice(YOUNGER_WOMEN + YOUNGER_MEN + WOMEN[:12] + MEN[:12])[0]
    return f"{surname} {given}"


# ---------------------------------------------------------------- planning the classes


@dataclass(slots=True)
class Plan:
    """A class to fill with people: one generated here, or one the demo planned already."""

    id: int
    place: Place
    course: CourseInfo
    starts_at: datetime
    ends_at: datetime
    capacity: int
    status: str
    partner_id: int | None
    instructors: list[int]
    assistants: list[int] = field(default_factory=list)
    team: Team | None = None
    cancel_reason: str | None = None
    held: bool = False
    upcoming: bool = False
    base: float = 0.0  # how many would sign up, before calibration
    seats: int = 0
    waitlist: int = 0
    dropouts: int = 0


class Calendar:
    """Who and what is busy when: venues (with their setup time) and staff."""

    def __init__(self) -> None:
        self.venues: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        self.people: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)

    def venue_free(self, place: Place, day: date, start: datetime, end: datetime) -> bool:
        return not _overlaps(self.venues.get((place.venue_id, day), []), start, end, place.buffer)

    def person_free(self, user_id: int, day: date, start: datetime, end: datetime) -> bool:
        return not _overlaps(self.people.get((user_id, day), []), start, end, timedelta(0))

    def book(self, venue_id: int | None, staff: Iterable[int], day: date, start, end) -> None:
        if venue_id is not None:
            self.venues[(venue_id, day)].append((start, end))
        for user_id in staff:
            self.people[(user_id, day)].append((start, end))


def _existing_sessions(first: datetime, world: World, calendar: Calendar) -> list[Plan]:
    """Sessions already in the database from the first day on: they block the calendar;
    those without any registration yet are returned to be filled."""
    places = {p.venue_id: p for p in world.places}
    courses = {c.version_id: c for c in world.courses.values()}
    staff: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for session_id, user_id, role in db.session.execute(
        sa.select(SessionStaff.session_id, SessionStaff.user_id, SessionStaff.role)
        .join(Session, Session.id == SessionStaff.session_id)
        .where(Session.ends_at > first)
    ):
        staff[session_id].append((user_id, role))
    registered = set(
        db.session.scalars(
            sa.select(Registration.session_id)
            .join(Session, Session.id == Registration.session_id)
            .where(Session.ends_at > first)
            .distinct()
        )
    )
    now = utcnow()
    plans = []
    for s in db.session.execute(
        sa.select(
            Session.id,
            Session.venue_id,
            Session.course_version_id,
            Session.starts_at,
            Session.ends_at,
            Session.capacity,
            Session.status,
            Session.partner_org_id,
        )
        .where(Session.ends_at > first)
        .order_by(Session.starts_at, Session.id)
    ):
        people = [user_id for user_id, _role in staff[s.id]]
        if s.status != SessionStatus.CANCELLED:
            day = local(s.starts_at).date()
            calendar.book(s.venue_id, people, day, s.starts_at, s.ends_at)
        place, course = places.get(s.venue_id), courses.get(s.course_version_id)
        if s.id in registered or place is None or course is None:
            continue
        plans.append(
            Plan(
                id=s.id,
                place=place,
                course=course,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                capacity=s.capacity,
                status=s.status,
                partner_id=s.partner_org_id,
                instructors=[u for u, role in staff[s.id] if role == StaffRole.INSTRUCTOR],
                assistants=[u for u, role in staff[s.id] if role == StaffRole.ASSISTANT],
                held=s.status != SessionStatus.CANCELLED and s.ends_at <= now,
                upcoming=s.ends_at > now,
            )
        )
    return plans


class Planner:
    """Lays out the past classes week by week, without a venue or a person booked twice."""

    def __init__(self, rng: random.Random, world: World, calendar: Calendar, scale: HistoryScale):
        self.rng, self.world, self.calendar, self.scale = rng, world, calendar, scale
        self.place_weights = {i: p.weight for i, p in enumerate(world.places) if p.teams}

    def plan(self, first: date, last: date, next_id: int) -> list[Plan]:
        weeks = _weeks(first, last)
        counts = self._counts_per_week(weeks, FiscalYear.of_day(first).year)
        plans: list[Plan] = []
        for days, count in zip(weeks, counts, strict=True):
            for _n in range(count):
                plan = self._place_one(days, next_id + len(plans))
                if plan is not None:
                    plans.append(plan)
        return plans

    def _counts_per_week(self, weeks: list[list[date]], first_year: int) -> list[int]:
        rng, scale = self.rng, self.scale
        years = max(1, scale.fiscal_years - 1)

        def weight(days: list[date]) -> float:
            # Programs grow: the oldest 年度 had about 60% of this year's classes.
            growth = 0.6 + 0.4 * (FiscalYear.of_day(days[0]).year - first_year) / years
            return len(days) / 6 * SEASON[days[0].month] * growth

        if scale.sessions is None:
            low, high = scale.sessions_per_week
            return [
                _round(rng, rng.randint(low, high) * len(days) / 6 * SEASON[days[0].month])
                for days in weeks
            ]
        weights = [weight(days) for days in weeks]
        total = sum(weights) or 1.0
        return [_round(rng, scale.sessions * w / total) for w in weights]

    def _place_one(self, days: list[date], session_id: int) -> Plan | None:
        rng, world = self.rng, self.world
        day_weights = {d: WEEKDAY_WEIGHTS[d.weekday()] for d in days}
        for _attempt in range(20):
            place = world.places[_pick(rng, self.place_weights)]
            day = _pick(rng, day_weights)
            team = rng.choices(place.teams, weights=[t.weight for t in place.teams])[0]
            courses = {s: w for s, w in team.courses.items() if s in world.courses}
            if not courses:
                continue
            course = world.courses[_pick(rng, courses)]
            start = from_local(day, rng.choice(SLOT_STARTS))
            end = start + course.duration
            if not self.calendar.venue_free(place, day, start, end):
                continue
            instructor = self._free_staff(team.staff[:1], day, start, end, 1)
            if not instructor:
                continue
            self.calendar.book(place.venue_id, instructor, day, start, end)
            return self._plan(session_id, place, team, course, start, end, instructor)
        return None

    def _plan(self, session_id, place, team, course, start, end, instructors) -> Plan:
        rng = self.rng
        cancelled = rng.random() < CANCELLED_SHARE
        if place.counter:
            capacity = min(place.capacity, rng.choice((1, 2, 2)))
        else:
            shares = (0.6, 0.75, 0.9, 1.0) if self.scale.attendances else (0.4, 0.5, 0.6, 0.75)
            capacity = max(1, min(place.capacity, round(place.capacity * rng.choice(shares))))
        return Plan(
            id=session_id,
            place=place,
            course=course,
            starts_at=start,
            ends_at=end,
            capacity=capacity,
            status=SessionStatus.CANCELLED if cancelled else SessionStatus.COMPLETED,
            partner_id=self.world.orgs.get(team.partner) if team.partner else None,
            instructors=instructors,
            team=team,
            cancel_reason=rng.choice(CANCEL_REASONS) if cancelled else None,
            held=not cancelled,
            base=_demand(rng, place, capacity, course),
        )

    def _free_staff(self, orgs: Sequence[str], day, start, end, count: int, taken=()) -> list[int]:
        chosen: list[int] = []
        for org in orgs:
            pool = self.world.staff.get(org, [])
            for user_id in self.rng.sample(pool, len(pool)):
                if len(chosen) >= count:
                    return chosen
                if (
                    user_id not in taken
                    and user_id not in chosen
                    and self.calendar.person_free(user_id, day, start, end)
                ):
                    chosen.append(user_id)
        return chosen

    def add_assistants(self, plans: list[Plan]) -> None:
        """Staff by sign-ups, as coordinators do: mostly one person per four learners."""
        rng = self.rng
        for plan in plans:
            if plan.place.counter or plan.team is None:
                continue
            needed = max(0, math.ceil(plan.seats / 4) - len(plan.instructors))
            if rng.random() > 0.8:  # short of hands that day
                needed = rng.randint(0, max(0, needed - 1))
            if needed == 0:
                continue
            day = local(plan.starts_at).date()
            chosen = self._free_staff(
                plan.team.staff, day, plan.starts_at, plan.ends_at, needed, plan.instructors
            )
            self.calendar.book(None, chosen, day, plan.starts_at, plan.ends_at)
            plan.assistants = chosen


def _demand(rng: random.Random, place: Place, capacity: int, course: CourseInfo) -> float:
    """How many would sign up for this class (before the city-wide calibration)."""
    if place.counter:
        return 2.0 if capacity >= 2 and rng.random() < 0.45 else 1.0
    return capacity * max(0.15, rng.gauss(0.68, 0.22)) * course.popularity


def _seats(plan: Plan, factor: float) -> tuple[int, int]:
    """Registered seats and waitlist for this demand scaled by factor."""
    # A shop's counter has its own small demand; halls scale with the city's.
    wanted = round(plan.base) if plan.place.counter else max(1, round(plan.base * factor))
    seats = min(plan.capacity, wanted)
    popular = plan.course.popularity >= POPULAR
    return seats, min(wanted - seats, 8) if popular and wanted > plan.capacity else 0


def _size_classes(rng: random.Random, plans: list[Plan], attendances: int | None) -> None:
    """Seats, waitlists and drop-outs; with a target, class sizes scaled to meet it."""
    factor = 1.0
    halls = [p for p in plans if p.held and not p.place.counter]
    if attendances is not None and halls:
        fixed = sum(round(p.base) for p in plans if p.held and p.place.counter)
        target = max(len(halls), attendances / ROW_RATE - fixed)
        for _step in range(30):
            total = sum(_seats(p, factor)[0] for p in halls)
            if abs(total - target) <= target * 0.001:
                break
            factor *= target / total
    for plan in plans:
        plan.seats, plan.waitlist = _seats(plan, factor)
        plan.dropouts = sum(1 for _n in range(plan.seats) if rng.random() < DROPOUT_SHARE)


def _size_upcoming(rng: random.Random, plan: Plan, today: date) -> None:
    """Sign-ups for a class still to come: the sooner, the fuller; some courses booked out."""
    wanted = OVERSUBSCRIBED.get(plan.course.slug)
    if plan.status == SessionStatus.CANCELLED:
        plan.seats = round(plan.capacity * 0.4)
    elif wanted is not None:
        plan.seats, plan.waitlist = plan.capacity, rng.randint(*wanted)
    else:
        weeks_ahead = max(0, (local(plan.starts_at).date() - today).days // 7)
        share = max(0.15, 0.95 - 0.12 * weeks_ahead) * rng.uniform(0.75, 1.15)
        plan.seats = max(0, min(plan.capacity, round(plan.capacity * share)))
        if plan.seats == plan.capacity and rng.random() < 0.3:
            plan.waitlist = rng.randint(1, 2)
    plan.dropouts = sum(1 for _n in range(plan.seats) if rng.random() < DROPOUT_SHARE / 2)


# ---------------------------------------------------------------- people and their records


class Rows:
    """Rows waiting to be inserted, written in chunks in foreign-key order."""

    ORDER = (Learner, Card, Session, SessionStaff, Registration, Attendance, SkillReached)

    def __init__(self) -> None:
        self.pending: dict[type, list[dict[str, Any]]] = {m: [] for m in self.ORDER}
        self.written: dict[type, int] = dict.fromkeys(self.ORDER, 0)

    def add(self, model: type, row: dict[str, Any]) -> None:
        self.pending[model].append(row)

    def size(self) -> int:
        return sum(len(rows) for rows in self.pending.values())

    def flush(self) -> None:
        for model in self.ORDER:
            rows = self.pending[model]
            # Core's executemany: the ORM's bulk path splits rows by which values are None.
            for start in range(0, len(rows), CHUNK):
                db.session.execute(sa.insert(model.__table__), rows[start : start + CHUNK])
            self.written[model] += len(rows)
            rows.clear()


def _next_ids() -> dict[type, int]:
    return {
        model: (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
        for model in (Learner, Card, Session, Registration, Attendance, SkillReached)
    }


def _move_sequences_past_ids() -> None:
    """Ids were given explicitly; PostgreSQL's sequences must not hand them out again."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in (Learner, Card, Session, Registration, Attendance, SkillReached):
        table = model.__tablename__
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def _katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


class People:
    """Learners as they first come, and who comes back: the sign-ups and the attendance."""

    def __init__(self, rng: random.Random, world: World, rows: Rows, ids: dict[type, int]):
        self.rng, self.world, self.rows, self.ids = rng, world, rows, ids
        self.districts = sorted({p.district for p in world.places})
        self.short_codes = set(db.session.scalars(sa.select(Card.short_code)))
        # Where each learner first came, by kind: the people a district's classes draw on.
        self.pools: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.by_kind: dict[str, list[int]] = defaultdict(list)
        self.courses_taken: set[int] = set()  # learner id * 64 + course index
        self.skills_reached: set[int] = set()  # learner id << 24 | skill id
        self.created: dict[int, datetime] = {}  # learner id -> when they were first written down
        self.busy_until: dict[int, datetime] = {}  # learner id -> end of their latest class
        self.fresh_left = 0  # learners still to come for the first time in this phase
        self.seats_left = 0  # registrations still to make in this phase
        self.counts: dict[str, int] = defaultdict(int)
        self.by_year: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        self.year = 0  # the 年度 of the class being filled

    # ------------------------------------------------------------ a phase: past or upcoming

    def phase(self, plans: list[Plan], learners: int) -> None:
        self.fresh_left = learners
        self.seats_left = sum(p.seats + p.waitlist + p.dropouts for p in plans)
        for plan in plans:
            self._fill(plan)
            if self.rows.size() >= 50_000:
                self.rows.flush()

    def learners_without_classes(self, count: int, when: datetime) -> None:
        """People with a card who have not signed up for anything yet."""
        for _n in range(count):
            stamp = when - timedelta(days=self.rng.uniform(0, 60))
            self._new_learner(self.rng.choice(self.districts), LearnerKind.SENIOR, stamp)

    # ------------------------------------------------------------ one class

    def _fill(self, plan: Plan) -> None:
        rng = self.rng
        here: set[int] = set()
        start = plan.starts_at
        self.year = FiscalYear.of(start).year
        before = (
            (lambda: start - timedelta(days=rng.uniform(1, 28)))
            if not plan.upcoming
            else (lambda: min(utcnow(), start) - timedelta(days=rng.uniform(0.05, 14)))
        )
        for _n in range(plan.seats):
            walk_in = plan.held and rng.random() < WALK_IN_SHARE
            when = start + timedelta(minutes=rng.uniform(0, 8)) if walk_in else before()
            learner = self._learner_for(plan, here, when)
            if learner is None:
                continue
            registration = self._register(plan, learner, when, walk_in)
            if plan.held:
                self._attend(plan, registration, learner, walk_in)
        for _n in range(plan.dropouts):
            when = before()
            learner = self._learner_for(plan, here, when)
            if learner is not None:
                self._register(plan, learner, when, cancelled=True)
        for _n in range(plan.waitlist):
            when = (
                start - timedelta(days=rng.uniform(0.5, 5))
                if not plan.upcoming
                else (min(utcnow(), start) - timedelta(hours=rng.uniform(1, 72)))
            )
            learner = self._learner_for(plan, here, when)
            if learner is not None:
                self._register(plan, learner, when, waitlisted=True)
        if plan.held:
            self.by_year[self.year][0] += 1

    def _learner_for(self, plan: Plan, here: set[int], when: datetime) -> int | None:
        rng = self.rng
        kind = _pick(rng, plan.course.kinds)
        fresh = self.fresh_left > 0 and rng.random() < self.fresh_left / max(1, self.seats_left)
        self.seats_left -= 1
        learner = None if fresh else self._returning(plan, kind, here)
        if learner is None and self.fresh_left > 0:
            learner = self._new_learner(plan.place.district, kind, when)
            self.fresh_left -= 1
            self.pools[(plan.place.district, kind)].append(learner)
            self.by_kind[kind].append(learner)
        if learner is not None:
            here.add(learner)
            self.courses_taken.add(learner * 64 + plan.course.index)
            self.busy_until[learner] = plan.ends_at
        return learner

    def _not_before_known(self, learner: int, when: datetime) -> datetime:
        """A sign-up is never older than the learner's record (classes are filled in order of
        their dates, and people sign up for a later class before an earlier one)."""
        return max(when, self.created[learner])

    def _returning(self, plan: Plan, kind: str, here: set[int]) -> int | None:
        """Someone who came before: mostly from this district, mostly the recent ones, and
        mostly to a course they have not taken yet (they go on to further courses)."""
        rng = self.rng
        for attempt in range(8):
            pool = self.pools.get((plan.place.district, kind)) if rng.random() < 0.8 else None
            pool = pool or self.by_kind.get(kind)
            if not pool:
                return None
            size = len(pool)
            learner = pool[size - 1 - int(size * rng.random() ** 2)]
            if learner in here or self.busy_until[learner] > plan.starts_at:
                continue  # already in this class, or in another one at this time
            if attempt < 4 and learner * 64 + plan.course.index in self.courses_taken:
                continue
            return learner
        return None

    def _new_learner(self, district: str, kind: str, when: datetime) -> int:
        rng = self.rng
        learner_id = self.ids[Learner]
        self.ids[Learner] += 1
        woman = rng.random() < 0.62
        if kind == LearnerKind.SUPPORTER:
            given = rng.choice(YOUNGER_WOMEN + WOMEN[:10] if woman else YOUNGER_MEN + MEN[:10])
        else:
            given = rng.choice(WOMEN if woman else MEN)
        surname = rng.choice(SURNAMES)
        name = f"{surname[0]} {given[0]}"
        reading = f"{surname[1]} {given[1]}"
        furigana = _katakana(reading) if rng.random() < 0.3 else reading
        phone = self._phone()
        device, weights = DEVICES[kind]
        self.rows.add(
            Learner,
            {
                "id": learner_id,
                "name": name,
                "furigana": furigana,
                "furigana_key": furigana_key(furigana),
                "phone": phone,
                "phone2": None,
                "phone_key": phone.replace("-", "") if phone else None,
                "birth_year": self._birth_year(kind),
                "district": self._home(district),
                "kind": kind,
                "device": rng.choices(device, weights=weights)[0],
                "language": "ja",
                "needs_vision": rng.random() < 0.06,
                "needs_hearing": rng.random() < 0.08,
                "needs_mobility": rng.random() < 0.05,
                "consent_on": local(when).date(),
                "consent_recorded_by_id": rng.choice(self.world.coordinators),
                "share_with_partner": rng.random() < 0.55,
                "notes": "",
                "created_at": when,
                "updated_at": when,
            },
        )
        self._card(learner_id, when)
        self.created[learner_id] = when
        self.counts["learners"] += 1
        return learner_id

    def _card(self, learner_id: int, when: datetime) -> None:
        code = new_short_code()
        while code in self.short_codes:  # 31^6 codes: a clash is rare, but it must not pass
            code = new_short_code()
        self.short_codes.add(code)
        self.rows.add(
            Card,
            {
                "id": self.ids[Card],
                "learner_id": learner_id,
                "token": new_token(),
                "short_code": code,
                "issued_at": when,
                "revoked_at": None,
            },
        )
        self.ids[Card] += 1

    def _phone(self) -> str | None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.1:
            return None
        if roll < 0.3:  # a landline
            return f"042-{rng.randint(300, 999)}-{rng.randint(0, 9999):04d}"
        prefix = rng.choices(("090", "080", "070"), weights=(5, 4, 1))[0]
        return f"{prefix}-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}"

    def _birth_year(self, kind: str) -> int | None:
        rng = self.rng
        if rng.random() < 0.05:
            return None
        if kind == LearnerKind.SUPPORTER:
            return rng.randint(1950, 1985)
        if kind == LearnerKind.LEADER:
            return rng.randint(1942, 1965)
        if rng.random() < 0.04:
            return rng.randint(1928, 1934)
        return min(1965, max(1935, round(rng.triangular(1935, 1966, 1947))))

    def _home(self, district: str) -> str | None:
        roll = self.rng.random()
        if roll < 0.04:
            return None  # not asked, or not said
        if roll < 0.15 and len(self.districts) > 1:
            return self.rng.choice(self.districts)  # came to a hall outside their district
        return district

    def _register(
        self,
        plan: Plan,
        learner: int,
        when: datetime,
        walk_in: bool = False,
        cancelled: bool = False,
        waitlisted: bool = False,
    ) -> int:
        rng = self.rng
        registration_id = self.ids[Registration]
        self.ids[Registration] += 1
        when = self._not_before_known(learner, when)
        partner_users = self.world.partner_users.get(plan.partner_id or 0, [])
        if walk_in:
            source, by = RegistrationSource.WALK_IN, self._recorder(plan)
        else:
            roll = rng.random()
            if roll < 0.28 and partner_users:
                source, by = RegistrationSource.PARTNER, rng.choice(partner_users)
            elif roll < 0.58:
                source, by = RegistrationSource.PUBLIC, None
            else:
                source, by = RegistrationSource.PHONE, rng.choice(self.world.coordinators)
        status = (
            RegistrationStatus.CANCELLED
            if cancelled
            else RegistrationStatus.WAITLISTED
            if waitlisted
            else RegistrationStatus.REGISTERED
        )
        cancelled_at = None
        if cancelled:
            last = min(plan.starts_at, utcnow())
            cancelled_at = when + (last - when) * rng.random() if last > when else when
        self.rows.add(
            Registration,
            {
                "id": registration_id,
                "session_id": plan.id,
                "learner_id": learner,
                "status": status,
                "source": source,
                "queued_at": when,
                "created_by_id": by,
                "cancelled_at": cancelled_at,
                "created_at": when,
            },
        )
        self.counts["registrations"] += 1
        self.counts[status] += 1
        if plan.upcoming:
            self.counts["upcoming"] += 1
            if waitlisted:
                self.counts["upcoming_waitlisted"] += 1
        return registration_id

    def _recorder(self, plan: Plan) -> int:
        staff = plan.instructors or plan.assistants
        return staff[0] if staff else self.world.coordinators[0]

    def _attend(self, plan: Plan, registration: int, learner: int, walk_in: bool) -> None:
        rng = self.rng
        start = plan.starts_at
        roll = rng.random()
        present, late, excused, absent = ATTENDANCE_ODDS
        if walk_in:
            status = AttendanceStatus.LATE if roll < 0.15 else AttendanceStatus.PRESENT
        elif roll < present:
            status = AttendanceStatus.PRESENT
        elif roll < present + late:
            status = AttendanceStatus.LATE
        elif roll < present + late + excused:
            status = AttendanceStatus.EXCUSED
        elif roll < ROW_RATE:
            status = AttendanceStatus.ABSENT
        else:
            return  # registered, never came, nobody recorded it: absent all the same
        came = status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
        later = not walk_in and (not came or rng.random() < 0.1)
        if not came:
            checked_in_at, method = None, CheckinMethod.RECORDED_LATER
        elif walk_in:
            checked_in_at, method = (
                start + timedelta(minutes=rng.uniform(0, 8)),
                CheckinMethod.WALK_IN,
            )
            if status == AttendanceStatus.LATE:
                checked_in_at = start + timedelta(minutes=rng.uniform(11, 30))
        elif later:
            checked_in_at, method = start, CheckinMethod.RECORDED_LATER
        else:
            method = rng.choices(
                (CheckinMethod.QR, CheckinMethod.SCANNER, CheckinMethod.CODE, CheckinMethod.SEARCH),
                weights=(60, 12, 10, 18),
            )[0]
            minutes = (
                rng.uniform(11, 40) if status == AttendanceStatus.LATE else rng.uniform(-20, 9)
            )
            checked_in_at = start + timedelta(minutes=minutes)
        recorder = (
            rng.choice(self.world.coordinators)
            if status == AttendanceStatus.EXCUSED
            else self._recorder(plan)
        )
        self.rows.add(
            Attendance,
            {
                "id": self.ids[Attendance],
                "registration_id": registration,
                "session_id": plan.id,
                "learner_id": learner,
                "status": status,
                "checked_in_at": checked_in_at,
                "method": method,
                "client_id": None,
                "recorded_by_id": recorder,
                "recorded_later": later,
                "created_at": checked_in_at or plan.ends_at,
            },
        )
        self.ids[Attendance] += 1
        self.counts["attendances"] += 1
        self.by_year[self.year][1] += 1
        if came and rng.random() < SKILLS_MARKED:
            self._reach_skills(plan, learner)

    def _reach_skills(self, plan: Plan, learner: int) -> None:
        rng = self.rng
        for position, skill in enumerate(plan.course.skills):
            # The first skills of a course are reached by nearly everyone, the last by fewer.
            if rng.random() > max(0.35, 0.97 - 0.09 * position):
                continue
            key = learner << 24 | skill
            if key in self.skills_reached:
                continue
            self.skills_reached.add(key)
            self.rows.add(
                SkillReached,
                {
                    "id": self.ids[SkillReached],
                    "learner_id": learner,
                    "skill_id": skill,
                    "session_id": plan.id,
                    "marked_by_id": self._recorder(plan),
                    "marked_at": plan.ends_at,
                },
            )
            self.ids[SkillReached] += 1
            self.counts["skills_reached"] += 1


def _session_rows(plans: list[Plan], rng: random.Random, rows: Rows) -> None:
    for plan in plans:
        team = plan.team
        assert team is not None
        notes = NOTES.get(team.delivery, "")
        if not notes and not team.public:
            notes = "自治会の役員向け(会員限定)。"
        elif not notes and rng.random() < 0.5:
            notes = BRING_PHONE
        cancelled = plan.status == SessionStatus.CANCELLED
        rows.add(
            Session,
            {
                "id": plan.id,
                "course_version_id": plan.course.version_id,
                "venue_id": plan.place.venue_id,
                "starts_at": plan.starts_at,
                "ends_at": plan.ends_at,
                "capacity": plan.capacity,
                "delivery_type": team.delivery,
                "partner_org_id": plan.partner_id,
                "public": team.public,
                "notes": notes,
                "status": plan.status,
                "cancel_reason": plan.cancel_reason,
                "series_id": None,
                "late_after_minutes": 10,
                "ical_sequence": 1 if cancelled else 0,
                "created_at": plan.starts_at - timedelta(days=rng.randint(21, 75)),
                "updated_at": plan.ends_at if not cancelled else plan.starts_at - timedelta(days=2),
            },
        )
        for user_id in plan.instructors:
            rows.add(
                SessionStaff,
                {"session_id": plan.id, "user_id": user_id, "role": StaffRole.INSTRUCTOR},
            )
        for user_id in plan.assistants:
            rows.add(
                SessionStaff,
                {"session_id": plan.id, "user_id": user_id, "role": StaffRole.ASSISTANT},
            )


# ---------------------------------------------------------------- the report


@dataclass
class HistoryReport:
    scale: str
    first_day: date
    last_day: date
    organizations: int = 0
    users: int = 0
    venues: int = 0
    sessions: int = 0
    cancelled: int = 0
    session_staff: int = 0
    learners: int = 0
    registrations: int = 0
    waitlisted: int = 0
    cancelled_registrations: int = 0
    attendances: int = 0
    skills_reached: int = 0
    upcoming_registrations: int = 0
    upcoming_waitlisted: int = 0
    by_year: dict[int, tuple[int, int]] = field(default_factory=dict)  # 年度: (held, attendances)
    seconds: float = 0.0

    def summary(self) -> str:
        return _(
            "過去の記録(%(first)s〜%(last)s): 講座%(sessions)s件(うち中止%(cancelled)s件)、"
            "受講者%(learners)s人、申込%(registrations)s件(うちキャンセル待ち%(waitlisted)s件)、"
            "出欠%(attendances)s件、到達スキル%(skills)s件。"
            "予定の講座への申込%(upcoming)s件(うちキャンセル待ち%(upcoming_waitlisted)s件)。",
            first=self.first_day.isoformat(),
            last=self.last_day.isoformat(),
            sessions=f"{self.sessions:,}",
            cancelled=f"{self.cancelled:,}",
            learners=f"{self.learners:,}",
            registrations=f"{self.registrations:,}",
            waitlisted=f"{self.waitlisted:,}",
            attendances=f"{self.attendances:,}",
            skills=f"{self.skills_reached:,}",
            upcoming=f"{self.upcoming_registrations:,}",
            upcoming_waitlisted=f"{self.upcoming_waitlisted:,}",
        )

    def details(self) -> list[str]:
        """More lines for a city: what was added, each 年度, and the time it took."""
        lines = []
        if self.organizations or self.venues or self.users:
            lines.append(
                _(
                    "追加: 団体%(orgs)d、会場%(venues)d、スタッフ%(users)d人(ログインは作っていません)。",
                    orgs=self.organizations,
                    venues=self.venues,
                    users=self.users,
                )
            )
        for year, (held, attendances) in sorted(self.by_year.items()):
            lines.append(
                _(
                    "%(year)d年度: 実施%(held)s件、出欠%(attendances)s件",
                    year=year,
                    held=f"{held:,}",
                    attendances=f"{attendances:,}",
                )
            )
        lines.append(_("所要時間: %(seconds).1f秒", seconds=self.seconds))
        return [f"  {line}" for line in lines]


# ---------------------------------------------------------------- building


def history_period(
    scale: HistoryScale, today: date, until: date | None = None
) -> tuple[date, date]:
    """From April 1 of the first 年度 to `until` (default: yesterday).

    The 年度 are counted back from the last day of history, not from today: in the first
    days of April (or when the demo's plan starts on a Monday still in March) the new 年度
    has no past yet, and the demo keeps the whole of the one before instead of none at all.
    """
    last = until or today - timedelta(days=1)
    first = FiscalYear(FiscalYear.of_day(last).year - (scale.fiscal_years - 1)).first_day
    return first, last


@atomic
def build_history(
    scale: str | HistoryScale = "demo",
    seed: int = 1,
    today: date | None = None,
    until: date | None = None,
) -> HistoryReport:
    """Build past classes, learners and their records on the demo city, in one transaction.

    Classes are made from April 1 of the scale's first 年度 to `until` (default: the day
    before `today`); the demo passes the day before its own plan starts. Needs the demo city
    (its organizations, staff and venues) and the curricula. Adds to whatever is there:
    classes already planned that nobody signed up for yet get sign-ups (and attendance when
    they are over); nothing already there is changed.
    """
    began = stopwatch.perf_counter()
    scale = SCALES[scale] if isinstance(scale, str) else scale
    today = today or japan_today()
    first, last = history_period(scale, today, until)
    rng = random.Random(seed)
    report = HistoryReport(scale.name, first, last)
    _load_world(city=False)  # refuses early, before adding anything, without the demo city
    if scale.city:
        _add_city_places(rng, report)
    world = _load_world(scale.city)
    if not world.coordinators:
        raise DemoCityMissing(_("コーディネーターがいません。先に demo-data を実行してください。"))

    calendar = Calendar()
    existing = _existing_sessions(from_local(first, time(0, 0)), world, calendar)
    ids = _next_ids()
    planner = Planner(rng, world, calendar, scale)
    plans = planner.plan(first, last, ids[Session]) if first <= last else []
    ids[Session] += len(plans)
    _size_classes(rng, plans, scale.attendances)
    planner.add_assistants(plans)
    past = sorted(
        plans + [p for p in existing if not p.upcoming],
        key=lambda p: (p.starts_at, p.id),
    )
    for plan in existing:
        if plan.upcoming:
            _size_upcoming(rng, plan, today)
        elif plan.held or plan.status == SessionStatus.CANCELLED:
            plan.base = _demand(rng, plan.place, plan.capacity, plan.course)
            plan.seats, plan.waitlist = _seats(plan, 1.0)
    upcoming = [p for p in existing if p.upcoming]

    rows = Rows()
    _session_rows(plans, rng, rows)
    people = People(rng, world, rows, ids)
    upcoming_seats = sum(p.seats + p.waitlist + p.dropouts for p in upcoming)
    # Some people sign up for a coming class as their very first: they have not come yet.
    newcomers = min(scale.learners // 10, round(upcoming_seats * 0.15))
    people.phase(past, scale.learners - newcomers)
    newcomers += people.fresh_left
    people.phase(upcoming, newcomers)
    people.learners_without_classes(people.fresh_left, utcnow())
    rows.flush()
    _move_sequences_past_ids()

    report.sessions = len(plans)
    report.cancelled = sum(1 for p in plans if p.status == SessionStatus.CANCELLED)
    report.session_staff = rows.written[SessionStaff]
    report.learners = people.counts["learners"]
    report.registrations = people.counts["registrations"]
    report.waitlisted = people.counts[RegistrationStatus.WAITLISTED]
    report.cancelled_registrations = people.counts[RegistrationStatus.CANCELLED]
    report.attendances = people.counts["attendances"]
    report.skills_reached = people.counts["skills_reached"]
    report.upcoming_registrations = people.counts["upcoming"]
    report.upcoming_waitlisted = people.counts["upcoming_waitlisted"]
    report.by_year = {year: (held, n) for year, (held, n) in people.by_year.items()}
    report.seconds = stopwatch.perf_counter() - began
    return report
