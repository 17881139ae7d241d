"""E-mail through a real SMTP server on 127.0.0.1, read back as a mail client would: who got
what, batching, the invitation's METHOD, opt-outs, retries, never twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa
import time_machine
from icalendar import Calendar

from app.extensions import db
from app.jobs.queue import enqueue
from app.mail.models import MailMessage, MailState
from app.mail.outbox import locale_for, notify, wants
from app.mail.preferences import save
from app.timeutil import utcnow
from tests.conftest import login, run_jobs
from tests.mail.conftest import CANCEL, CHANGE, OTHER, invitation, parts, tell


def _messages():
    return db.session.scalars(sa.select(MailMessage).order_by(MailMessage.id)).all()


def test_one_notice_is_one_mail_with_text_html_and_the_invitation(app, make, smtp):
    start = utcnow() + timedelta(days=3)
    tell(ics=invitation("session-7@dekiru.test", start), batch=False)
    run_jobs(app)

    [got] = smtp.received
    assert got.recipients == ["yamada@example.jp"]
    assert got.sender == "dekiru@city.example.jp"
    mail = got.mail
    assert mail["Subject"] == "講座1が変更されました"
    assert mail["To"].addresses[0].display_name == "山田"
    assert mail["Message-ID"].endswith("@dekiru.test>")
    found = parts(mail)
    text = found["text/plain"][0].get_content()
    assert "講座1の時間が変わりました。" in text
    assert "通知の設定" in text
    assert "http://dekiru.test/mail/settings/" in text
    assert "講座1の時間が変わりました。" in found["text/html"][0].get_content()
    [ics] = found["text/calendar"]
    assert ics.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(ics.get_content())
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "session-7@dekiru.test"


def test_three_notices_in_the_window_are_one_mail_with_the_batch_subject(app, make, smtp):
    start = utcnow() + timedelta(days=3)
    for n in (1, 2, 3):
        tell(n=n, ics=invitation(f"session-{n}@dekiru.test", start + timedelta(days=7 * n)))
    tell(to="someone-else@example.jp")
    run_jobs(app)
    assert smtp.received == []  # the batch waits for its window to close
    run_jobs(app, scheduled=True)

    mine = [r for r in smtp.received if r.recipients == ["yamada@example.jp"]]
    assert len(mine) == 1
    assert len(smtp.received) == 2
    mail = mine[0].mail
    assert mail["Subject"] == "3件の講座が変更されました"
    text = parts(mail)["text/plain"][0].get_content()
    assert [text.index(f"講座{n}の時間") for n in (1, 2, 3)] == sorted(
        text.index(f"講座{n}の時間") for n in (1, 2, 3)
    )
    [ics] = parts(mail)["text/calendar"]
    calendar = Calendar.from_ical(ics.get_content())
    assert sorted(str(e["UID"]) for e in calendar.walk("VEVENT")) == [
        "session-1@dekiru.test",
        "session-2@dekiru.test",
        "session-3@dekiru.test",
    ]
    assert len(calendar.walk("VTIMEZONE")) == 1


def test_mixed_kinds_have_a_general_subject_and_one_invitation_per_method(app, make, smtp):
    start = utcnow() + timedelta(days=3)
    tell(n=1, ics=invitation("a@dekiru.test", start))
    tell(n=2, kind_name=CANCEL, ics=invitation("b@dekiru.test", start, method="CANCEL"))
    tell(n=3, kind_name=OTHER)
    run_jobs(app, scheduled=True)

    [got] = smtp.received
    assert got.mail["Subject"] == "3件のお知らせ"
    methods = {p.get_param("method"): p for p in parts(got.mail)["text/calendar"]}
    assert set(methods) == {"REQUEST", "CANCEL"}
    cancel = Calendar.from_ical(methods["CANCEL"].get_content())
    assert [str(e["UID"]) for e in cancel.walk("VEVENT")] == ["b@dekiru.test"]


def test_a_notice_after_the_window_starts_a_new_mail(app, make, smtp):
    tell(n=1)
    with time_machine.travel(utcnow() + timedelta(minutes=6), tick=False):
        tell(n=2)
    run_jobs(app, scheduled=True)
    subjects = sorted(r.mail["Subject"] for r in smtp.received)
    assert subjects == ["講座1が変更されました", "講座2が変更されました"]


def test_the_address_is_one_person_whatever_its_case(app, make, smtp):
    tell(to="Yamada@Example.jp", n=1)
    tell(to="yamada@example.jp", n=2)
    run_jobs(app, scheduled=True)
    assert len(smtp.received) == 1


def test_a_kind_turned_off_is_not_sent_but_a_cancellation_always_is(app, make, smtp):
    save("yamada@example.jp", locale="ja", receive=[OTHER])
    assert not wants("YAMADA@example.jp", CHANGE)
    assert wants("yamada@example.jp", CANCEL)
    assert tell(kind_name=CHANGE, batch=False) is None
    tell(kind_name=CANCEL, batch=False)
    run_jobs(app, scheduled=True)
    [got] = smtp.received
    assert got.mail["Subject"] == "講座1が変更されました"
    assert [m.notices[0].kind for m in _messages()] == [CANCEL]


def test_someone_who_chose_english_gets_the_mail_in_english(app, make, smtp):
    save("smith@example.jp", locale="en", receive=[CHANGE, OTHER])
    assert locale_for("Smith@example.jp") == "en"
    assert locale_for("nobody@example.jp") == "ja"
    for n in (1, 2):
        tell(to="smith@example.jp", n=n, kind_name=OTHER if n == 1 else CHANGE)
    run_jobs(app, scheduled=True)
    [got] = smtp.received
    assert got.mail["Subject"] == "2 notices"
    text = parts(got.mail)["text/plain"][0].get_content()
    assert "Notification settings" in text


def test_a_refusing_server_is_tried_again_and_the_mail_arrives_once(app, make, smtp):
    smtp.refuse = 2  # 451 twice
    tell(batch=False)
    run_jobs(app, scheduled=True)
    assert len(smtp.received) == 1
    [message] = _messages()
    assert message.state == MailState.SENT
    assert message.attempts == 3


def test_a_second_run_of_the_job_does_not_send_again(app, make, smtp):
    tell(batch=False)
    run_jobs(app)
    [message] = _messages()
    enqueue("mail_send", {"mail_id": message.id})  # a duplicate wake-up, a stray retry
    db.session.commit()
    run_jobs(app, scheduled=True)
    assert len(smtp.received) == 1


def test_a_mail_left_sending_by_a_dead_worker_is_not_resent_but_shown_failed(
    app, make, smtp, client
):
    tell(batch=False)
    [message] = _messages()
    # What a worker killed between the claim and the SMTP server's answer leaves behind.
    db.session.execute(
        sa.update(MailMessage).where(MailMessage.id == message.id).values(state="sending")
    )
    db.session.commit()
    run_jobs(app)
    assert smtp.received == []
    db.session.refresh(message)
    assert message.state == MailState.FAILED
    assert "届いている可能性" in message.error


def test_with_no_server_the_mail_is_held_and_can_be_read(app, make, client):
    tell(ics=invitation("s@dekiru.test", utcnow() + timedelta(days=1)), batch=False)
    run_jobs(app)
    [message] = _messages()
    assert message.state == MailState.HELD
    login(client, make.user("admin"))
    listing = client.get("/admin/mail").get_data(as_text=True)
    assert "講座1が変更されました" in listing
    assert "保留" in listing
    page = client.get(f"/admin/mail/{message.id}").get_data(as_text=True)
    assert "講座1の時間が変わりました。" in page
    ics = client.get(f"/admin/mail/{message.id}/request.ics")
    assert ics.status_code == 200
    assert "METHOD:REQUEST" in ics.get_data(as_text=True)
    assert client.get(f"/admin/mail/{message.id}/cancel.ics").status_code == 404


def test_a_mail_refused_for_good_is_shown_to_admins_on_top_and_can_be_sent_again(
    app, make, smtp, client
):
    smtp.unknown.add("gone@example.jp")
    tell(to="gone@example.jp", batch=False)
    tell(to="fine@example.jp", batch=False)
    run_jobs(app, scheduled=True)
    assert [r.recipients for r in smtp.received] == [["fine@example.jp"]]
    failed = db.session.scalar(sa.select(MailMessage).where(MailMessage.state == "failed"))
    assert failed.to_email == "gone@example.jp"
    assert "550" in failed.error
    assert failed.attempts == 1  # refused for good: not tried again

    login(client, make.user("admin"))
    listing = client.get("/admin/mail").get_data(as_text=True)
    assert "失敗: 1件" in listing
    top = listing.index("送れなかったメール")
    assert top < listing.index("fine@example.jp")
    assert "550 5.1.1 No such mailbox" in listing
    assert f'/admin/mail/{failed.id}/retry"' in listing

    smtp.unknown.clear()  # the mailbox was made; the admin sends again
    response = client.post(f"/admin/mail/{failed.id}/retry")
    assert response.status_code == 302
    run_jobs(app)
    assert [r.recipients for r in smtp.received][-1] == ["gone@example.jp"]
    db.session.refresh(failed)
    assert failed.state == MailState.SENT
    # A message that was sent cannot be "retried" into a second copy.
    assert client.post(f"/admin/mail/{failed.id}/retry").status_code == 404


def test_the_outbox_filters_by_state_and_refuses_an_unknown_one(app, make, client):
    tell(batch=False)
    tell(to="b@example.jp")  # still collecting
    run_jobs(app)
    login(client, make.user("admin"))
    held = client.get("/admin/mail?state=held").get_data(as_text=True)
    assert "yamada@example.jp" in held
    assert "b@example.jp" not in held
    collecting = client.get("/admin/mail?state=collecting").get_data(as_text=True)
    assert "b@example.jp" in collecting
    wrong = client.get("/admin/mail?state=lost")
    assert wrong.status_code == 400
    assert "lost" in wrong.get_data(as_text=True)


def test_only_admins_reach_the_outbox(app, make, client):
    tell(batch=False)
    [message] = _messages()
    assert client.get("/admin/mail").status_code == 302  # to the login page
    login(client, make.user("coordinator"))
    assert client.get("/admin/mail").status_code == 403
    assert client.get(f"/admin/mail/{message.id}").status_code == 403
    assert client.post(f"/admin/mail/{message.id}/retry").status_code == 403


def test_the_server_login_is_used_when_a_username_is_set(app, make, smtp):
    app.config.update(MAIL_USERNAME="dekiru", MAIL_PASSWORD="s3cret")
    tell(batch=False)
    run_jobs(app)
    assert smtp.logins == ["dekiru"]
    assert len(smtp.received) == 1


def test_a_server_that_is_down_is_retried_then_the_mail_shown_failed(app, make, smtp):
    app.config.update(MAIL_PORT=1, JOB_ATTEMPTS=2)  # nothing listens there
    tell(batch=False)
    run_jobs(app, scheduled=True)
    [message] = _messages()
    assert message.state == MailState.FAILED
    assert message.attempts == 2
    assert "メールサーバーにつながりません" in message.error


def test_a_change_rolled_back_sends_nothing(app, make, smtp):
    notify(to_email="a@example.jp", to_name="A", kind=CHANGE, subject="s", text="t", batch=False)
    db.session.rollback()
    run_jobs(app, scheduled=True)
    assert smtp.received == []
    assert _messages() == []


def test_notify_works_from_inside_a_flush(app, make, smtp):
    """The staffing area tells people from an after_flush listener, where the session may not
    be used (SAWarnings are errors in the tests)."""
    session = db.session()

    def tell_in_flush(flushing, _context):
        for row in flushing.new:
            if getattr(row, "email", None):
                notify(
                    to_email=row.email,
                    to_name=row.name,
                    kind=CHANGE,
                    subject="アカウントができました",
                    text="ようこそ",
                    session=flushing,
                )

    sa.event.listen(session, "after_flush", tell_in_flush)
    try:
        make.user("instructor", email="new@example.jp", name="新人")
    finally:
        sa.event.remove(session, "after_flush", tell_in_flush)
    run_jobs(app, scheduled=True)
    [got] = smtp.received
    assert got.recipients == ["new@example.jp"]
    assert got.mail["Subject"] == "アカウントができました"


def test_two_changes_at_once_for_one_person_make_one_batch(app, make, smtp):
    """Two transactions adding a notice for the same person at the same moment (two
    coordinators, two servers): the second waits for the first's batch and joins it."""
    first_added, second_started = threading.Event(), threading.Event()

    def first():
        with app.app_context():
            notify(
                to_email="yamada@example.jp", to_name="山田", kind=CHANGE, subject="1", text="一"
            )
            first_added.set()
            second_started.wait(5)
            time.sleep(0.3)  # the second is now waiting on this batch's row or key
            db.session.commit()

    def second():
        first_added.wait(5)
        with app.app_context():
            second_started.set()
            tell(n=2)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    [message] = _messages()
    assert message.notice_count == 2
    run_jobs(app, scheduled=True)
    [got] = smtp.received
    assert got.mail["Subject"] == "2件の講座が変更されました"
