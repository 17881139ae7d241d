"""The demo city's tables (若葉市): its organizations, staff, venues and eight weeks of classes.

Plain data, read by demo.city, which builds them through the app's services. Change the
city here; how it is built is there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.orgs.models import OrgKind
from app.scheduling.models import DeliveryType

WEEKS = 8  # the plan: from this week's Monday on

ORGS = [
    {
        "slug": "city-hall",
        "kind": OrgKind.MUNICIPALITY,
        "name": "若葉市役所 デジタル推進課",
        "contact_name": "佐藤 美咲",
        "contact_email": "dx@city.wakaba.example.jp",
        "contact_phone": "042-555-0100",
    },
    {
        "slug": "npo-tsunagu",
        "kind": OrgKind.NPO,
        "name": "NPO法人つなぐ",
        "contact_name": "伊藤 洋子",
        "contact_email": "office@tsunagu.example.jp",
        "contact_phone": "042-555-0231",
    },
    {
        "slug": "npo-egao-digital",
        "kind": OrgKind.NPO,
        "name": "NPO法人えがおデジタル",
        "contact_name": "渡辺 隆",
        "contact_email": "info@egao-digital.example.jp",
        "contact_phone": "090-5555-0342",
    },
    {
        "slug": "carrier-ekimae",
        "kind": OrgKind.CARRIER,
        "name": "駅前携帯ショップ 若葉駅前店",
        "contact_name": "森 真由美",
        "contact_email": "wakaba-ekimae@shop.example.jp",
        "contact_phone": "0120-555-017",
    },
    {
        "slug": "jichikai-midorigaoka",
        "kind": OrgKind.NEIGHBORHOOD_ASSOCIATION,
        "name": "緑が丘自治会",
        "contact_name": "清水 勝",
        "contact_email": "kaicho@midorigaoka.example.jp",
        "contact_phone": "042-555-0488",
    },
]


@dataclass(frozen=True)
class Person:
    key: str
    email: str
    name: str
    role: str
    org: str | None


PEOPLE = [
    Person("admin", "tanaka.makoto@city.wakaba.example.jp", "田中 誠", "admin", "city-hall"),
    Person("sato", "sato.misaki@city.wakaba.example.jp", "佐藤 美咲", "coordinator", "city-hall"),
    Person(
        "takahashi",
        "takahashi.kenta@city.wakaba.example.jp",
        "高橋 健太",
        "coordinator",
        "city-hall",
    ),
    Person(
        "yamamoto", "yamamoto.kazuko@tsunagu.example.jp", "山本 和子", "instructor", "npo-tsunagu"
    ),
    Person(
        "nakamura", "nakamura.koji@tsunagu.example.jp", "中村 浩二", "instructor", "npo-tsunagu"
    ),
    Person(
        "kobayashi",
        "kobayashi.sakura@tsunagu.example.jp",
        "小林 さくら",
        "instructor",
        "npo-tsunagu",
    ),
    Person(
        "kato", "kato.yumi@egao-digital.example.jp", "加藤 由美", "instructor", "npo-egao-digital"
    ),
    Person(
        "yoshida",
        "yoshida.sho@egao-digital.example.jp",
        "吉田 翔",
        "instructor",
        "npo-egao-digital",
    ),
    Person(
        "saito",
        "saito.naoki@egao-digital.example.jp",
        "斎藤 直樹",
        "instructor",
        "npo-egao-digital",
    ),
    Person(
        "matsumoto",
        "matsumoto.daisuke@shop.example.jp",
        "松本 大輔",
        "instructor",
        "carrier-ekimae",
    ),
    Person("inoue", "inoue.aya@shop.example.jp", "井上 彩", "instructor", "carrier-ekimae"),
    Person("ito", "ito.yoko@tsunagu.example.jp", "伊藤 洋子", "partner", "npo-tsunagu"),
    Person(
        "watanabe",
        "watanabe.takashi@egao-digital.example.jp",
        "渡辺 隆",
        "partner",
        "npo-egao-digital",
    ),
    Person("mori", "mori.mayumi@shop.example.jp", "森 真由美", "partner", "carrier-ekimae"),
    Person(
        "shimizu",
        "shimizu.masaru@midorigaoka.example.jp",
        "清水 勝",
        "partner",
        "jichikai-midorigaoka",
    ),
]

VENUES = [
    {
        "slug": "chuo-kominkan",
        "name": "若葉市中央公民館 第1学習室",
        "address": "若葉市本町2-5-1",
        "district": "中央地区",
        "capacity": 20,
        "setup_buffer_minutes": 15,
        "has_wifi": True,
        "loaner_devices": 8,
        "step_free": True,
        "hearing_loop": True,
        "accessibility_notes": "エレベーターあり(2階)。ヒアリングループは受付で貸し出します。",
    },
    {
        "slug": "chuo-library",
        "name": "若葉市立中央図書館 2階会議室",
        "address": "若葉市本町3-1-8",
        "district": "中央地区",
        "capacity": 12,
        "setup_buffer_minutes": 15,
        "has_wifi": True,
        "loaner_devices": 4,
        "step_free": True,
        "hearing_loop": False,
        "accessibility_notes": "エレベーターあり。多目的トイレは1階。",
    },
    {
        "slug": "ekimae-shop-counter",
        "name": "駅前携帯ショップ 相談カウンター",
        "address": "若葉市駅前1-1-1 若葉駅ビル1階",
        "district": "中央地区",
        "capacity": 2,
        "setup_buffer_minutes": 10,
        "has_wifi": True,
        "loaner_devices": 2,
        "step_free": True,
        "hearing_loop": False,
        "accessibility_notes": "店内奥の予約制カウンター。車いすのまま利用できます。",
    },
    {
        "slug": "midorigaoka-center",
        "name": "緑が丘まちづくりセンター 集会室",
        "address": "若葉市緑が丘4-12-3",
        "district": "緑が丘地区",
        "capacity": 16,
        "setup_buffer_minutes": 20,
        "has_wifi": False,
        "loaner_devices": 6,
        "step_free": False,
        "hearing_loop": False,
        "accessibility_notes": "入口に2段の段差あり(職員が簡易スロープを設置します)。"
        "Wi-Fiがないため、貸出機はモバイルルーターで接続します。",
    },
    {
        "slug": "konan-community-center",
        "name": "港南コミュニティセンター 多目的室",
        "address": "若葉市港南2-8-15",
        "district": "港南地区",
        "capacity": 18,
        "setup_buffer_minutes": 15,
        "has_wifi": True,
        "loaner_devices": 6,
        "step_free": True,
        "hearing_loop": True,
        "accessibility_notes": "段差なし。多目的トイレあり。駐車場10台。",
    },
    {
        "slug": "hokubu-kominkan",
        "name": "北部公民館 和室",
        "address": "若葉市北山町1-20-5",
        "district": "北部地区",
        "capacity": 10,
        "setup_buffer_minutes": 15,
        "has_wifi": False,
        "loaner_devices": 4,
        "step_free": False,
        "hearing_loop": False,
        "accessibility_notes": "和室(座卓)ですが椅子を用意できます。Wi-Fiなし。",
    },
]

COURSES = (
    "smartphone-basics",
    "phone-camera-photos",
    "internet-search-maps",
    "line-basics",
    "smartphone-safety",
    "disaster-apps",
    "mynumber-card",
    "mynaportal-online-procedures",
    "cashless-payments",
    "association-digital",
    "online-meetings-scheduling",
    "smartphone-supporter-intro",
)

MON, TUE, WED, THU, FRI, SAT = range(6)
# The note most classes carry, the planned ones and (demo.history) those of the past.
BRING_PHONE = "ご自分のスマートフォンをお持ちください(ない方は貸出機があります)。"


@dataclass(frozen=True)
class Slot:
    """Where, when and with whom a class takes place; the course is chosen per use."""

    weekday: int
    start: str
    venue: str
    capacity: int
    delivery: str
    partner: str | None = None
    instructors: tuple[str, ...] = ()
    assistants: tuple[str, ...] = ()
    public: bool = True
    notes: str = ""


# Weekly series: (course, slot), eight weeks each.
SERIES = [
    (
        "smartphone-basics",
        Slot(
            weekday=WED,
            start="10:00",
            venue="chuo-kominkan",
            capacity=12,
            delivery=DeliveryType.REGIONAL,
            partner="npo-tsunagu",
            instructors=("yamamoto",),
            assistants=("kobayashi", "nakamura"),
            notes="毎週水曜の連続講座です。" + BRING_PHONE,
        ),
    ),
    (
        "line-basics",
        Slot(
            weekday=TUE,
            start="14:00",
            venue="ekimae-shop-counter",
            capacity=2,
            delivery=DeliveryType.NATIONWIDE,
            partner="carrier-ekimae",
            instructors=("matsumoto",),
            notes="店頭での少人数講座(予約制)。",
        ),
    ),
    (
        "mynumber-card",
        Slot(
            weekday=THU,
            start="10:30",
            venue="ekimae-shop-counter",
            capacity=2,
            delivery=DeliveryType.NATIONWIDE,
            partner="carrier-ekimae",
            instructors=("inoue",),
            notes="マイナンバーカードと暗証番号をお持ちください。",
        ),
    ),
    (
        "internet-search-maps",
        Slot(
            weekday=FRI,
            start="13:30",
            venue="konan-community-center",
            capacity=8,
            delivery=DeliveryType.REGIONAL,
            partner="npo-egao-digital",
            instructors=("kato",),
            assistants=("yoshida",),
            notes=BRING_PHONE,
        ),
    ),
]

# Single sessions: a place and team used most weeks, with a different course each week.
MONDAY_HALL = Slot(
    weekday=MON,
    start="10:00",
    venue="chuo-kominkan",
    capacity=8,
    delivery=DeliveryType.REGIONAL,
    partner="npo-tsunagu",
    instructors=("nakamura",),
    assistants=("kobayashi",),
    notes=BRING_PHONE,
)
# 北部 has no carrier shop: the NPO sends an instructor (講師派遣型).
NORTH_DISPATCH = Slot(
    weekday=THU,
    start="14:00",
    venue="hokubu-kominkan",
    capacity=4,
    delivery=DeliveryType.DISPATCH,
    partner="npo-egao-digital",
    instructors=("saito",),
    notes="ショップのない北部地区への講師派遣です。",
)
# Planning comes before staffing: the last weeks are not staffed yet, so warnings show.
NORTH_UNSTAFFED = replace(NORTH_DISPATCH, instructors=(), notes="講師は調整中です。")
ASSOCIATION = Slot(
    weekday=SAT,
    start="10:00",
    venue="midorigaoka-center",
    capacity=8,
    delivery=DeliveryType.INDEPENDENT,
    partner="jichikai-midorigaoka",
    instructors=("kato",),
    assistants=("yoshida",),
    public=False,
    notes="緑が丘自治会の役員向け(会員限定)。",
)
LIBRARY = Slot(
    weekday=TUE,
    start="13:30",
    venue="chuo-library",
    capacity=8,
    delivery=DeliveryType.INDEPENDENT,
    instructors=("yamamoto",),
    assistants=("nakamura",),
)
LIBRARY_UNSTAFFED = replace(LIBRARY, instructors=(), assistants=())

# Next month's series, planned but with no one to teach it yet: what a coordinator asks the
# partners to staff (「担当の調整」), as the README's walk-through does.
TO_STAFF = (
    "smartphone-basics",
    Slot(
        weekday=WED,
        start="13:30",
        venue="hokubu-kominkan",
        capacity=8,
        delivery=DeliveryType.REGIONAL,
        notes="講師は協力団体に依頼して決めます。" + BRING_PHONE,
    ),
)
TO_STAFF_FIRST_WEEK = WEEKS + 1  # the week after the plan's eight: next month
TO_STAFF_COUNT = 4

MONDAY_COURSES = [
    "phone-camera-photos",
    "smartphone-safety",
    "disaster-apps",
    "cashless-payments",
    "mynaportal-online-procedures",
    "phone-camera-photos",
    "smartphone-safety",
    "cashless-payments",
]
NORTH_COURSES = [
    "smartphone-basics",
    "line-basics",
    "disaster-apps",
    "smartphone-safety",
    "phone-camera-photos",
    "mynumber-card",
    "internet-search-maps",
    "line-basics",
]
POPULAR_WEEK = 2  # many sign-ups: more seats than two staff cover, so the 1:4 warning shows

# (week, course, slot); week 0 is the current week.
SINGLES: list[tuple[int, str, Slot]] = [
    *(
        (week, course, replace(MONDAY_HALL, capacity=12) if week == POPULAR_WEEK else MONDAY_HALL)
        for week, course in enumerate(MONDAY_COURSES)
    ),
    *(
        (week, course, NORTH_DISPATCH if week < 6 else NORTH_UNSTAFFED)
        for week, course in enumerate(NORTH_COURSES)
    ),
    *(
        (
            week,
            "association-digital" if week % 2 == 0 else "online-meetings-scheduling",
            ASSOCIATION,
        )
        for week in range(WEEKS)
    ),
    (1, "smartphone-supporter-intro", LIBRARY),
    (3, "mynaportal-online-procedures", LIBRARY),
    (5, "smartphone-supporter-intro", LIBRARY),
    (7, "mynaportal-online-procedures", LIBRARY_UNSTAFFED),
]

# (week, weekday, venue, reason): sessions called off after they were planned.
CANCELLATIONS = [
    (3, WED, "chuo-kominkan", "台風接近のため中止します。"),
    (2, SAT, "midorigaoka-center", "会場の設備点検のため中止します。"),
    (5, TUE, "ekimae-shop-counter", "講師の体調不良のため中止します。"),
    (4, MON, "chuo-kominkan", "申込者が少ないため中止し、翌月に振り替えます。"),
]
