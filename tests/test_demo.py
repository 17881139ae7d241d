"""The demo city: `flask --app app demo-data` on the real curricula."""

from __future__ import annotations

import stat
import subprocess
import sys
from datetime import time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from icalendar import Calendar

from app.auth.models import User
from app.certificates.completions import completed_at
from app.checkin.models import SkillReached
from app.config import REPO_ROOT
from app.curricula.loader import load_directory
from app.curricula.models import Course, CourseVersion, QuestionKind
from app.extensions import db
from app.fiscal import FiscalYear
from app.mail.models import MailMessage, MailNotice, MailState
from app.orgs.models import InstructorCourse, Organization
from app.people.models import (
    CallOutcome,
    ConfirmationCall,
    FamilyContact,
    Learner,
    Registration,
    RegistrationStatus,
)
from app.reports import call_figures
from app.reports.filters import ReportFilter
from app.scheduling.models import (
    Series,
    Session,
    SessionStaff,
    SessionStatus,
    StaffRole,
    Venue,
    held_clause,
)
from app.scheduling.next_course import next_course
from app.staffing.jobs import queue_reminders
from app.staffing.models import StaffingOffer, StaffingRequest
from app.surveys import results
from app.surveys.models import AnswerSource, SurveyAnswer
from app.surveys.services import questions_for
from app.timeutil import from_local, japan_today, local, utcnow
from demo.city import read_logins
from demo.journey import tomorrows_class
from tests.conftest import run_jobs

DEMO_ORGS = {
    "city-hall",
    "npo-tsunagu",
    "npo-egao-digital",
    "carrier-ekimae",
    "jichikai-midorigaoka",
}


@pytest.fixture
def demo_app(app, tmp_path):
    # Demo passwords go to the instance folder; a test must never touch the developer's.
    app.instance_path = str(tmp_path / "instance")
    return app


@pytest.fixture
def curricula(demo_app):
    with demo_app.app_context():
        load_directory(REPO_ROOT / "curricula")


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _counts() -> dict[str, int]:
    return {m.__tablename__: _count(m) for m in (Organization, User, Venue, Session, Series)}


def _logins_file(app) -> Path:
    return Path(app.instance_path) / "demo-logins.txt"


