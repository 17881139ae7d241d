"""The OpenAPI 3.1 document describing /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from app.api import bp
from app.auth.access import public


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses}


_TIME = {"type": "string", "format": "date-time", "examples": ["2026-12-01T10:00:00+09:00"]}
_IDS = {"type": "array", "items": {"type": "integer"}}
_DATE_QUERY = {"type": "string", "format": "date"}

SESSION_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "course": {"type": "string", "description": "Course slug; the current version is used"},
        "venue_id": {"type": "integer"},
        "starts_at": {**_TIME, "description": "ISO 8601; without offset it is read as Japan time"},
        "ends_at": _TIME,
        "capacity": {"type": "integer", "minimum": 1, "description": "Default: the venue's"},
        "delivery_type": {"enum": ["regional", "nationwide", "dispatch", "independent"]},
        "partner_org": {"type": ["string", "null"], "description": "Organization slug"},
        "instructor_ids": _IDS,
        "assistant_ids": _IDS,
        "public": {"type": "boolean"},
        "notes": {"type": "string"},
        "status": {"enum": ["scheduled", "completed"]},
    },
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "session_id": {
                        "type": ["integer", "null"],
                        "description": "On conflicts: the session this one clashes with",
                    },
                    "conflicts": {"type": "array", "items": {"type": "object"}},
                },
            }
        },
    },
    "Session": {
        "type": "object",
        "required": [
            "id",
            "course",
            "course_version",
            "venue_id",
            "starts_at",
            "ends_at",
            "capacity",
            "delivery_type",
            "partner_org",
            "instructor_ids",
            "assistant_ids",
            "public",
            "status",
            "warnings",
        ],
        "properties": {
            "id": {"type": "integer"},
            "course": {"type": "string"},
            "course_version": {"type": "integer"},
            "course_title": {"type": "string"},
            "venue_id": {"type": "integer"},
            "starts_at": _TIME,
            "ends_at": _TIME,
            "capacity": {"type": "integer"},
            "delivery_type": {"type": "string"},
            "partner_org": {"type": ["string", "null"]},
            "instructor_ids": _IDS,
            "assistant_ids": _IDS,
            "public": {"type": "boolean"},
            "notes": {"type": "string"},
            "status": {"enum": ["scheduled", "cancelled", "completed"]},
            "cancel_reason": {"type": ["string", "null"]},
            "series_id": {"type": ["integer", "null"]},
            "warnings": {
                "type": "array",
                "items": {"enum": ["no_instructor", "understaffed"]},
            },
            "url": {"type": "string", "format": "uri"},
        },
    },
    "SessionInput": SESSION_INPUT,
    "SeriesInput": {
        "type": "object",
        "description": "The first session's fields plus the weekly rule; `until` or `count`.",
        "properties": {
            **SESSION_INPUT["properties"],
            "weekdays": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 6},
                "description": "Monday = 0",
            },
            "until": {"type": "string", "format": "date"},
            "count": {"type": "integer", "minimum": 1, "maximum": 104},
        },
        "required": ["course", "venue_id", "starts_at", "ends_at", "weekdays"],
    },
    "SessionPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("Session")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
        },
    },
    "Venue": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "address": {"type": "string"},
            "district": {"type": "string"},
            "capacity": {"type": "integer"},
            "setup_buffer_minutes": {"type": "integer"},
            "has_wifi": {"type": "boolean"},
            "loaner_devices": {"type": "integer"},
            "step_free": {"type": "boolean"},
            "hearing_loop": {"type": "boolean"},
            "accessibility_notes": {"type": "string"},
        },
    },
    "Course": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"},
            "version": {"type": "integer"},
            "title_ja": {"type": "string"},
            "title_en": {"type": "string"},
            "summary_ja": {"type": "string"},
            "summary_en": {"type": "string"},
            "track": {"enum": ["basic", "applied", "leader", "supporter"]},
            "audience": {"type": "array", "items": {"type": "string"}},
            "duration_minutes": {"type": "integer"},
            "prerequisites": {"type": "array", "items": {"type": "string"}},
            "materials": {"type": "array", "items": {"type": "string"}},
            "skills": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "ja": {"type": "string"},
                        "en": {"type": "string"},
                    },
                },
            },
        },
    },
}


def _param(name: str, schema: dict, where: str = "query", description: str = "") -> dict:
    param = {"name": name, "in": where, "schema": schema, "required": where == "path"}
    if description:
        param["description"] = description
    return param


SESSION_ID = _param("session_id", {"type": "integer"}, "path")

PATHS = {
    "/sessions": {
        "get": {
            "summary": "Sessions visible to the token's user, filtered and paged",
            "operationId": "listSessions",
            "parameters": [
                _param("from", _DATE_QUERY, description="First day (Japan time)"),
                _param("to", _DATE_QUERY, description="Last day, inclusive"),
                _param("course", {"type": "string"}, description="Course slug"),
                _param("venue_id", {"type": "integer"}),
                _param("district", {"type": "string"}),
                _param("partner", {"type": "string"}, description="Organization slug"),
                _param("instructor_id", {"type": "integer"}),
                _param("status", {"enum": ["scheduled", "cancelled", "completed"]}),
                _param("page", {"type": "integer", "minimum": 1}),
                _param("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
            ],
            "responses": {"200": _json(_ref("SessionPage"), "A page of sessions")}
            | _errors(401, 422),
        },
        "post": {
            "summary": "Plan a session (coordinators and admins)",
            "operationId": "createSession",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("SessionInput")}},
            },
            "responses": {"201": _json(_ref("Session"), "The new session")}
            | _errors(401, 403, 409, 422),
        },
    },
    "/sessions/{session_id}": {
        "parameters": [SESSION_ID],
        "get": {
            "summary": "One session",
            "operationId": "getSession",
            "responses": {"200": _json(_ref("Session"), "The session")} | _errors(401, 404),
        },
        "patch": {
            "summary": "Change a session; with scope=following, also every later one of its series",
            "operationId": "updateSession",
            "parameters": [_param("scope", {"enum": ["this", "following"]})],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("SessionInput")}},
            },
            "responses": {"200": _json(_ref("Session"), "The changed session")}
            | _errors(401, 403, 404, 409, 422),
        },
    },
    "/sessions/{session_id}/cancel": {
        "parameters": [SESSION_ID],
        "post": {
            "summary": "Cancel a session; it stays visible with its reason",
            "operationId": "cancelSession",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["reason"],
                            "properties": {"reason": {"type": "string", "minLength": 1}},
                        }
                    }
                },
            },
            "responses": {"200": _json(_ref("Session"), "The cancelled session")}
            | _errors(401, 403, 404, 409, 422),
        },
    },
    "/series": {
        "post": {
            "summary": "Plan a weekly series of sessions, all or none",
            "operationId": "createSeries",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("SeriesInput")}},
            },
            "responses": {
                "201": _json(
                    {
                        "type": "object",
                        "properties": {
                            "items": {"type": "array", "items": _ref("Session")},
                            "total": {"type": "integer"},
                        },
                    },
                    "The sessions made",
                )
            }
            | _errors(401, 403, 409, 422),
        },
    },
    "/venues": {
        "get": {
            "summary": "All venues",
            "operationId": "listVenues",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {"items": {"type": "array", "items": _ref("Venue")}},
                    },
                    "Venues",
                )
            }
            | _errors(401),
        }
    },
    "/courses": {
        "get": {
            "summary": "Current version of every course",
            "operationId": "listCourses",
            "parameters": [
                _param("track", {"enum": ["basic", "applied", "leader", "supporter"]}),
                _param("audience", {"enum": ["senior", "neighborhood_leader", "supporter"]}),
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {"items": {"type": "array", "items": _ref("Course")}},
                    },
                    "Courses",
                )
            }
            | _errors(401, 422),
        }
    },
    "/courses/{slug}": {
        "parameters": [_param("slug", {"type": "string"}, "path")],
        "get": {
            "summary": "One course: its current version, or `version=N` (the one a session uses)",
            "operationId": "getCourse",
            "parameters": [_param("version", {"type": "integer", "minimum": 1})],
            "responses": {
                "200": _json(
                    {
                        "allOf": [
                            _ref("Course"),
                            {
                                "type": "object",
                                "properties": {
                                    "current_version": {"type": "integer"},
                                    "versions": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "version": {"type": "integer"},
                                                "loaded_at": _TIME,
                                                "source_file": {"type": "string"},
                                            },
                                        },
                                    },
                                },
                            },
                        ]
                    },
                    "The course",
                )
            }
            | _errors(401, 404, 422),
        },
    },
}

_ERROR_MEANING = {
    400: "Malformed request",
    401: "Missing or invalid bearer token",
    403: "The token's role may not do this",
    404: "Unknown, or not visible to this token",
    409: "Clashes with existing data; `code` says how (venue_conflict, instructor_conflict, ...)",
    422: "Invalid input; `fields` names each field and what is expected",
}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dekiru API",
            "version": "1.0.0",
            "description": "Sessions (コマ), venues and courses of a city's digital-literacy "
            "classes. Times are ISO 8601 with offset (Japan time). Errors are always "
            '`{"error": {"code", "message", "fields"}}`.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": {
                f"E{status}": _json(_ref("Error"), meaning)
                for status, meaning in _ERROR_MEANING.items()
            },
        },
    }


@bp.get("/openapi.json")
@public
def openapi_json():
    return document()
