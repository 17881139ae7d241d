"""The printed certificate (修了証): what it says, for one learner or a whole class, and the
course it suggests next with that course's next public classes and the phone to sign up."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.core.models import AuditEntry
from app.extensions import db
from app.scheduling.next_course import next_course
from app.timeutil import japan_today
from tests.certificates.conftest import held
from tests.checkin.support import learner
from tests.conftest import login
from tests.querycount import count_queries


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _follows(make, slug, title, prerequisites):
    course = make.course(slug=slug, title=title, skills=("a",))
    course.current_version.prerequisites = prerequisites
    db.session.commit()
    return course


def _upcoming(make, course, days, **extra):
    return make.session(course=course, day=japan_today() + timedelta(days=days), **extra)


def test_the_certificate_names_the_learner_course_day_city_and_next_course(
    app, make, classes, client, tick
):
    app.config.update(CITY_NAME="さくら市", HELP_PHONE="0120-987-654")
    line = _follows(make, "line-basics", "LINE入門", ["smartphone-basics"])
    _upcoming(make, line, 10, venue=make.venue(name="北公民館"))
    later = _upcoming(make, line, 20)
    _upcoming(make, line, 5, public=False)  # not for the public: never suggested
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap", "camera"]})

    page = _text(client.get(f"/learners/{classes.hanako.id}/certificates/smartphone-basics"))
    assert "修了証" in page
    assert "やまだ はなこ" in page
    assert "山田 花子" in page
    assert "スマホ基本" in page
    assert "さくら市" in page
    assert "LINE入門" in page
    assert "0120-987-654" in page
    assert page.count("<li>") == 2  # the two public classes, soonest first
    assert page.index("北公民館") < page.index(later.venue.name)
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "personal_data.downloaded", AuditEntry.subject_type == "learner"
        )
    )


def test_next_course_prefers_the_one_with_the_soonest_public_class(make, classes):
    camera = _follows(make, "phone-camera-photos", "カメラ", ["smartphone-basics"])
    line = _follows(make, "line-basics", "LINE入門", ["smartphone-basics"])
    _follows(make, "association-digital", "自治会", ["line-basics"])
    cancelled = _upcoming(make, camera, 3)
    cancelled.status = "cancelled"
    _upcoming(make, camera, 30)
    first_line = _upcoming(make, line, 14)
    db.session.commit()

    version, sessions = next_course(classes.course)
    assert version is not None
    assert version.slug == "line-basics"
    assert [s.id for s in sessions] == [first_line.id]


def test_next_course_without_classes_coming_still_names_a_course(make, classes):
    _follows(make, "smartphone-safety", "安全", ["smartphone-basics"])
    _follows(
        make, "cashless-payments", "キャッシュレス", ["smartphone-basics", "smartphone-safety"]
    )
    version, sessions = next_course(classes.course)
    assert version is not None
    assert version.slug == "smartphone-safety"
    assert sessions == []
    last = _follows(make, "last-course", "最後", [])
    assert next_course(last) == (None, [])


def test_a_class_prints_the_certificates_of_those_who_completed_in_it(make, classes, client, tick):
    login(client, classes.teacher)
    early = learner("鈴木 一", "すずき はじめ")
    later = held(make, classes.course, classes.teacher, [early], 3)
    tick(later, {early: ["power", "tap", "camera"]})
    tick(classes.first, {classes.hanako: ["power", "tap"], classes.taro: ["power"]})
    tick(classes.second, {classes.hanako: ["camera"], classes.taro: ["tap"]})

    session_page = _text(client.get(f"/sessions/{classes.second.id}"))
    assert "修了証を印刷(1人)" in session_page
    page = _text(client.get(f"/sessions/{classes.second.id}/certificates"))
    assert page.count('class="certificate ') == 1
    assert "山田 花子" in page
    assert "佐藤 太郎" not in page
    assert "鈴木 一" not in page  # completed in another class
    nobody = _text(client.get(f"/sessions/{classes.first.id}/certificates"))
    assert "印刷する修了証はありません" in nobody
    assert "修了証を印刷(" not in _text(client.get(f"/sessions/{classes.first.id}"))


def test_a_certificate_speaks_its_holders_language(make, classes, client, tick):
    classes.hanako.language = "en"
    db.session.commit()
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap", "camera"]})
    page = _text(client.get(f"/learners/{classes.hanako.id}/certificates/smartphone-basics"))
    assert "Certificate of completion" in page
    assert "修了証</h2>" not in page  # the certificate itself is all in English


def test_an_unknown_paper_or_course_is_named(classes, client, tick):
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap", "camera"]})
    url = f"/learners/{classes.hanako.id}/certificates/smartphone-basics"
    wrong = client.get(f"{url}?paper=b4")
    assert wrong.status_code == 400
    assert "paper" in _text(wrong)
    assert "b4" in _text(wrong)
    assert client.get(f"{url}?paper=a5").status_code == 200
    missing = client.get(f"/learners/{classes.taro.id}/certificates/smartphone-basics")
    assert missing.status_code == 404
    assert "smartphone-basics" in _text(missing)


def test_another_instructor_may_not_print_a_class_they_do_not_teach(make, classes, client, tick):
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap", "camera"]})
    login(client, make.user("instructor"))
    assert client.get(f"/sessions/{classes.first.id}/certificates").status_code == 404
    url = f"/learners/{classes.hanako.id}/certificates/smartphone-basics"
    assert client.get(url).status_code == 404


def test_a_class_of_many_prints_in_as_many_queries_as_a_class_of_one(make, client, tick):
    teacher = make.user("instructor")
    course = make.course(slug="smartphone-basics", title="スマホ基本", skills=("power", "tap"))
    _follows(make, "line-basics", "LINE入門", ["smartphone-basics"])
    one = learner("一人 目", "ひとり め")
    many = [learner(f"受講者 {i}", f"じゅこうしゃ {kana}") for i, kana in enumerate("あいうえおか")]
    small = held(make, course, teacher, [one], 2)
    large = held(make, course, teacher, many, 1, capacity=10)
    login(client, teacher)
    tick(small, {one: ["power", "tap"]})
    tick(large, {person: ["power", "tap"] for person in many})

    def printing(session):
        return lambda: client.get(f"/sessions/{session.id}/certificates")

    assert _text(printing(large)()).count('class="certificate ') == 6
    assert count_queries(printing(large)) == count_queries(printing(small))


def test_the_certificate_skips_a_next_course_its_holder_completed(make, classes, client, tick):
    line = _follows(make, "line-basics", "LINE入門", ["smartphone-basics"])
    association = _follows(make, "association-digital", "自治会のデジタル化", ["line-basics"])
    _upcoming(make, line, 5)
    _upcoming(make, association, 12, venue=make.venue(name="西公民館"))
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap", "camera"], classes.taro: ["power"]})
    # Hanako took LINE入門 too (before finishing the basics' certificate is printed).
    line_class = held(make, line, classes.teacher, [classes.hanako, classes.taro], 3)
    tick(line_class, {classes.hanako: ["a"], classes.taro: ["a"]})

    page = _text(client.get(f"/learners/{classes.hanako.id}/certificates/smartphone-basics"))
    assert "つぎの おすすめ講座: <strong>自治会のデジタル化</strong>" in page
    assert "西公民館" in page
    version, _sessions = next_course(classes.course)  # without what she completed: LINE入門
    assert version is not None
    assert version.slug == "line-basics"

    # Having completed the course after it as well, nothing is left to suggest.
    later = held(make, association, classes.teacher, [classes.hanako], 2)
    tick(later, {classes.hanako: ["a"]})
    page = _text(client.get(f"/learners/{classes.hanako.id}/certificates/smartphone-basics"))
    assert "おすすめ講座" not in page
    assert "certificate-phone-number" in page  # the phone to ask is still there


def test_a_partner_s_certificate_does_not_skip_what_another_partner_s_class_recorded(
    make, classes, client, tick
):
    ours, theirs = make.org(slug="npo-ours"), make.org(slug="npo-theirs")
    line = _follows(make, "line-basics", "LINE入門", ["smartphone-basics"])
    _follows(make, "association-digital", "自治会のデジタル化", ["line-basics"])
    basics = held(make, classes.course, classes.teacher, [classes.hanako], 4, partner_org=ours.slug)
    elsewhere = held(make, line, classes.teacher, [classes.hanako], 3, partner_org=theirs.slug)
    login(client, classes.teacher)
    tick(basics, {classes.hanako: ["power", "tap", "camera"]})
    tick(elsewhere, {classes.hanako: ["a"]})
    url = f"/learners/{classes.hanako.id}/certificates/smartphone-basics"

    login(client, make.user("coordinator"))
    assert "<strong>自治会のデジタル化</strong>" in _text(client.get(url))
    # Our partner knows nothing of the other partner's class: LINE入門 is still the next.
    login(client, make.user("partner", org=ours))
    page = _text(client.get(url))
    assert "<strong>LINE入門</strong>" in page
    assert "自治会" not in page
