"""A small hand-made program whose figures are known, for the report tests.

年度 2025 (2025-04-01 .. 2026-03-31), seen from `NOW` (2026-06-01, Japan):

| session | when (Japan)         | course | venue (district) | partner | state     | present        |
|---------|----------------------|--------|------------------|---------|-----------|----------------|
| s1      | 2025-03-31 23:00     | A      | chuo (中央)      | p1      | held 2024 | L1             |
| s2      | 2025-04-01 08:30     | A      | chuo (中央)      | p1      | held      | L1, L2 (late)  |
| s3      | 2025-05-10 10:00     | B      | hoku (北部)      | p2      | held      | L1             |
| s4      | 2025-06-01 10:00     | A      | chuo (中央)      | p1      | cancelled |                |
| s5      | 2026-03-31 23:00     | A      | hoku (北部)      | p1      | held      | L3, L7, L8     |
| s6      | 2026-04-01 08:00     | B      | chuo (中央)      | p2      | held 2026 | L2             |
| s7      | 2026-07-01 10:00     | B      | chuo (中央)      | p2      | planned   |                |

s2 also has L3 excused, L4 registered without attendance, L5 absent (two no-shows) and L6 on the
waitlist; s3 has L2 registered without attendance, L6 and L9 on the waitlist; s4 (cancelled) has
L9 on its waitlist, which counts nowhere. Staff: u1 (of p1) teaches s2 and s5 and the cancelled
s4; u2 (of p2) assists s5; s3 has no staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from app.auth.models import User
from app.checkin.models import Attendance, SkillReached
from app.curricula.models import Course, CourseVersion, Skill
from app.extensions import db
from app.orgs.models import Organization
from app.people.models import Learner, Registration
from app.scheduling.models import Session, SessionStaff, Venue
from app.timeutil import from_local

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)  # 12:00 in Japan
TODAY = date(2026, 6, 1)


@dataclass
class Program:
    orgs: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    venues: dict[str, Venue] = field(default_factory=dict)
    courses: dict[str, Course] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    learners: dict[str, Learner] = field(default_factory=dict)
    skills: dict[str, Skill] = field(default_factory=dict)


def _course(slug: str, title: str, track: str, keys: tuple[str, ...]) -> Course:
    course = Course(slug=slug)
    version = CourseVersion(
        course=course,
        version=1,
        content_hash="x" * 64,
        title_ja=title,
        title_en=title + " (en)",
        track=track,
        audience=["senior"],
        duration_minutes=60,
        prerequisites=[],
        materials=[],
        skills=[
            Skill(key=k, label_ja=f"{k}ができる", label_en=f"can {k}", position=i)
            for i, k in enumerate(keys)
        ],
    )
    db.session.add_all([course, version])
    db.session.flush()
    course.current_version = version
    return course


def _at(day: str, clock: str, minutes: int = 60) -> tuple[datetime, datetime]:
    start = from_local(date.fromisoformat(day), time.fromisoformat(clock))
    return start, start + timedelta(minutes=minutes)


def build() -> Program:
    p = Program()
    p.orgs["p1"] = Organization(slug="npo-one", name="NPO一番", kind="npo")
    p.orgs["p2"] = Organization(slug="shop-two", name="ショップ二番", kind="carrier")
    p.users["u1"] = User(
        email="u1@example.jp",
        name="講師 一郎",
        role="instructor",
        org=p.orgs["p1"],
        password_hash="!",
    )
    p.users["u2"] = User(
        email="u2@example.jp",
        name="補助 二郎",
        role="instructor",
        org=p.orgs["p2"],
        password_hash="!",
    )
    p.venues["chuo"] = Venue(slug="chuo", name="中央公民館", district="中央", capacity=20)
    p.venues["hoku"] = Venue(slug="hoku", name="北部公民館", district="北部", capacity=20)
    db.session.add_all([*p.orgs.values(), *p.users.values(), *p.venues.values()])
    p.courses["A"] = _course("course-a", "スマホ入門", "basic", ("a1", "a2"))
    p.courses["B"] = _course("course-b", "LINE応用", "applied", ("b1",))
    for course in p.courses.values():
        for skill in course.current_version.skills:
            p.skills[skill.key] = skill

    plan = {
        "s1": ("2025-03-31", "23:00", "A", "chuo", "p1", 6, "completed", 60),
        "s2": ("2025-04-01", "08:30", "A", "chuo", "p1", 6, "completed", 60),
        "s3": ("2025-05-10", "10:00", "B", "hoku", "p2", 2, "scheduled", 60),
        "s4": ("2025-06-01", "10:00", "A", "chuo", "p1", 6, "cancelled", 60),
        "s5": ("2026-03-31", "23:00", "A", "hoku", "p1", 8, "completed", 90),
        "s6": ("2026-04-01", "08:00", "B", "chuo", "p2", 4, "completed", 60),
        "s7": ("2026-07-01", "10:00", "B", "chuo", "p2", 4, "scheduled", 60),
    }
    for key, (day, clock, course, venue, partner, capacity, status, minutes) in plan.items():
        starts, ends = _at(day, clock, minutes)
        p.sessions[key] = Session(
            course_version=p.courses[course].current_version,
            venue=p.venues[venue],
            starts_at=starts,
            ends_at=ends,
            capacity=capacity,
            delivery_type="regional" if partner == "p1" else "nationwide",
            partner_org=p.orgs[partner],
            status=status,
            cancel_reason="台風" if status == "cancelled" else None,
        )
    db.session.add_all(p.sessions.values())
    db.session.add_all(
        [
            SessionStaff(session=p.sessions["s2"], user=p.users["u1"], role="instructor"),
            SessionStaff(session=p.sessions["s4"], user=p.users["u1"], role="instructor"),
            SessionStaff(session=p.sessions["s5"], user=p.users["u1"], role="instructor"),
            SessionStaff(session=p.sessions["s5"], user=p.users["u2"], role="assistant"),
        ]
    )
    people = {
        "L1": ("中央", 1950, "senior", "iphone"),
        "L2": ("中央", 1940, "senior", "android"),
        "L3": ("北部", None, "neighborhood_leader", "none"),
        "L4": ("中央", 1948, "senior", None),
        "L5": ("中央", 1949, "senior", None),
        "L6": ("北部", 1951, "senior", None),
        "L7": ("北部", 1970, "supporter", None),
        "L8": (None, 1960, "senior", "iphone"),
        "L9": ("中央", 1952, "senior", None),
    }
    for key, (district, born, kind, device) in people.items():
        p.learners[key] = Learner(
            name=f"受講者{key}",
            furigana=f"じゅこうしゃ{key.lower()}",
            furigana_key=f"じゅこうしゃ{key.lower()}",
            phone="090-0000-0000",
            district=district,
            birth_year=born,
            kind=kind,
            device=device,
        )
    db.session.add_all(p.learners.values())
    db.session.flush()

    def came(session: str, learner: str, status: str | None, reg: str = "registered") -> None:
        registration = Registration(
            session=p.sessions[session], learner=p.learners[learner], status=reg, source="phone"
        )
        db.session.add(registration)
        if status:
            db.session.add(
                Attendance(
                    registration=registration,
                    session_id=p.sessions[session].id,
                    learner_id=p.learners[learner].id,
                    status=status,
                    method="search",
                )
            )

    came("s1", "L1", "present")
    came("s2", "L1", "present")
    came("s2", "L2", "late")
    came("s2", "L3", "excused")
    came("s2", "L4", None)
    came("s2", "L5", "absent")
    came("s2", "L6", None, "waitlisted")
    came("s3", "L1", "present")
    came("s3", "L2", None)
    came("s3", "L6", None, "waitlisted")
    came("s3", "L9", None, "waitlisted")
    came("s4", "L9", None, "waitlisted")
    came("s5", "L3", "present")
    came("s5", "L7", "present")
    came("s5", "L8", "present")
    came("s6", "L2", "present")
    db.session.flush()
    reached = [("L1", "a1", "s2"), ("L1", "a2", "s2"), ("L2", "a1", "s2"), ("L3", "a1", "s5")]
    reached.append(("L1", "b1", "s3"))
    for learner, skill, session in reached:
        db.session.add(
            SkillReached(
                learner_id=p.learners[learner].id,
                skill_id=p.skills[skill].id,
                session_id=p.sessions[session].id,
            )
        )
    db.session.commit()
    return p


def add_attendees(p: Program, session: str, count: int) -> None:
    """`count` more learners present at `session` (and in its waitlist at s7)."""
    for n in range(count):
        learner = Learner(
            name=f"追加{n}", furigana="ついか", furigana_key="ついか", district=f"地区{n % 7}"
        )
        db.session.add(learner)
        db.session.flush()
        registration = Registration(
            session=p.sessions[session], learner=learner, status="registered", source="phone"
        )
        db.session.add(registration)
        db.session.add(
            Attendance(
                registration=registration,
                session_id=p.sessions[session].id,
                learner_id=learner.id,
                status="present",
                method="search",
            )
        )
        db.session.add(
            SkillReached(
                learner_id=learner.id,
                skill_id=p.skills["a1"].id,
                session_id=p.sessions[session].id,
            )
        )
    db.session.commit()
