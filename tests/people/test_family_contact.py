"""A learner's family contact: kept on the learner's page, and told by e-mail two days before
each class (through the outbox, once per registration) when there is an address and consent;
the call list shows that it went."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from app.extensions import db
from app.people.confirmation_jobs import queue_family_reminders
from app.people.learners import create_learner
from app.people.registration import register
from app.timeutil import japan_today, local
from tests.conftest import login, run_jobs
from tests.smtp import smtp  # noqa: F401  (the fixture)

FAMILY = {
    "name": "山田 一郎",
    "relation": "長男",
    "phone": "０８０－９９９９－８８８８",
    "email": "ichiro@example.jp",
    "consent": "y",
}


def _hanako():
    return create_learner({"name": "山田 花子", "furigana": "やまだ はなこ", "consent": True})


def test_the_family_contact_is_kept_on_the_learners_page(make, client):
    hanako = _hanako()
    login(client, make.user("coordinator"))
    answer = client.post(f"/learners/{hanako.id}/family", data=FAMILY)
    assert answer.status_code == 302
    page = client.get(f"/learners/{hanako.id}").get_data(as_text=True)
    assert "山田 一郎(長男)" in page
    assert "080-9999-8888" in page
    assert "ichiro@example.jp" in page
    assert "講座の2日前にメールでお知らせ" in page

    wrong = client.post(
        f"/learners/{hanako.id}/family",
        data={"name": "", "email": "ichiro@", "consent": "y"},
    )
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert "メールアドレスの形式で入力してください" in page
    no_way = client.post(
        f"/learners/{hanako.id}/family", data={"name": "山田 一郎", "consent": "y"}
    )
    assert no_way.status_code == 422
    assert "電話番号かメールアドレスを入力してください" in no_way.get_data(as_text=True)

    client.post(f"/learners/{hanako.id}/family", data={})
    assert "登録されていません" in client.get(f"/learners/{hanako.id}").get_data(as_text=True)


def test_the_family_hears_two_days_before_once(app, make, client, smtp):  # noqa: F811
    hanako, taro = _hanako(), create_learner({"name": "佐藤 太郎", "furigana": "さとう たろう"})
    coordinator = make.user("coordinator")
    login(client, coordinator)
    client.post(f"/learners/{hanako.id}/family", data=FAMILY)
    # Without consent, nobody is told.
    client.post(
        f"/learners/{taro.id}/family", data={"name": "佐藤 次郎", "email": "jiro@example.jp"}
    )
    venue = make.venue(name="中央公民館")
    venue.accessibility_notes = "正面玄関にスロープがあります"
    session = make.session(venue=venue, day=japan_today() + timedelta(days=10))
    register(session, hanako, source="phone")
    register(session, taro, source="phone")
    db.session.commit()
    run_jobs(app, scheduled=True)
    smtp.received.clear()

    with time_machine.travel(session.starts_at - timedelta(days=2, minutes=10), tick=False):
        queue_family_reminders()
        run_jobs(app, scheduled=True)
    assert smtp.received == []
    with time_machine.travel(session.starts_at - timedelta(days=2) + timedelta(minutes=5)):
        queue_family_reminders()
        run_jobs(app, scheduled=True)
        queue_family_reminders()  # the next quarter hour: nothing more
        run_jobs(app, scheduled=True)
        (mail,) = [r.mail for r in smtp.received]
        assert [r.recipients for r in smtp.received] == [["ichiro@example.jp"]]
        text = mail.get_body(preferencelist=("plain",)).get_content()
        assert "山田 花子さんのスマホ講座が近づいています" in text
        assert "中央公民館" in text
        assert "正面玄関にスロープがあります" in text
        assert app.config["HELP_PHONE"] in text

        day = local(session.starts_at).date()
        page = client.get(f"/calls?date={day.isoformat()}").get_data(as_text=True)
    assert page.count("ご家族にお知らせ済み") == 1
    assert "ご家族: 山田 一郎(長男) 080-9999-8888" in page
