"""The role × route matrix: for every page and API route, who gets in, who gets 403, and
who gets 404 because they may not know the thing exists."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.auth.access import PUBLIC
from app.auth.services import create_token
from tests.conftest import login

A, C, I, P = "admin", "coordinator", "instructor", "partner"  # noqa: E741
STAFF = {A, C, I, P}
PLANNERS = {A, C}

# The specification: which roles each endpoint admits. Changing a route's roles means
# changing this table on purpose.
MATRIX: dict[str, set[str]] = {
    "auth.logout": STAFF,
    "auth.tokens": STAFF,
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
    "orgs.org_list": {A},
    "orgs.org_new": {A},
    "orgs.org_edit": {A},
    "orgs.user_list": {A},
    "orgs.user_new": {A},
    "orgs.user_edit": {A},
    "orgs.user_deactivate": {A},
    "orgs.user_reactivate": {A},
    "api.list_courses": STAFF,
    "api.get_course": STAFF,
    "api.list_sessions": STAFF,
    "api.create_session": PLANNERS,
    "api.get_session": STAFF,
    "api.update_session": PLANNERS,
    "api.cancel_session": PLANNERS,
    "api.create_series": PLANNERS,
    "api.list_venues": STAFF,
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
    day = date.today() + timedelta(days=5)
    ours_session = make.session(
        course=course, venue=venue, day=day, partner_org=ours.slug, instructor_ids=[teacher.id]
    )
    other_session = make.session(
        course=course, venue=venue, day=day, start="14:00", end="15:00", partner_org=theirs.slug
    )
    from app.scheduling.services import create_series

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
        },
        "other_session_id": other_session.id,
    }


PAGES = [
    ("auth.tokens", "/account/tokens"),
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
    ("orgs.org_list", "/admin/orgs"),
    ("orgs.org_new", "/admin/orgs/new"),
    ("orgs.org_edit", "/admin/orgs/{org_id}/edit"),
    ("orgs.user_list", "/admin/users"),
    ("orgs.user_new", "/admin/users/new"),
    ("orgs.user_edit", "/admin/users/{user_id}/edit"),
]

API_READS = [
    ("api.list_courses", "/api/v1/courses"),
    ("api.get_course", "/api/v1/courses/{slug}"),
    ("api.list_sessions", "/api/v1/sessions"),
    ("api.get_session", "/api/v1/sessions/{session_id}"),
    ("api.list_venues", "/api/v1/venues"),
]

API_WRITES = [
    ("api.create_session", "POST", "/api/v1/sessions"),
    ("api.update_session", "PATCH", "/api/v1/sessions/{session_id}"),
    ("api.cancel_session", "POST", "/api/v1/sessions/{session_id}/cancel"),
    ("api.create_series", "POST", "/api/v1/series"),
]

POST_ONLY_FORMS = [
    ("orgs.user_deactivate", "/admin/users/{user_id}/deactivate"),
    ("orgs.user_reactivate", "/admin/users/{user_id}/reactivate"),
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
