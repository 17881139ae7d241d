"""The role × route matrix: for every page and API route, who gets in, who gets 403, and
who gets 404 because they may not know the thing exists."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth.access import PUBLIC
from app.auth.services import create_token
from app.people.cards import issue_card
from app.people.learners import create_learner
from app.people.registration import register
from app.scheduling.series import create_series
from app.timeutil import japan_today
from tests.conftest import login

A, C, I, P = "admin", "coordinator", "instructor", "partner"  # noqa: E741
STAFF = {A, C, I, P}
PLANNERS = {A, C}

# The specification: which roles each endpoint admits. Changing a route's roles means
# changing this table on purpose.
MATRIX: dict[str, set[str]] = {
    "auth.logout": STAFF,
    "auth.tokens": STAFF,
    "auth.change_password": STAFF,
    "auth.revoke_token": STAFF,
    "curricula.course_list": STAFF,
    "curricula.course_detail": STAFF,
    "curricula.course_version": STAFF,
    "scheduling.session_list": STAFF,
    "scheduling.week": STAFF,
    "scheduling.my_sessions": {I},
    "scheduling.session_detail": STAFF,
    "scheduling.session_new": PLANNERS,
    "scheduling.session_edit": PLANNERS,
    "scheduling.session_cancel": PLANNERS,
    "scheduling.series_new": PLANNERS,
    "scheduling.series_detail": STAFF,
    "scheduling.venue_list": PLANNERS,
    "scheduling.venue_detail": PLANNERS,
    "scheduling.venue_new": PLANNERS,
    "scheduling.venue_edit": PLANNERS,
    "scheduling.closure_list": PLANNERS,
    "scheduling.closure_import": PLANNERS,
    "scheduling.venue_closure_import": PLANNERS,
    "scheduling.closure_remove": PLANNERS,
    "orgs.org_list": {A},
    "orgs.org_new": {A},
    "orgs.org_edit": {A},
    "orgs.user_list": {A},
    "orgs.user_new": {A},
    "orgs.user_edit": {A},
    "orgs.user_deactivate": {A},
    "orgs.user_reactivate": {A},
    "partners.partner_list": PLANNERS,
    "partners.partner_page": {A, C, P},
    "partners.instructor_courses": PLANNERS,
    "partners.link": {A, C, P},
    "partners.sync_now": {A, C, P},
    "partners.sync_run": {A, C, P},
    "partners.sync_job_status": {A, C, P},
    "staffing.request_form": PLANNERS,
    "staffing.request_withdraw": PLANNERS,
    "staffing.org_requests": {A, C, P},
    "staffing.make_offer": {A, C, P},
    "staffing.decline_request": {A, C, P},
    "staffing.name_people": {A, C, P},
    "staffing.confirm_offer": PLANNERS,
    "staffing.decline_offer": PLANNERS,
    "staffing.board": PLANNERS,
    "api.create_staffing_request": PLANNERS,
    "api.list_staffing_requests": {A, C, P},
    "api.get_staffing_request": {A, C, P},
    "api.create_offer": {A, C, P},
    "api.confirm_offer": PLANNERS,
    "api.decline_offer": PLANNERS,
    "api.withdraw_staffing_request": PLANNERS,
    "staffing.my_availability": {I},
    "staffing.availability_page": STAFF,
    "staffing.availability_weekly": STAFF,
    "staffing.availability_date_add": STAFF,
    "staffing.availability_date_remove": STAFF,
    "api.get_availability": STAFF,
    "api.put_availability": STAFF,
    "jobs.job_list": {A},
    "jobs.retry": {A},
    "mail.outbox_list": {A},
    "mail.message_detail": {A},
    "mail.message_ics": {A},
    "mail.message_retry": {A},
    "mail.my_settings": STAFF,
    "api.list_courses": STAFF,
    "api.get_course": STAFF,
    "api.list_sessions": STAFF,
    "api.create_session": PLANNERS,
    "api.get_session": STAFF,
    "api.update_session": PLANNERS,
    "api.cancel_session": PLANNERS,
    "api.create_series": PLANNERS,
    "api.list_venues": STAFF,
    "people.learner_list": STAFF,
    "people.learner_detail": STAFF,
    "people.learner_new": PLANNERS,
    "people.learner_edit": PLANNERS,
    "people.learner_merge": PLANNERS,
    "people.learner_card_reissue": PLANNERS,
    "people.pending_matches": PLANNERS,
    "people.pending_match_confirm": PLANNERS,
    "people.pending_match_reject": PLANNERS,
    "people.learner_card": {A, C, I},
    "people.cards_print": PLANNERS,
    "people.session_cards": PLANNERS,
    "checkin.roster_print": STAFF,
    "certificates.learner_certificate": STAFF,
    "certificates.session_certificates": STAFF,
    "people.session_registrations": STAFF,
    "people.call_list": STAFF,
    "people.call_list_print": STAFF,
    "people.call_record": STAFF,
    "people.family_contact_edit": PLANNERS,
    "people.registration_add": PLANNERS,
    "people.registration_new_learner": PLANNERS,
    "people.registration_cancel": PLANNERS,
    "checkin.checkin_page": {A, C, I},
    "checkin.checkin_post": {A, C, I},
    "checkin.checkin_batch": {A, C, I},
    "checkin.checkin_roster": {A, C, I},
    "checkin.checkin_search": {A, C, I},
    "checkin.attendance": STAFF,
    "checkin.attendance_set": {A, C, I},
    "checkin.paper_roster": {A, C, I},
    "checkin.skills": {A, C, I},
    "api.list_learners": STAFF,
    "api.create_learner": PLANNERS,
    "api.get_learner": STAFF,
    "api.update_learner": PLANNERS,
    "api.list_session_registrations": STAFF,
    "api.list_confirmations": STAFF,
    "api.create_confirmation": STAFF,
    "api.create_registration": PLANNERS,
    "api.cancel_registration": PLANNERS,
    "api.create_checkin": {A, C, I},
    "api.create_checkins_batch": {A, C, I},
    "api.session_roster": STAFF,
    "sheets.download": {A, C, P},
    "sheets.upload": {A, C, P},
    "sheets.upload_confirm": {A, C, P},
    "sheets.upload_result": {A, C, P},
    "calendars.my_feeds": STAFF,
    "calendars.regenerate_instructor": {I},
    "calendars.regenerate_org": {P},
    "calendars.regenerate_learner": PLANNERS,
    "calendars.learner_qr": PLANNERS,
    "reports.dashboard": {A, C, P},
    "reports.sessions": {A, C, P},
    "reports.learners": PLANNERS,
    "reports.figures_xlsx": {A, C, P},
    "api.report_summary": {A, C, P},
    "reports.follow_up": PLANNERS,
    "reports.follow_up_download": PLANNERS,
    "reports.sessions_csv": {A, C, P},
    "reports.sessions_xlsx": {A, C, P},
    "reports.survey_download": {A, C, P},
    "api.report_sessions_csv": {A, C, P},
    "api.report_sessions_xlsx": {A, C, P},
    "staffing.org_proposals": {A, C, P},
    "staffing.proposal_withdraw": {A, C, P},
    "staffing.own_venue_new": {A, C, P},
    "staffing.own_venue_edit": {A, C, P},
    "staffing.proposal_queue": PLANNERS,
    "staffing.proposal_approve": PLANNERS,
    "staffing.proposal_decline": PLANNERS,
    "api.create_proposal": {A, C, P},
    "api.list_proposals": {A, C, P},
    "api.get_proposal": {A, C, P},
    "api.approve_proposal": PLANNERS,
    "api.decline_proposal": PLANNERS,
    "api.withdraw_proposal": {A, C, P},
    "reports.activity": STAFF,
    "reports.activity_print": STAFF,
    "reports.activity_csv": STAFF,
    "reports.activity_xlsx": STAFF,
    "reports.org_activity_csv": {A, C, P},
    "reports.org_activity_xlsx": {A, C, P},
    "api.instructor_activity": STAFF,
    "surveys.print_sheets": {A, C, I},
    "surveys.entry": {A, C, I},
    "surveys.session_results": {A, C, I},
    "surveys.overview": PLANNERS,
    "surveys.course_results": PLANNERS,
}


def test_the_matrix_names_every_route_with_its_roles(app):
    declared = {
        endpoint: set(getattr(view, "allowed_roles", set()))
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and PUBLIC not in getattr(view, "allowed_roles", ())
    }
    assert declared == MATRIX


@pytest.fixture
def world(make):
    """One partner organization with a session of its own, taught by one instructor."""
    ours, theirs = make.org(slug="npo-ours"), make.org(slug="npo-theirs")
    teacher = make.user(I)
    users = {A: make.user(A), C: make.user(C), I: teacher, P: make.user(P, org=ours)}
    course, venue = make.course(slug="smartphone-basics"), make.venue()
    day = japan_today() + timedelta(days=5)
    ours_session = make.session(
        course=course, venue=venue, day=day, partner_org=ours.slug, instructor_ids=[teacher.id]
    )
    other_session = make.session(
        course=course, venue=venue, day=day, start="14:00", end="15:00", partner_org=theirs.slug
    )

    learner = create_learner({"name": "山田花子", "furigana": "やまだはなこ"})
    issue_card(learner)
    enrolled = register(ours_session, learner, source="phone")

    series = create_series(
        {
            "course": course.slug,
            "venue_id": venue.id,
            "starts_at": ours_session.starts_at + timedelta(days=30),
            "ends_at": ours_session.ends_at + timedelta(days=30),
            "partner_org": ours.slug,
            "instructor_ids": [teacher.id],
            "weekdays": [(day + timedelta(days=30)).weekday()],
            "count": 2,
        }
    )
    return {
        "users": users,
        "ids": {
            "session_id": ours_session.id,
            "series_id": series[0].series_id,
            "venue_id": venue.id,
            "org_id": ours.id,
            "user_id": teacher.id,
            "slug": course.slug,
            "version": 1,
            "learner_id": learner.id,
            "registration_id": enrolled.id,
        },
        "other_session_id": other_session.id,
    }


PAGES = [
    ("auth.tokens", "/account/tokens"),
    ("auth.change_password", "/account/password"),
    ("mail.my_settings", "/account/notifications"),
    ("mail.outbox_list", "/admin/mail"),
    ("curricula.course_list", "/curricula"),
    ("curricula.course_detail", "/curricula/{slug}"),
    ("curricula.course_version", "/curricula/{slug}/v/{version}"),
    ("scheduling.session_list", "/sessions"),
    ("scheduling.week", "/sessions/week"),
    ("scheduling.my_sessions", "/my/sessions"),
    ("scheduling.session_detail", "/sessions/{session_id}"),
    ("scheduling.session_new", "/sessions/new"),
    ("scheduling.session_edit", "/sessions/{session_id}/edit"),
    ("scheduling.session_cancel", "/sessions/{session_id}/cancel"),
    ("scheduling.series_new", "/series/new"),
    ("scheduling.series_detail", "/series/{series_id}"),
    ("scheduling.venue_list", "/venues"),
    ("scheduling.venue_detail", "/venues/{venue_id}"),
    ("scheduling.venue_new", "/venues/new"),
    ("scheduling.venue_edit", "/venues/{venue_id}/edit"),
    ("scheduling.closure_list", "/closures"),
    ("orgs.org_list", "/admin/orgs"),
    ("orgs.org_new", "/admin/orgs/new"),
    ("orgs.org_edit", "/admin/orgs/{org_id}/edit"),
    ("orgs.user_list", "/admin/users"),
    ("orgs.user_new", "/admin/users/new"),
    ("orgs.user_edit", "/admin/users/{user_id}/edit"),
    ("partners.partner_list", "/orgs"),
    ("partners.partner_page", "/orgs/{org_id}"),
    ("people.learner_list", "/learners"),
    ("people.learner_detail", "/learners/{learner_id}"),
    ("people.learner_new", "/learners/new"),
    ("people.learner_edit", "/learners/{learner_id}/edit"),
    ("people.learner_merge", "/learners/{learner_id}/merge"),
    ("people.pending_matches", "/learners/matches"),
    ("people.learner_card", "/learners/{learner_id}/card"),
    ("people.cards_print", "/cards/print?learner={learner_id}"),
    ("people.session_cards", "/sessions/{session_id}/cards"),
    ("checkin.roster_print", "/sessions/{session_id}/roster/print"),
    ("certificates.session_certificates", "/sessions/{session_id}/certificates"),
    ("people.session_registrations", "/sessions/{session_id}/registrations"),
    ("people.call_list", "/calls"),
    ("people.call_list_print", "/calls/print"),
    ("people.family_contact_edit", "/learners/{learner_id}/family"),
    ("checkin.checkin_page", "/sessions/{session_id}/checkin"),
    ("checkin.checkin_roster", "/sessions/{session_id}/checkin/roster"),
    ("checkin.checkin_search", "/sessions/{session_id}/checkin/search?q=やまだ"),
    ("checkin.attendance", "/sessions/{session_id}/attendance"),
    ("checkin.paper_roster", "/sessions/{session_id}/attendance/paper"),
    ("checkin.skills", "/sessions/{session_id}/skills"),
    ("surveys.print_sheets", "/sessions/{session_id}/survey/print"),
    ("surveys.entry", "/sessions/{session_id}/survey/entry"),
    ("surveys.session_results", "/sessions/{session_id}/survey"),
    # surveys.overview (/surveys) leads to the dashboard's アンケート view: a redirect, tested
    # in tests/reports/test_survey_view.py.
    ("surveys.course_results", "/surveys/courses/{slug}"),
    ("sheets.download", "/orgs/{org_id}/files/roster.xlsx"),
    ("sheets.upload", "/orgs/{org_id}/files/signups"),
    ("calendars.my_feeds", "/calendar"),
    ("calendars.learner_qr", "/learners/{learner_id}/calendar-qr"),
    ("reports.dashboard", "/reports/"),
    ("reports.sessions", "/reports/sessions?state=held"),
    ("reports.learners", "/reports/learners?facet=all"),
    ("reports.figures_xlsx", "/reports/figures.xlsx"),
    ("reports.follow_up", "/reports/follow-up?list=absent_twice"),
    ("reports.sessions_csv", "/reports/sessions.csv"),
    ("reports.sessions_xlsx", "/reports/sessions.xlsx"),
    ("reports.survey_download", "/reports/surveys.csv"),
    ("staffing.org_proposals", "/orgs/{org_id}/proposals"),
    ("staffing.own_venue_new", "/orgs/{org_id}/venues/new"),
    ("staffing.proposal_queue", "/proposals"),
]

API_READS = [
    ("api.list_courses", "/api/v1/courses"),
    ("api.get_course", "/api/v1/courses/{slug}"),
    ("api.list_sessions", "/api/v1/sessions"),
    ("api.get_session", "/api/v1/sessions/{session_id}"),
    ("api.list_venues", "/api/v1/venues"),
    ("api.list_learners", "/api/v1/learners"),
    ("api.get_learner", "/api/v1/learners/{learner_id}"),
    ("api.list_session_registrations", "/api/v1/sessions/{session_id}/registrations"),
    ("api.list_confirmations", "/api/v1/confirmations?date=2026-04-01"),
    ("api.session_roster", "/api/v1/sessions/{session_id}/roster"),
]

API_WRITES = [
    ("api.create_session", "POST", "/api/v1/sessions"),
    ("api.update_session", "PATCH", "/api/v1/sessions/{session_id}"),
    ("api.cancel_session", "POST", "/api/v1/sessions/{session_id}/cancel"),
    ("api.create_series", "POST", "/api/v1/series"),
    ("api.create_learner", "POST", "/api/v1/learners"),
    ("api.update_learner", "PATCH", "/api/v1/learners/{learner_id}"),
    ("api.create_registration", "POST", "/api/v1/sessions/{session_id}/registrations"),
    ("api.cancel_registration", "DELETE", "/api/v1/registrations/{registration_id}"),
    ("api.create_checkin", "POST", "/api/v1/sessions/{session_id}/checkins"),
    ("api.create_checkins_batch", "POST", "/api/v1/sessions/{session_id}/checkins/batch"),
    ("api.approve_proposal", "POST", "/api/v1/proposals/1/approve"),
    ("api.decline_proposal", "POST", "/api/v1/proposals/1/decline"),
]

POST_ONLY_FORMS = [
    ("orgs.user_deactivate", "/admin/users/{user_id}/deactivate"),
    ("orgs.user_reactivate", "/admin/users/{user_id}/reactivate"),
    ("scheduling.closure_import", "/closures"),
    ("scheduling.venue_closure_import", "/venues/{venue_id}/closures"),
    ("scheduling.closure_remove", "/closures/remove"),
    ("partners.instructor_courses", "/orgs/{org_id}/instructors/{user_id}/courses"),
    ("partners.link", "/orgs/{org_id}/sheet"),
    ("partners.sync_now", "/orgs/{org_id}/sync"),
    ("jobs.retry", "/admin/jobs/1/retry"),
    ("mail.message_retry", "/admin/mail/1/retry"),
    ("people.learner_card_reissue", "/learners/{learner_id}/card/reissue"),
    ("people.pending_match_confirm", "/learners/matches/1/confirm"),
    ("people.pending_match_reject", "/learners/matches/1/reject"),
    ("people.registration_add", "/sessions/{session_id}/registrations/add"),
    ("people.registration_new_learner", "/sessions/{session_id}/registrations/new"),
    ("people.registration_cancel", "/sessions/{session_id}/registrations/{registration_id}/cancel"),
    ("checkin.checkin_post", "/sessions/{session_id}/checkin"),
    ("checkin.checkin_batch", "/sessions/{session_id}/checkin/batch"),
    ("checkin.attendance_set", "/sessions/{session_id}/attendance/{registration_id}"),
    ("sheets.upload_confirm", "/orgs/{org_id}/files/signups/confirm"),
    ("sheets.upload_result", "/orgs/{org_id}/files/signups/runs/1/result"),
    ("calendars.regenerate_instructor", "/calendar/instructor/regenerate"),
    ("calendars.regenerate_org", "/calendar/org/regenerate"),
    ("calendars.regenerate_learner", "/learners/{learner_id}/calendar/regenerate"),
    ("staffing.proposal_approve", "/proposals/1/approve"),
    ("staffing.proposal_decline", "/proposals/1/decline"),
]


@pytest.mark.parametrize("role", [A, C, I, P])
def test_every_page_answers_each_role_as_the_matrix_says(role, world, client):
    login(client, world["users"][role])
    wrong = []
    for endpoint, template in PAGES:
        status = client.get(template.format(**world["ids"])).status_code
        expected = 200 if role in MATRIX[endpoint] else 403
        if status != expected:
            wrong.append(f"{endpoint}: {status} (expected {expected})")
    for endpoint, template in POST_ONLY_FORMS:
        if role not in MATRIX[endpoint]:
            status = client.post(template.format(**world["ids"])).status_code
            if status != 403:
                wrong.append(f"{endpoint}: {status} (expected 403)")
    assert wrong == []


@pytest.mark.parametrize("role", [A, C, I, P])
def test_every_api_route_answers_each_role_as_the_matrix_says(role, world, client):
    headers = {"Authorization": f"Bearer {create_token(world['users'][role])[1]}"}
    wrong = []
    for endpoint, template in API_READS:
        status = client.get(template.format(**world["ids"]), headers=headers).status_code
        if status != 200:
            wrong.append(f"{endpoint}: {status} (expected 200)")
    for endpoint, method, template in API_WRITES:
        if role in MATRIX[endpoint]:
            continue
        response = client.open(
            template.format(**world["ids"]), method=method, json={}, headers=headers
        )
        if response.status_code != 403:
            wrong.append(f"{endpoint}: {response.status_code} (expected 403)")
    assert wrong == []


@pytest.mark.parametrize("role", [I, P])
def test_what_a_partner_or_instructor_may_not_know_of_is_404(role, world, client):
    other = world["other_session_id"]
    login(client, world["users"][role])
    assert client.get(f"/sessions/{other}").status_code == 404
    headers = {"Authorization": f"Bearer {create_token(world['users'][role])[1]}"}
    assert client.get(f"/api/v1/sessions/{other}", headers=headers).status_code == 404
    listed = client.get("/api/v1/sessions", headers=headers).get_json()["items"]
    assert other not in [s["id"] for s in listed]


def test_planners_get_404_for_sessions_that_do_not_exist(world, client):
    login(client, world["users"][C])
    assert client.get("/sessions/999999").status_code == 404
    assert client.get("/sessions/999999/edit").status_code == 404
