"""Fixtures for the check-in tests: a session open at the door now, learners with cards."""

from __future__ import annotations

import pytest

from app.auth.services import create_token
from app.people.registration import register
from tests.checkin.support import Door, learner, open_session


@pytest.fixture
def door(make) -> Door:
    teacher = make.user("instructor", name="講師 一郎")
    course = make.course(skills=("power", "tap", "camera"))
    session = open_session(make, course=course.slug, instructor_ids=[teacher.id])
    hanako = learner("山田 花子", "やまだ はなこ", phone="090-1111-2222")
    taro = learner("佐藤 太郎", "さとう たろう", phone="080-3333-4444")
    for person in (hanako, taro):
        register(session, person, source="phone")
    return Door(session, teacher, make.user("coordinator"), hanako, taro)


class Api:
    """Speaks to /api/v1 with one user's bearer token."""

    def __init__(self, client, user):

        self.client = client
        self.headers = {"Authorization": f"Bearer {create_token(user)[1]}"}

    def get(self, path):
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def post(self, path, json=None):
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers)

    def check_in(self, session, **body):
        return self.post(f"/sessions/{session.id}/checkins", json=body)


@pytest.fixture
def api_for(client):
    return lambda user: Api(client, user)
