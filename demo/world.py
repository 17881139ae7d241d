"""The world the demo city's past is built on: its courses, places, staff and coordinators as
the database has them, and, for a city at scale, the districts, venues, partners and staff it
adds to the demo's.

The demo city (demo.city) must be there first: its organizations, venues and staff are what
every past class is given to.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from app.auth.models import Role, User
from app.curricula.models import Course, CourseVersion, Skill
from app.errors import ServiceError
from app.extensions import db
from app.orgs.models import Organization, OrgKind
from app.people.models import LearnerKind
from app.scheduling.models import DeliveryType, Venue
from demo.data_history import (
    CITY_DISTRICTS,
    CITY_NPOS,
    CITY_OWN_COURSES,
    CITY_WEIGHTS,
    DEMO_DISTRICT_HALLS,
    DEMO_PLACES,
    DIGITAL_PROMOTERS,
    HALL_COURSES,
    LEADER_COURSES,
    POPULARITY,
    SHOP_COURSES,
    STAFF_PER_NPO,
    STAFF_PER_SHOP,
    Team,
)
from demo.data_people import MEN, SURNAMES, WOMEN, YOUNGER_MEN, YOUNGER_WOMEN


class DemoCityMissing(ServiceError):
    code = "demo_city_missing"
    status = 409


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


def load_world(city: bool) -> World:
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


# Shorthands for the city's teams: an NPO at a hall, a shop at its counter, an association's
# own class taught by its NPO.
def _npo(slug: str, weight: float = 1.0, delivery: str = DeliveryType.REGIONAL) -> Team:
    return Team(slug, (slug,), delivery, HALL_COURSES, weight)


def _shop(slug: str) -> Team:
    return Team(slug, (slug,), DeliveryType.NATIONWIDE, SHOP_COURSES)


def _association(slug: str, staff: str, weight: float) -> Team:
    return Team(slug, (staff,), DeliveryType.INDEPENDENT, LEADER_COURSES, weight, public=False)


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


def add_city_places(rng: random.Random) -> tuple[int, int, int]:
    """Districts, venues, partners and staff a city of 700,000 needs. Idempotent (by slug).

    Returns how many organizations, venues and users it added."""
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
    return len(new_orgs), len(new_venues), len(users)


def _staff_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)[0]
    given = rng.choice(YOUNGER_WOMEN + YOUNGER_MEN + WOMEN[:12] + MEN[:12])[0]
    return f"{surname} {given}"