def _build(app, *args):
    result = app.test_cli_runner().invoke(args=["demo-data", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_data_builds_a_believable_city(demo_app, curricula):
    output = _build(demo_app)
    with demo_app.app_context():
        orgs = {o.slug: o for o in db.session.scalars(sa.select(Organization))}
        assert set(orgs) == DEMO_ORGS
        assert orgs["city-hall"].kind == "municipality"
        assert orgs["carrier-ekimae"].kind == "carrier"

        venues = list(db.session.scalars(sa.select(Venue)))
        assert len(venues) == 6
        assert len({v.district for v in venues}) == 4
        assert all(2 <= v.capacity <= 20 for v in venues)
        assert min(v.capacity for v in venues) == 2  # the carrier shop's counter

        # The eight weeks planned from this Monday (their past is tested in test_demo_history).
        today = japan_today()
        monday = from_local(today - timedelta(days=today.weekday()), time(0, 0))
        ahead = list(db.session.scalars(sa.select(Session).where(Session.starts_at >= monday)))
        # Eight weeks planned, then next month's series still to staff (no one teaches it).
        plan_end = monday + timedelta(weeks=8)
        sessions = [s for s in ahead if s.starts_at < plan_end]
        to_staff = [s for s in ahead if s.starts_at >= plan_end]
        assert len(to_staff) == 4
        assert all(not s.staff and s.partner_org_id is None for s in to_staff)
        assert 50 <= len(sessions) <= 70
        first_day = min(local(s.starts_at).date() for s in sessions)
        last_day = max(local(s.starts_at).date() for s in sessions)
        today = japan_today()
        assert first_day >= today - timedelta(days=today.weekday())
        assert (last_day - first_day).days < 8 * 7
        assert len({s.course_version.course.slug for s in sessions}) == 12

        cancelled = [s for s in sessions if s.status == SessionStatus.CANCELLED]
        assert 1 <= len(cancelled) <= 6
        assert all(s.cancel_reason for s in cancelled)
        assert any("台風" in s.cancel_reason for s in cancelled)
        warned = [s for s in sessions if s.warnings]
        assert any("no_instructor" in s.warnings for s in warned)
        assert len(warned) < len(sessions) / 4
        assert _count(Series) >= 3

        carrier = [s for s in sessions if s.partner_org and s.partner_org.kind == "carrier"]
        assert carrier
        assert all(s.delivery_type == "nationwide" for s in carrier)
        assert all(s.capacity <= s.venue.capacity for s in sessions)

        roles = {u.role for u in db.session.scalars(sa.select(User))}
        assert roles == {"admin", "coordinator", "instructor", "partner"}
        partner_orgs = {
            u.org.slug for u in db.session.scalars(sa.select(User).where(User.role == "partner"))
        }
        assert partner_orgs == DEMO_ORGS - {"city-hall"}
    assert "tanaka.makoto@city.wakaba.example.jp" in output


def test_a_demo_partners_page_lists_what_each_instructor_teaches(demo_app, curricula):
    _build(demo_app)
    with demo_app.app_context():
        tsunagu = db.session.scalar(
            sa.select(Organization).where(Organization.slug == "npo-tsunagu")
        )
        instructors = list(
            db.session.scalars(
                sa.select(User).where(User.org_id == tsunagu.id, User.role == "instructor")
            )
        )
        # Each instructor can teach every class the plan gives them, as a coordinator sets it.
        for user in instructors:
            planned = set(
                db.session.scalars(
                    sa.select(Course.slug)
                    .join(CourseVersion, CourseVersion.course_id == Course.id)
                    .join(Session, Session.course_version_id == CourseVersion.id)
                    .join(SessionStaff, SessionStaff.session_id == Session.id)
                    .where(SessionStaff.user_id == user.id, Session.starts_at >= utcnow())
                )
            )
            teaches = set(
                db.session.scalars(
                    sa.select(Course.slug)
                    .join(InstructorCourse, InstructorCourse.course_id == Course.id)
                    .where(InstructorCourse.user_id == user.id)
                )
            )
            assert planned <= teaches, user.name
        partner = db.session.scalar(
            sa.select(User).where(User.email == "ito.yoko@tsunagu.example.jp")
        )
        logins = {email: password for email, (_r, password, _n) in read_logins().items()}
    client = demo_app.test_client()
    response = client.post(
        "/login", data={"email": partner.email, "password": logins[partner.email]}
    )
    assert response.status_code == 302
    page = client.get(f"/orgs/{tsunagu.id}").get_data(as_text=True)
    staff = page[page.index('id="staff"') : page.index('id="sessions"')]
    assert len(instructors) == 3
    for user in instructors:
        assert user.name in staff
    assert "未登録" not in staff
    assert "スマートフォンの基本操作" in staff


def test_no_venue_or_person_is_booked_twice(demo_app, curricula):
    _build(demo_app)
    with demo_app.app_context():
        venue_clashes = db.session.execute(
            sa.text(
                """
                SELECT a.id, b.id FROM sessions a JOIN sessions b
                  ON a.venue_id = b.venue_id AND a.id < b.id
                 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
                WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
                """
            )
        ).all()
        staff_clashes = db.session.execute(
            sa.text(
                """
                SELECT a.id, b.id FROM sessions a
                  JOIN session_staff sa_ ON sa_.session_id = a.id
                  JOIN session_staff sb ON sb.user_id = sa_.user_id
                  JOIN sessions b ON b.id = sb.session_id AND a.id < b.id
                 WHERE a.starts_at < b.ends_at AND b.starts_at < a.ends_at
                   AND a.status <> 'cancelled' AND b.status <> 'cancelled'
                """
            )
        ).all()
        staffed = db.session.scalar(sa.text("SELECT count(*) FROM session_staff"))
    assert venue_clashes == []
    assert staff_clashes == []
    assert staffed > 50


def test_the_logins_are_printed_with_random_passwords_kept_outside_the_repository(
    demo_app, curricula
):
    output = _build(demo_app)
    path = _logins_file(demo_app)
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = [line.split("\t") for line in path.read_text().splitlines() if line[0] != "#"]
    assert len(rows) >= 10
    with demo_app.app_context():
        for email, role, password, _name in rows:
            user = db.session.scalar(sa.select(User).where(User.email == email))
            assert user.role == role
            assert user.check_password(password)
            assert email in output
            assert password in output
    assert str(path) in output


def test_a_second_run_adds_nothing_and_prints_the_same_logins(demo_app, curricula):
    first = _build(demo_app)
    with demo_app.app_context():
        before = _counts()
    second = _build(demo_app)
    with demo_app.app_context():
        assert _counts() == before
    assert "何も追加していません" in second
    assert first.splitlines()[1:] == second.splitlines()[1:]


def test_if_empty_leaves_a_database_with_organizations_alone(demo_app, curricula, make):
    make.org(slug="my-own-npo")
    output = _build(demo_app, "--if-empty")
    assert _count(Session) == 0
    assert _count(Organization) == 1
    assert "デモの街は作りませんでした" in output


def test_if_empty_builds_into_an_empty_database(demo_app, curricula):
    _build(demo_app, "--if-empty")
    with demo_app.app_context():
        assert _count(Organization) == 5
        assert _count(Session) >= 50


def test_without_curricula_the_demo_stops_and_says_what_to_run(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code != 0
    assert "flask --app app load-curricula" in result.output
    with demo_app.app_context():
        assert _count(Organization) == 0
    assert not _logins_file(demo_app).exists()


def test_the_app_never_loads_the_demo_package():
    """demo/ is seed tooling beside the app: only the demo-data command imports it, when run.

    In a fresh interpreter: the test run imports demo itself.
    """
    code = (
        "import sys\n"
        "from app import create_app\n"
        "create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 't'})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'demo'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_staffing_walk_through_in_the_demo(demo_app, curricula):
    """The issue's "done when", on the demo city with no mail server: the coordinator asks two
    NPOs to staff next month's series, つなぐ's partner user offers two instructors, the
    coordinator confirms on the board; the outbox holds each instructor's invitation, and two
    days before the first class their reminder."""
    _build(demo_app)
    with demo_app.app_context():
        logins = {e: (role, password) for e, (role, password, _n) in read_logins().items()}

    def client_of(role_or_email: str):
        email = next(
            (e for e, (role, _p) in logins.items() if role == role_or_email), role_or_email
        )
        client = demo_app.test_client()
        answer = client.post("/login", data={"email": email, "password": logins[email][1]})
        assert answer.status_code == 302
        return client

    with demo_app.app_context():
        plan_end = from_local(japan_today() + timedelta(weeks=9), time(0, 0))
        series = db.session.scalars(
            sa.select(Series).join(Session).where(Session.starts_at >= plan_end)
        ).first()
        sessions = [s.id for s in series.sessions]
        orgs = {o.slug: o.id for o in db.session.scalars(sa.select(Organization))}
        teachers = {
            u.email: u.id
            for u in db.session.scalars(sa.select(User).where(User.org_id == orgs["npo-tsunagu"]))
        }
    coordinator = client_of("coordinator")
    form = coordinator.get("/staffing/requests/new", query_string={"series_id": series.id})
    assert "NPO法人つなぐ" in form.get_data(as_text=True)
    sent = coordinator.post(
        "/staffing/requests/new",
        data={
            "series_id": series.id,
            "session_id": [str(i) for i in sessions],
            "orgs": ["npo-tsunagu", "npo-egao-digital"],
            "instructors": "2",
            "assistants": "0",
            "respond_by": (japan_today() + timedelta(days=7)).isoformat(),
        },
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)

    partner = client_of("ito.yoko@tsunagu.example.jp")
    page = partner.get(f"/orgs/{orgs['npo-tsunagu']}/requests").get_data(as_text=True)
    assert f"返事を待っている依頼({len(sessions)}件)" in page
    two = [
        teachers["yamamoto.kazuko@tsunagu.example.jp"],
        teachers["nakamura.koji@tsunagu.example.jp"],
    ]
    with demo_app.app_context():
        asked = db.session.scalars(
            sa.select(StaffingRequest).where(StaffingRequest.org_id == orgs["npo-tsunagu"])
        ).all()
        asked_ids = [r.id for r in asked]
    for request_id in asked_ids:
        offered = partner.post(
            f"/orgs/{orgs['npo-tsunagu']}/requests/{request_id}/offer",
            data={"instructor_ids": [str(i) for i in two]},
        )
        assert offered.status_code == 302

    board = coordinator.get("/staffing").get_data(as_text=True)
    assert f"決定を待っている申し出({len(sessions)}件)" in board
    with demo_app.app_context():
        offers = db.session.scalars(
            sa.select(StaffingOffer.id).where(StaffingOffer.request_id.in_(asked_ids))
        ).all()
    for offer_id in offers:
        assert coordinator.post(f"/staffing/offers/{offer_id}/confirm").status_code == 302
    run_jobs(demo_app, scheduled=True)

    admin = client_of("admin")
    with demo_app.app_context():
        (mail,) = db.session.scalars(
            sa.select(MailMessage)
            .where(MailMessage.to_email == "yamamoto.kazuko@tsunagu.example.jp")
            .where(MailMessage.ics_request.is_not(None))
            .order_by(MailMessage.id.desc())
            .limit(1)
        ).all()
        assert mail.state == MailState.HELD
        events = Calendar.from_ical(mail.ics_request).walk("VEVENT")
        uids = {str(e["UID"]) for e in events}
        assert all(any(u.startswith(f"session-{i}@") for u in uids) for i in sessions)
        first = db.session.get(Session, sessions[0])
        first_start = first.starts_at
    outbox = admin.get("/admin/mail").get_data(as_text=True)
    assert "yamamoto.kazuko@tsunagu.example.jp" in outbox
    assert admin.get(f"/admin/mail/{mail.id}/REQUEST.ics").status_code == 200

    with time_machine.travel(first_start - timedelta(days=2) + timedelta(minutes=10), tick=False):
        with demo_app.app_context():
            queue_reminders()
        run_jobs(demo_app, scheduled=True)
        with demo_app.app_context():
            reminded = db.session.scalars(
                sa.select(MailNotice.mail_id).where(
                    MailNotice.kind == "reminder", MailNotice.about == f"session-{sessions[0]}"
                )
            ).all()
            people = set(
                db.session.scalars(
                    sa.select(MailMessage.to_email).where(MailMessage.id.in_(reminded))
                )
            )
    assert people == {"yamamoto.kazuko@tsunagu.example.jp", "nakamura.koji@tsunagu.example.jp"}


# ---------------------------------------------------------------- issue 16 on the demo


def _client_of(app, email: str):
    with app.app_context():
        password = read_logins()[email][1]
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302
    return client


def _instructor_with_login(session: Session) -> str | None:
    logins = read_logins()
    return next(
        (
            s.user.email
            for s in session.staff
            if s.role == StaffRole.INSTRUCTOR and s.user.email in logins
        ),
        None,
    )


COORDINATOR = "sato.misaki@city.wakaba.example.jp"


def _by_status(session: Session, status: str) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.session_id == session.id, Registration.status == status)
            .order_by(Registration.queued_at, Registration.id)
        )
    )


def test_the_learners_way_through_in_the_demo(demo_app, curricula):
    """Issue 16's "done when", on the demo city: a volunteer prints tomorrow's call list,
    records one cancellation and finds the first waitlisted on the list to be called; the
    instructor of a class just held types in eight paper surveys; this 年度's satisfaction
    by course is there; a learner who reached every skill of スマホ基本 over two classes has a
    certificate naming the next course."""
    _build(demo_app)
    run_jobs(demo_app)  # the worker: the family reminders due (two days before) go out
    with demo_app.app_context():
        tomorrow = tomorrows_class()
        assert tomorrow is not None
        registered = _by_status(tomorrow, RegistrationStatus.REGISTERED)
        waiting = _by_status(tomorrow, RegistrationStatus.WAITLISTED)
        assert len(registered) == tomorrow.capacity  # full,
        assert len(waiting) >= 2  # with people waiting for a seat
        called = set(db.session.scalars(sa.select(ConfirmationCall.registration_id)))
        uncalled = [r for r in registered if r.id not in called]
        assert uncalled
        assert len(uncalled) < len(registered)
        cancelling, first_waiting = uncalled[0], waiting[0]
        names = [r.learner.name for r in registered]
        promoted_name = first_waiting.learner.name
        title = tomorrow.course_version.title
        volunteer = _instructor_with_login(tomorrow) or COORDINATOR
    client = _client_of(demo_app, volunteer)
    day = (japan_today() + timedelta(days=1)).isoformat()

    page = client.get("/calls").get_data(as_text=True)  # tomorrow's, by default
    assert title in page
    assert all(name in page for name in names)
    assert promoted_name not in page  # waiting, not called yet
    assert "ご家族にお知らせ済み" in page  # a family reminder went through the outbox
    printed = client.get("/calls/print", query_string={"date": day})
    assert printed.status_code == 200
    assert all(name in printed.get_data(as_text=True) for name in names)

    answer = client.post(f"/calls/{cancelling.id}", data={"outcome": "cancelled", "date": day})
    assert answer.status_code == 303
    assert answer.location.endswith(f"#reg-{first_waiting.id}")
    page = client.get(answer.location.split("#")[0]).get_data(as_text=True)
    group = page[page.index(f'id="call-group-{tomorrow.id}"') :]
    group = group[: group.find("</section>")]
    assert f'id="reg-{first_waiting.id}"' in group
    assert promoted_name in group
    assert "欠席(申し込みを取り消しました)" in group
    with demo_app.app_context():
        assert db.session.get(Registration, first_waiting.id).status == "registered"

    # After the class: its instructor types in eight papers.
    with demo_app.app_context():
        answered = sa.select(SurveyAnswer.session_id)
        held = [
            s
            for s in db.session.scalars(
                sa.select(Session)
                .where(held_clause(utcnow()), Session.id.not_in(answered))
                .order_by(Session.starts_at.desc(), Session.id.desc())
            )
            if _instructor_with_login(s)
        ]
        assert held
        session, teacher = held[0], _instructor_with_login(held[0])
        questions = questions_for(session)
    typed = {
        QuestionKind.SCALE: "45345344",
        QuestionKind.YES_NO: "ynyynyyn",
        QuestionKind.CHOICE: "12345612",
    }
    grid: dict[str, str] = {}
    for i in range(8):
        grid[f"rows-{i}-sheet"] = ""
        grid[f"rows-{i}-name"] = ""
        for q in questions:
            keys = typed.get(q.kind)
            grid[f"rows-{i}-q{q.number}"] = (
                keys[i] if keys else ("よくわかりました" if i == 0 else "")
            )
    instructor = _client_of(demo_app, teacher)
    url = f"/sessions/{session.id}/survey/entry"
    assert instructor.get(url).status_code == 200
    saved = instructor.post(url, data=grid)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with demo_app.app_context():
        papers = db.session.scalars(
            sa.select(SurveyAnswer).where(SurveyAnswer.session_id == session.id)
        ).all()
        assert len(papers) == 8
        assert {a.source for a in papers} == {AnswerSource.PAPER}

    # The dashboard: this 年度's satisfaction by course (at the very start of a 年度, the
    # one just ended: the demo's surveys are of the weeks before this one).
    with demo_app.app_context():
        latest = db.session.scalar(
            sa.select(Session.starts_at)
            .join(SurveyAnswer, SurveyAnswer.session_id == Session.id)
            .where(SurveyAnswer.source == AnswerSource.PHONE)
            .order_by(Session.starts_at.desc())
            .limit(1)
        )
        year = FiscalYear.of(latest)
        if FiscalYear.of_day(japan_today()) != year:
            assert (japan_today() - local(latest).date()).days < 70
        by_course = results.breakdown(results.in_year(year)).by_course
        lines = [line for line in by_course if line.satisfaction_mean is not None]
        assert len(lines) >= 5
        means = [line.satisfaction_mean for line in lines]
        assert all(1 <= m <= 5 for m in means)  # a 1–5 scale; few answers may lean low
        assert max(means) - min(means) >= 0.5  # some courses please more than others
        shown = {line.label for line in lines}
    view = _client_of(demo_app, COORDINATOR).get(
        "/reports/", query_string={"year": year.year, "view": "surveys"}
    )
    assert view.status_code == 200
    assert all(title in view.get_data(as_text=True) for title in shown)

    # A learner who reached every skill of スマホ基本 over two classes: a 修了証 naming the
    # next course, with its next public class.
    with demo_app.app_context():
        basics = db.session.scalar(sa.select(Course).where(Course.slug == "smartphone-basics"))
        held = db.session.scalars(
            sa.select(Session)
            .join(CourseVersion, CourseVersion.id == Session.course_version_id)
            .where(CourseVersion.course_id == basics.id, held_clause(utcnow()))
            .order_by(Session.starts_at.desc(), Session.id.desc())
        ).all()
        # The class they came back to is one of the latest (the latest with seats for them).
        over_two = []
        for latest in held[:5]:
            skill_ids = [s.id for s in latest.course_version.skills]
            over_two = [
                learner
                for learner, _completion in completed_at(latest)
                if len(
                    set(
                        db.session.scalars(
                            sa.select(SkillReached.session_id).where(
                                SkillReached.learner_id == learner.id,
                                SkillReached.skill_id.in_(skill_ids),
                            )
                        )
                    )
                )
                == 2
            ]
            if over_two:
                break
        assert over_two
        learner = over_two[0]
        following, coming = next_course(basics)
        assert following is not None
        assert coming
        learner_id, learner_name = learner.id, learner.name
    coordinator = _client_of(demo_app, COORDINATOR)
    record = coordinator.get(f"/learners/{learner_id}").get_data(as_text=True)
    assert f"/learners/{learner_id}/certificates/smartphone-basics" in record
    certificate = coordinator.get(f"/learners/{learner_id}/certificates/smartphone-basics")
    assert certificate.status_code == 200
    text = certificate.get_data(as_text=True)
    assert learner_name in text
    assert "スマートフォンの基本操作" in text
    assert following.title in text


def test_the_demos_calls_give_the_dashboard_its_figures(demo_app, curricula):
    """The held classes of the last weeks were called: all four outcomes, some people never
    reached; the confirmed came more often; a call already passed a seat to the waitlist.
    Some learners have a family contact, with and without consent."""
    _build(demo_app)
    with demo_app.app_context():
        outcomes = set(db.session.scalars(sa.select(ConfirmationCall.outcome).distinct()))
        assert outcomes == set(CallOutcome)
        today = japan_today()
        flt = ReportFilter(first_day=today - timedelta(weeks=10), last_day=today + timedelta(60))
        found = call_figures.count(flt, utcnow())
        assert found.confirmed > 0
        assert found.not_reached > 0
        assert found.registrations == found.confirmed + found.not_reached
        assert found.seats_passed >= 1
        assert found.confirmed_no_show_rate < found.not_reached_no_show_rate
        families = db.session.execute(
            sa.select(FamilyContact.consent, FamilyContact.email.is_not(None))
        ).all()
        assert {(True, True), (True, False), (False, False)} <= set(families)
        assert len(families) < _count(Learner) / 5
