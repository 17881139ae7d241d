"""Registration rules at their edges: exactly full, beyond capacity, who is promoted, what is logged.

Each test sits where a rule changes its answer (the last seat, a session over capacity after an
override), so that a rule moved by one — `>` for `>=`, `or` for `and` — fails a test.
`make mutation` checks that these tests catch such changes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.checkin.counts import counts_for
from app.checkin.services import check_in
from app.core.models import AuditEntry
from app.errors import Conflict, ValidationError
from app.extensions import db
from app.people.cards import issue_card
from app.people.models import Registration, RegistrationStatus
from app.people.registration import cancel, register, registered_count, seat
from app.scheduling.models import Session
from app.scheduling.sessions import cancel_session
from app.timeutil import utcnow
from tests.checkin.support import move, open_session

REGISTERED, WAITLISTED, CANCELLED = (
    RegistrationStatus.REGISTERED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.CANCELLED,
)


def _audit(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def _status(registration: Registration) -> str:
    db.session.refresh(registration)
    return registration.status


def test_the_last_seat_registers_and_the_next_person_waits(make, new_learner):
    session = make.session(capacity=2)
    first, last, next_one = new_learner(), new_learner(), new_learner()
    assert register(session, first, source="phone").status == REGISTERED
    assert register(session, last, source="phone").status == REGISTERED
    assert register(session, next_one, source="phone").status == WAITLISTED
    assert registered_count(session.id) == 2


def test_a_full_session_refuses_when_waitlisting_is_not_wanted(make, new_learner):
    session = make.session(capacity=1)
    register(session, new_learner(), source="phone")
    person = new_learner()
    with pytest.raises(Conflict) as refused:
        register(session, person, source="phone", waitlist=False)
    assert refused.value.code == "session_full"
    assert (
        db.session.scalar(sa.select(Registration).where(Registration.learner_id == person.id))
        is None
    )


def test_a_session_with_a_seat_left_registers_without_waitlisting(make, new_learner):
    session = make.session(capacity=2)
    register(session, new_learner(), source="phone")
    assert register(session, new_learner(), source="phone", waitlist=False).status == REGISTERED


def test_plain_waitlisting_is_not_logged_as_a_capacity_override(make, new_learner):
    session = make.session(capacity=1)
    register(session, new_learner(), source="phone")
    register(session, new_learner(), source="phone")
    assert _audit("registration.capacity_override") == []


def test_an_override_in_a_session_with_seats_left_is_no_override(make, new_learner):
    coordinator = make.user("coordinator")
    session = make.session(capacity=3)
    register(session, new_learner(), source="phone", actor=coordinator, override_capacity=True)
    assert _audit("registration.capacity_override") == []


def test_an_override_in_a_full_session_registers_and_is_logged(make, new_learner):
    coordinator = make.user("coordinator")
    session = make.session(capacity=1)
    register(session, new_learner(), source="phone")
    person = new_learner()
    registration = register(
        session, person, source="phone", actor=coordinator, override_capacity=True
    )
    assert registration.status == REGISTERED
    (entry,) = _audit("registration.capacity_override")
    assert entry.subject_id == registration.id


def test_cancelling_in_a_session_still_over_capacity_promotes_nobody(make, new_learner):
    coordinator = make.user("coordinator")
    session = make.session(capacity=1)
    first = register(session, new_learner(), source="phone")
    register(session, new_learner(), source="phone", actor=coordinator, override_capacity=True)
    waiting = register(session, new_learner(), source="phone")
    assert waiting.status == WAITLISTED

    # Two registered in one seat: after one cancels, the session is exactly full.
    assert cancel(first, coordinator) is None
    assert _status(waiting) == WAITLISTED
    assert _audit("registration.promoted") == []


def test_cancelling_the_only_seat_promotes_the_first_in_line(make, new_learner):
    coordinator = make.user("coordinator")
    session = make.session(capacity=1)
    seat = register(session, new_learner(), source="phone")
    first_in_line = register(session, new_learner(), source="phone")
    second_in_line = register(session, new_learner(), source="phone")

    promoted = cancel(seat, coordinator)

    assert promoted is not None
    assert promoted.id == first_in_line.id
    assert _status(first_in_line) == REGISTERED
    assert _status(second_in_line) == WAITLISTED
    (entry,) = _audit("registration.promoted")
    assert entry.subject_id == first_in_line.id


def test_cancelling_a_waitlisted_person_promotes_nobody(make, new_learner):
    session = make.session(capacity=1)
    seat = register(session, new_learner(), source="phone")
    waiting = register(session, new_learner(), source="phone")
    behind = register(session, new_learner(), source="phone")

    assert cancel(waiting) is None
    assert _status(seat) == REGISTERED
    assert _status(behind) == WAITLISTED


def test_cancelling_with_nobody_waiting_promotes_nobody(make, new_learner):
    session = make.session(capacity=2)
    seat = register(session, new_learner(), source="phone")
    assert cancel(seat) is None
    assert _status(seat) == CANCELLED


def test_cancelling_twice_is_refused(make, new_learner):
    session = make.session(capacity=2)
    seat = register(session, new_learner(), source="phone")
    cancel(seat)
    with pytest.raises(Conflict) as refused:
        cancel(seat)
    assert refused.value.code == "already_cancelled"


def test_a_cancelled_person_may_register_again_into_the_same_row(make, new_learner):
    session = make.session(capacity=1)
    person = new_learner()
    first = register(session, person, source="phone")
    cancel(first)
    again = register(session, person, source="public")
    assert again.id == first.id
    assert again.status == REGISTERED
    assert again.cancelled_at is None
    assert again.source == "public"


def test_a_waitlisted_person_asking_again_is_told_so(make, new_learner):
    session = make.session(capacity=1)
    register(session, new_learner(), source="phone")
    person = new_learner()
    waiting = register(session, person, source="phone")
    with pytest.raises(Conflict) as refused:
        register(session, person, source="phone")
    assert refused.value.code == "already_registered"
    assert refused.value.extra["registration_id"] == waiting.id
    assert refused.value.extra["registration_status"] == WAITLISTED
    assert "キャンセル待ち" in refused.value.message


def test_an_unknown_source_is_refused_naming_the_field(make, new_learner):
    with pytest.raises(ValidationError) as refused:
        register(make.session(), new_learner(), source="fax")
    assert "source" in refused.value.fields


def test_registering_for_a_cancelled_session_is_refused(make, new_learner):
    session = make.session()
    cancel_session(session, "台風")
    with pytest.raises(Conflict) as refused:
        register(session, new_learner(), source="phone")
    assert refused.value.code == "session_cancelled"


def test_registering_is_refused_once_the_session_ended_and_allowed_until_then(make, new_learner):
    session = make.session()
    now = utcnow()
    move(session, starts=now - timedelta(hours=1), ends=now + timedelta(minutes=5))
    assert register(session, new_learner(), source="phone").status == REGISTERED
    move(session, starts=now - timedelta(hours=1), ends=now - timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        register(session, new_learner(), source="phone")
    assert refused.value.code == "session_ended"


def test_after_the_end_only_a_walk_in_recorded_later_registers_and_nobody_waits(make, new_learner):
    session = make.session(capacity=1)
    now = utcnow()
    move(session, starts=now - timedelta(hours=1), ends=now + timedelta(minutes=5))
    register(session, new_learner(), source="phone")
    move(session, starts=now - timedelta(hours=1), ends=now - timedelta(seconds=1))
    # The public page, a partner's sheet, the phone: a class that is over takes nobody.
    with pytest.raises(Conflict) as refused:
        register(session, new_learner(), source="public")
    assert refused.value.code == "session_ended"
    # Someone who was in the room: full is full (no waitlist for a class that is over) ...
    with pytest.raises(Conflict) as refused:
        register(session, new_learner(), source="walk_in", after_end=True)
    assert refused.value.code == "session_full"
    # ... unless beyond capacity, logged.
    came = register(
        session, new_learner(), source="walk_in", after_end=True, override_capacity=True
    )
    assert came.status == REGISTERED
    assert len(_audit("registration.capacity_override")) == 1
    cancel_session(session, "台風")
    with pytest.raises(Conflict) as refused:
        register(session, new_learner(), source="walk_in", after_end=True)
    assert refused.value.code == "session_cancelled"


def test_seating_someone_waiting_logs_an_override_only_when_full(make, new_learner):
    coordinator = make.user("coordinator")
    session = make.session(capacity=1)
    register(session, new_learner(), source="phone")
    first, second = (register(session, new_learner(), source="phone") for _ in range(2))
    assert seat(first, coordinator).status == REGISTERED
    [override] = _audit("registration.capacity_override")
    assert (override.subject_id, override.actor_id) == (first.id, coordinator.id)
    with pytest.raises(Conflict) as refused:
        seat(first, coordinator)
    assert refused.value.code == "not_waitlisted"
    # A seat free (the capacity raised since): seated, nothing to log.
    db.session.execute(sa.update(Session).where(Session.id == session.id).values(capacity=5))
    db.session.commit()
    assert seat(second, coordinator).status == REGISTERED
    assert len(_audit("registration.capacity_override")) == 1


def test_counts_tell_registered_waitlisted_and_arrived_apart_per_session(make, new_learner):
    full, other = make.session(capacity=1), make.session(capacity=3)
    register(full, new_learner(), source="phone")
    register(full, new_learner(), source="phone")
    cancelled = register(other, new_learner(), source="phone")
    register(other, new_learner(), source="phone")
    cancel(cancelled)

    counts = counts_for([full.id, other.id])

    assert (counts[full.id].registered, counts[full.id].waitlisted) == (1, 1)
    assert (counts[other.id].registered, counts[other.id].waitlisted) == (1, 0)
    assert counts_for([]) == {}


def test_counts_of_a_session_nobody_registered_for_are_zero(make, new_learner):
    empty, other = make.session(capacity=1), make.session(capacity=1)
    register(other, new_learner(), source="phone")
    counts = counts_for([empty.id])[empty.id]
    assert (counts.registered, counts.waitlisted, counts.checked_in) == (0, 0, 0)


def test_counts_tell_who_arrived_from_who_registered(make, new_learner):
    teacher = make.user("instructor")
    session = open_session(make, capacity=3, instructor_ids=[teacher.id])
    came, came_too, stayed_home = new_learner(), new_learner(), new_learner()
    for person in (came, came_too, stayed_home):
        register(session, person, source="phone")
    for person in (came, came_too):
        issue_card(person)
        check_in(session, teacher, code=person.active_card.token)

    counts = counts_for([session.id])[session.id]

    assert (counts.registered, counts.waitlisted, counts.checked_in) == (3, 0, 2)


def test_registering_is_refused_at_the_very_end(make, new_learner):
    session = make.session()
    with time_machine.travel(utcnow().replace(microsecond=0), tick=False):
        now = utcnow()
        move(session, starts=now - timedelta(hours=1), ends=now)
        with pytest.raises(Conflict) as refused:
            register(session, new_learner(), source="phone")
    assert refused.value.code == "session_ended"


def test_a_registration_cancelled_since_the_page_read_it_may_be_made_again(make, new_learner):
    session = make.session(capacity=2)
    person = new_learner()
    first = register(session, person, source="phone")
    # The page reads the registration; meanwhile another request (a connection of its own)
    # cancels it. Registering again must see the cancellation, not the copy the page read.
    shown = db.session.get(Registration, first.id)
    assert shown.status == REGISTERED
    with db.engine.begin() as other_request:
        other_request.execute(
            sa.update(Registration)
            .where(Registration.id == first.id)
            .values(status=CANCELLED, cancelled_at=utcnow())
        )

    again = register(session, person, source="phone")

    assert again.id == first.id
    assert again.status == REGISTERED
