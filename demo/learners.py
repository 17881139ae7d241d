"""The demo city's learners as they first come, and who comes back: their records and cards,
their sign-ups, their attendance and the skills they reached.

Kept here, as the services and the schema keep them: a learner at most once per class and
in one class at a time; attendance only on classes held, one per registration, for its
session and learner; a skill reached once per learner; each learner an active card with a
unique short code. Card tokens and short codes come from the card module's own generators
(`secrets`), not from the build's random generator: they open a learner's record and must
never be predictable, demo or not.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.checkin.models import Attendance, AttendanceStatus, CheckinMethod, SkillReached
from app.extensions import db
from app.fiscal import FiscalYear
from app.parsing import furigana_key
from app.people.cards import new_short_code, new_token
from app.people.models import (
    Card,
    Learner,
    LearnerKind,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from app.timeutil import local, utcnow
from demo.data_history import ATTENDANCE_ODDS, ROW_RATE, SKILLS_MARKED, WALK_IN_SHARE
from demo.data_people import DEVICES, MEN, SURNAMES, WOMEN, YOUNGER_MEN, YOUNGER_WOMEN
from demo.planning import Plan, pick
from demo.rows import Rows
from demo.world import World


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
        kind = pick(rng, plan.course.kinds)
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
