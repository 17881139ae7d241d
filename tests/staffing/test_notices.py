"""Who hears of what, read back from a real SMTP server on 127.0.0.1: the partners asked, the
instructors assigned (with the class as a calendar invitation), the reminder two days before."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from icalendar import Calendar

from app.extensions import db
from app.mail import outbox
from app.mail.models import MailPreference
from app.people.learners import create_learner
from app.people.models import RegistrationSource
from app.people.registration import register
from app.staffing.jobs import queue_reminders
from app.timeutil import japan_today
from tests.conftest import login, run_jobs


def _to(smtp, address: str):
    return [r.mail for r in smtp.received if address in r.recipients]


def _calendars(mail) -> list[Calendar]:
    return [
        Calendar.from_ical(part.get_content())
        for part in mail.walk()
        if part.get_content_type() == "text/calendar"
    ]


def _text(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def _ask_and_confirm(make, api_as, world, n=3):
    start = japan_today() + timedelta(days=30)
    sessions = [
        make.session(
            course=world.course, venue=world.venue, day=start + timedelta(weeks=i), capacity=8
        )
        for i in range(n)
    ]
    coordinator = api_as(world.coordinator)
    requests = [
        coordinator.post(
            f"/sessions/{s.id}/staffing-requests",
            json={
                "org": org.slug,
                "instructors": 1,
                "assistants": 1,
                "respond_by": (japan_today() + timedelta(days=7)).isoformat(),
            },
        ).get_json()
        for s in sessions
        for org in (world.npo_a, world.npo_b)
    ]
    offers = [
        api_as(world.partner_a)
        .post(
            f"/staffing-requests/{r['id']}/offers",
            json={"instructor_ids": [world.teacher_a1.id], "assistant_ids": [world.teacher_a2.id]},
        )
        .get_json()["id"]
        for r in requests
        if r["org"] == world.npo_a.slug
    ]
    for offer_id in offers:
        assert coordinator.post(f"/offers/{offer_id}/confirm").status_code == 200
    return sessions


def test_a_series_confirmed_is_one_invitation_per_person_with_the_feeds_uids(
    app, make, api_as, world, smtp, client
):
    sessions = _ask_and_confirm(make, api_as, world)
    run_jobs(app, scheduled=True)

    # NPO A's contact and partner user: within minutes, the three requests and the three
    # confirmations came as one message, every one of them in it.
    for address in ("office@aoba.example.jp", world.partner_a.email):
        (mail,) = _to(smtp, address)
        assert mail["Subject"] == "6件のお知らせ"
        assert _text(mail).count("講座の担当のお願いです") == 3
        assert _text(mail).count("申し出を確定しました") == 3
    # NPO B heard of its three requests and that they are no longer needed, in one message.
    (told_b,) = _to(smtp, world.partner_b.email)
    assert _text(told_b).count("この依頼は不要になりました") == 3
    # The coordinator heard of the offers.
    assert any("申し出" in _text(m) for m in _to(smtp, world.coordinator.email))

    # Each instructor: one message for three classes, with three events to add.
    for teacher in (world.teacher_a1, world.teacher_a2):
        mails = _to(smtp, teacher.email)
        assert len(mails) == 1, [m["Subject"] for m in mails]
        assert mails[0]["Subject"] == "3件の講座の担当が決まりました"
        (calendar,) = _calendars(mails[0])
        assert calendar["METHOD"] == "REQUEST"
        events = calendar.walk("VEVENT")
        # The same events as the calendar feeds: a phone holding both holds each class once.
        feed_uids = []
        for s in sessions:
            (feed_event,) = Calendar.from_ical(client.get(f"/sessions/{s.id}.ics").get_data()).walk(
                "VEVENT"
            )
            feed_uids.append(str(feed_event["UID"]))
        assert sorted(str(e["UID"]) for e in events) == sorted(feed_uids)
        for event in events:
            session = sessions[feed_uids.index(str(event["UID"]))]
            db.session.refresh(session)
            assert int(event["SEQUENCE"]) == session.ical_sequence
            assert event["DTSTART"].dt == session.starts_at
            assert str(event["ATTENDEE"]) == f"mailto:{teacher.email}"
        assert mails[0].get_body(preferencelist=("html",)) is not None

    # Nothing is sent twice, however often the jobs run.
    count = len(smtp.received)
    run_jobs(app, scheduled=True)
    assert len(smtp.received) == count


def test_a_move_updates_the_event_and_a_cancellation_removes_it(app, make, api_as, world, smtp):
    (session,) = _ask_and_confirm(make, api_as, world, n=1)
    run_jobs(app, scheduled=True)
    smtp.received.clear()
    coordinator = api_as(world.coordinator)
    moved = coordinator.patch(
        f"/sessions/{session.id}",
        json={
            "starts_at": (session.starts_at + timedelta(hours=3)).isoformat(),
            "ends_at": (session.ends_at + timedelta(hours=3)).isoformat(),
        },
    )
    assert moved.status_code == 200, moved.get_json()
    run_jobs(app, scheduled=True)
    (mail,) = _to(smtp, world.teacher_a1.email)
    (calendar,) = _calendars(mail)
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST"
    db.session.refresh(session)
    assert int(event["SEQUENCE"]) == session.ical_sequence == 1
    assert event["DTSTART"].dt == session.starts_at
    assert any("日時・会場が変わりました" in _text(m) for m in _to(smtp, world.partner_a.email))

    # The instructor turns off change notices: a cancellation still comes.
    db.session.add(
        MailPreference(
            email=world.teacher_a1.email.lower(), locale="ja", off_kinds=["session_changed"]
        )
    )
    db.session.commit()
    assert not outbox.wants(world.teacher_a1.email, "session_changed")
    assert outbox.wants(world.teacher_a1.email, "session_cancelled")
    smtp.received.clear()
    assert (
        coordinator.post(
            f"/sessions/{session.id}/cancel", json={"reason": "台風のため"}
        ).status_code
        == 200
    )
    run_jobs(app, scheduled=True)
    (mail,) = _to(smtp, world.teacher_a1.email)
    (calendar,) = _calendars(mail)
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 2
    assert "台風のため" in _text(mail)


def test_the_reminder_two_days_before_once(app, make, api_as, world, smtp):
    (session,) = _ask_and_confirm(make, api_as, world, n=1)
    world.venue.accessibility_notes = "正面玄関にスロープがあります"
    learner = create_learner(
        {"name": "山田 花子", "furigana": "やまだ はなこ", "phone": "090-1234-5678"}
    )
    register(session, learner, source=RegistrationSource.PHONE)
    db.session.commit()
    run_jobs(app, scheduled=True)
    smtp.received.clear()

    with time_machine.travel(session.starts_at - timedelta(days=3), tick=False):
        queue_reminders()
        run_jobs(app, scheduled=True)
    assert smtp.received == []
    with time_machine.travel(
        session.starts_at - timedelta(days=2) + timedelta(minutes=5), tick=False
    ):
        queue_reminders()
        run_jobs(app, scheduled=True)
        queue_reminders()  # the next quarter hour: no second reminder
        run_jobs(app, scheduled=True)
    for teacher in (world.teacher_a1, world.teacher_a2):
        (mail,) = _to(smtp, teacher.email)
        text = _text(mail)
        assert "正面玄関にスロープがあります" in text
        assert "1人 / 定員8人" in text
        assert f"/sessions/{session.id}/checkin" in text
        assert text.count(world.venue.name) >= 1


def test_english_for_who_chose_it(app, make, api_as, world, smtp):
    db.session.add(MailPreference(email=world.teacher_a1.email.lower(), locale="en", off_kinds=[]))
    db.session.commit()
    _ask_and_confirm(make, api_as, world, n=1)
    run_jobs(app, scheduled=True)
    (mail,) = _to(smtp, world.teacher_a1.email)
    assert mail["Subject"].startswith("Assigned")
    (japanese,) = _to(smtp, world.teacher_a2.email)
    assert japanese["Subject"].startswith("担当の決定")


def test_no_mail_server_keeps_it_readable_in_the_outbox(app, make, api_as, world, client):
    app.config["MAIL_SERVER"] = ""
    _ask_and_confirm(make, api_as, world, n=1)
    run_jobs(app, scheduled=True)
    admin = make.user("admin")
    login(client, admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert world.teacher_a1.email in page
