"""The OpenAPI document is valid and describes every API route there is."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_is_documented_with_its_methods(app, client):
    documented = client.get("/api/v1/openapi.json").get_json()["paths"]
    missing = [
        f"{method} {path}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi_json"
        for path in [re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))]
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if method.lower() not in documented.get(path, {})
    ]
    assert missing == []
