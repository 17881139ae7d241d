from __future__ import annotations

import pytest

from app.auth.services import create_token


class Api:
    """A client that speaks to /api/v1 with one user's bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers, **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch(f"/api/v1{path}", json=json, headers=self.headers, **kw)


@pytest.fixture
def api_as(client):
    def as_user(user):
        return Api(client, create_token(user)[1] if user else None)

    return as_user
