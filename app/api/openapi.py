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
# A day as YYYY-MM-DD, 2000-01-01 to 2100-12-31; empty is the same as not given.
_DATE_QUERY = {"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"}
# The reports read a day as people type it: 2026-04-01, 2026/4/1, 2026年4月1日, full width.
_TYPED_DATE_QUERY = {"type": "string", "examples": ["2026-04-01"]}

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

_NEEDS = {
    "type": "object",
    "description": "Accessibility needs",
    "additionalProperties": False,
    "properties": {
        "vision": {"type": "boolean"},
        "hearing": {"type": "boolean"},
        "mobility": {"type": "boolean"},
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
    "Registration": {
        "type": "object",
        "required": ["id", "session_id", "learner_id", "status", "source", "queued_at"],
        "properties": {
            "id": {"type": "integer"},
            "session_id": {"type": "integer"},
            "learner_id": {"type": "integer"},
            "status": {"enum": ["registered", "waitlisted", "cancelled"]},
            "source": {"enum": ["phone", "public", "partner", "walk_in", "import"]},
            "queued_at": {**_TIME, "description": "Waitlist order: earlier is promoted first"},
            "position": {
                "type": ["integer", "null"],
                "description": "Place on the waitlist (1 = next to be promoted); null otherwise",
            },
            "cancelled_at": {"oneOf": [_TIME, {"type": "null"}]},
        },
    },
    "RegistrationInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["learner_id"],
        "properties": {
            "learner_id": {"type": "integer"},
            "source": {
                "enum": ["phone", "public", "partner", "walk_in", "import"],
                "description": "How the person signed up; default phone",
            },
            "override_capacity": {
                "type": "boolean",
                "description": "Register beyond capacity instead of waitlisting (logged)",
            },
        },
    },
    "RegistrationList": {
        "type": "object",
        "properties": {
            "session_id": {"type": "integer"},
            "capacity": {"type": "integer"},
            "registered": {"type": "integer"},
            "waitlisted": {"type": "integer"},
            "items": {
                "type": "array",
                "description": "Registered people, then the waitlist in order",
                "items": {
                    "allOf": [
                        _ref("Registration"),
                        {
                            "type": "object",
                            "properties": {
                                "learner": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "name": {"type": "string"},
                                        "furigana": {"type": "string"},
                                        "phone": {
                                            "type": ["string", "null"],
                                            "description": "null for a partner without the "
                                            "learner's consent to share it",
                                        },
                                    },
                                }
                            },
                        },
                    ]
                },
            },
        },
    },
    "CancelledRegistration": {
        "allOf": [
            _ref("Registration"),
            {
                "type": "object",
                "required": ["promoted"],
                "properties": {
                    "promoted": {
                        "oneOf": [_ref("Registration"), {"type": "null"}],
                        "description": "The first waitlisted person, now registered, if any",
                    }
                },
            },
        ]
    },
    "Learner": {
        "type": "object",
        "description": "Every key is always present; a field the token's user may not see "
        "(staff of a partner organization: see the README's table of who sees what) is null",
        "required": [
            "id",
            "name",
            "furigana",
            "phone",
            "phone2",
            "birth_year",
            "district",
            "kind",
            "device",
            "language",
            "needs",
            "consent_on",
            "share_with_partner",
            "notes",
            "card",
            "created_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "furigana": {"type": "string", "description": "Hiragana or katakana, as recorded"},
            "phone": {
                "type": ["string", "null"],
                "examples": ["090-1234-5678"],
                "description": "Null for a partner unless the learner agreed to share it",
            },
            "phone2": {"type": ["string", "null"]},
            "birth_year": {"type": ["integer", "null"], "examples": [1948]},
            "district": {"type": ["string", "null"]},
            "kind": {"enum": ["senior", "neighborhood_leader", "supporter", None]},
            "device": {"enum": ["iphone", "android", "feature_phone", "none", "loaner", None]},
            "language": {"type": ["string", "null"], "examples": ["ja"]},
            "needs": _NEEDS,
            "consent_on": {
                "type": ["string", "null"],
                "format": "date",
                "description": "The day consent to the use of personal data was recorded",
            },
            "share_with_partner": {"type": ["boolean", "null"]},
            "notes": {"type": ["string", "null"]},
            "card": {
                "type": ["object", "null"],
                "description": "The card in use; null when none was issued",
                "properties": {"short_code": {"type": "string"}, "issued_at": _TIME},
            },
            "created_at": {**_TIME, "type": ["string", "null"]},
        },
    },
    "LearnerInput": {
        "type": "object",
        "additionalProperties": False,
        "description": "Text as typed: full-width digits, 和暦 and katakana are accepted. "
        "POST needs name and furigana; PATCH changes only the fields sent.",
        "properties": {
            "name": {"type": "string"},
            "furigana": {"type": "string"},
            "phone": {"type": ["string", "null"], "examples": ["０９０ー１２３４ー５６７８"]},
            "phone2": {"type": ["string", "null"]},
            "birth_year": {
                "type": ["string", "integer", "null"],
                "examples": [1948, "昭和23年", "S23"],
            },
            "district": {"type": ["string", "null"]},
            "kind": {"enum": ["senior", "neighborhood_leader", "supporter"]},
            "device": {"enum": ["iphone", "android", "feature_phone", "none", "loaner", None]},
            "language": {"type": "string"},
            "needs": _NEEDS,
            "needs_vision": {"type": "boolean"},
            "needs_hearing": {"type": "boolean"},
            "needs_mobility": {"type": "boolean"},
            "consent": {
                "type": "boolean",
                "description": "true records today and the token's user; false withdraws it",
            },
            "share_with_partner": {
                "type": "boolean",
                "description": "Needs consent; name and phone may reach the teaching partner",
            },
            "notes": {"type": "string"},
        },
    },
    "LearnerPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("Learner")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "has_more": {"type": "boolean", "description": "Whether page + 1 has learners"},
        },
    },
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
            "on_closed": {
                "enum": ["refuse", "skip"],
                "description": "A date on a venue closure: refuse the series (409 venue_closed), or skip it",
            },
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
    "CheckinInput": {
        "type": "object",
        "additionalProperties": False,
        "description": "`code` (the card's token or its short code) or `learner_id`.",
        "properties": {
            "code": {"type": "string", "examples": ["DK1ABCDEFGHIJKLMNOPQRSTU", "K7-3QF9"]},
            "learner_id": {"type": "integer"},
            "client_id": {
                "type": "string",
                "maxLength": 64,
                "description": "Made by the device per scan (a UUID) and kept through retries: "
                "the same client_id never makes a second record",
            },
            "scanned_at": {
                **_TIME,
                "description": "When the card was read; late or present is decided by it",
            },
            "method": {"enum": ["qr", "scanner", "code"]},
            "walk_in": {
                "type": "boolean",
                "description": "Someone not registered: register them (source walk_in), then "
                "check them in; refused with session_full when there is no room",
            },
            "waitlist": {
                "type": "boolean",
                "description": "With walk_in: when the session is full, put them on the "
                "waitlist instead (result waitlisted)",
            },
            "override_capacity": {
                "type": "boolean",
                "description": "With walk_in: register beyond capacity (coordinators and "
                "admins; logged)",
            },
        },
    },
    "Attendance": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "registration_id": {"type": "integer"},
            "session_id": {"type": "integer"},
            "learner_id": {"type": "integer"},
            "status": {"enum": ["present", "late", "excused", "absent"]},
            "checked_in_at": {**_TIME, "type": ["string", "null"]},
            "method": {
                "enum": ["qr", "scanner", "code", "search", "walk_in", "api", "recorded_later"]
            },
            "recorded_later": {
                "type": "boolean",
                "description": "Recorded by a coordinator after the session ended",
            },
            "client_id": {"type": ["string", "null"]},
        },
    },
    "CheckinCounts": {
        "type": "object",
        "properties": {
            "registered": {"type": "integer"},
            "waitlisted": {"type": "integer"},
            "checked_in": {"type": "integer"},
            "capacity": {"type": "integer"},
        },
    },
    "Checkin": {
        "type": "object",
        "required": ["result", "learner", "message", "counts"],
        "properties": {
            "result": {"enum": ["checked_in", "already_checked_in", "waitlisted"]},
            "learner": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "furigana": {"type": "string"},
                },
            },
            "attendance": _ref("Attendance"),
            "checked_in_at": {
                **_TIME,
                "description": "For already_checked_in: the first check-in's time",
            },
            "status": {"enum": ["present", "late"]},
            "registration": {
                "type": "object",
                "description": "Present when a walk-in was registered by this request",
                "properties": {
                    "id": {"type": "integer"},
                    "status": {"enum": ["registered", "waitlisted"]},
                    "source": {"type": "string"},
                },
            },
            "message": {"type": "string", "description": "What to show at the door"},
            "counts": _ref("CheckinCounts"),
        },
    },
    "Roster": {
        "type": "object",
        "properties": {
            "session": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "course_title": {"type": "string"},
                    "venue": {"type": "string"},
                    "starts_at": _TIME,
                    "ends_at": _TIME,
                    "late_after_minutes": {"type": "integer"},
                    "status": {"enum": ["scheduled", "cancelled", "completed"]},
                },
            },
            "counts": _ref("CheckinCounts"),
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "registration_id": {"type": "integer"},
                        "registration_status": {"enum": ["registered", "waitlisted"]},
                        "learner": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "name": {"type": "string"},
                                "furigana": {"type": "string"},
                                "phone": {
                                    "type": ["string", "null"],
                                    "description": "Absent for a partner unless the learner "
                                    "agreed to share it",
                                },
                            },
                        },
                        "status": {
                            "enum": ["present", "late", "excused", "absent", None],
                            "description": "Null while not checked in and the session has "
                            "not ended, and for the waitlisted",
                        },
                        "checked_in_at": {**_TIME, "type": ["string", "null"]},
                        "recorded_later": {"type": "boolean"},
                        "short_code": {"type": ["string", "null"]},
                        "skills": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Keys of the course's skills this learner reached",
                        },
                    },
                },
            },
        },
    },
    "ReportSummary": {
        "type": "object",
        "required": [
            "from",
            "to",
            "sessions_held",
            "sessions_cancelled",
            "attendances",
            "distinct_learners",
            "new_learners",
            "avg_learners_per_session",
            "no_show_rate",
            "by_district",
            "by_age_band",
            "by_course",
        ],
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "fiscal_year": {"type": ["integer", "null"]},
            "filters": {"type": "object", "additionalProperties": {"type": "string"}},
            "sessions_held": {"type": "integer"},
            "sessions_cancelled": {"type": "integer"},
            "sessions_planned": {"type": "integer"},
            "attendances": {"type": "integer"},
            "distinct_learners": {"type": "integer"},
            "new_learners": {"type": "integer"},
            "returning_learners": {"type": "integer"},
            "avg_learners_per_session": {"type": ["number", "null"]},
            "single_learner_session_share": {"type": ["number", "null"]},
            "capacity_filled": {"type": ["number", "null"]},
            "no_show_rate": {"type": ["number", "null"]},
            "sessions_meeting_staff_rule": {"type": "integer"},
            "learners_in_further_courses": {"type": "integer"},
            "by_month": {"type": "array", "items": {"$ref": "#/components/schemas/ReportLine"}},
            "by_course": {"type": "array", "items": {"$ref": "#/components/schemas/ReportLine"}},
            "by_track": {"type": "array", "items": {"$ref": "#/components/schemas/ReportLine"}},
            "by_delivery_type": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ReportLine"},
            },
            "by_partner": {"type": "array", "items": {"$ref": "#/components/schemas/ReportLine"}},
            "by_venue": {"type": "array", "items": {"$ref": "#/components/schemas/ReportLine"}},
            "waitlist_by_course": {"type": "array", "items": {"type": "object"}},
            "staff_hours": {"type": "array", "items": {"type": "object"}},
            "by_district": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "district": {"type": ["string", "null"]},
                        "learners": {"type": "integer"},
                        "by_kind": {"type": "object", "additionalProperties": {"type": "integer"}},
                    },
                },
            },
            "by_age_band": {"type": "object", "additionalProperties": {"type": "integer"}},
            "by_kind": {"type": "object", "additionalProperties": {"type": "integer"}},
            "by_device": {"type": "object", "additionalProperties": {"type": "integer"}},
            "outcomes": {"type": "array", "items": {"type": "object"}},
        },
    },
    "ReportLine": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "label": {"type": "string"},
            "held": {"type": "integer"},
            "cancelled": {"type": "integer"},
            "planned": {"type": "integer"},
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

# The reports' filter (app.reports.filters.FILTER_PARAMS), shared by every /reports endpoint.
REPORT_FILTER_PARAMS = [
    _param(
        "year",
        {"type": "string", "examples": ["2026", "令和8年度"]},
        description="年度 (April to March); the current one when neither from nor to is given",
    ),
    _param(
        "from",
        _TYPED_DATE_QUERY,
        description="First day (Japan time), 2000-01-01 to 2100-12-31; 2026/4/1, 2026年4月1日 "
        "and full-width digits accepted. At most 10 years from `from` to `to`",
    ),
    _param("to", _TYPED_DATE_QUERY, description="Last day, inclusive"),
    _param("course", {"type": "string"}, description="Course slug"),
    _param("track", {"enum": ["basic", "applied", "leader", "supporter"]}),
    _param("delivery", {"enum": ["regional", "nationwide", "dispatch", "independent"]}),
    _param(
        "partner",
        {"type": "string"},
        description="Organization slug; a partner's token is always its own organization "
        "(another's or an unknown slug: 404)",
    ),
    _param("venue", {"type": "string"}, description="Venue slug"),
    _param("district", {"type": "string"}),
]
_RECORDS_DESCRIPTION = (
    "One row per session held in the filter (completed, or scheduled and over), by start "
    "time: 実施日, 開始, 終了, コース, 講座の種類, 実施形態, 会場, 市区町村, 地区, 協力団体, 受講者数 "
    "(present or late), 講師数, アシスタント数, 講師, アシスタント, 1:4基準 (○/×), セッションID. "
    "Admins, coordinators and partners."
)


def _records_path(operation_id: str, media: str, schema: dict, what: str) -> dict:
    return {
        "get": {
            "summary": f"The per-session records (講座実施実績) as {what}",
            "description": _RECORDS_DESCRIPTION,
            "operationId": operation_id,
            "parameters": REPORT_FILTER_PARAMS,
            "responses": {
                "200": {
                    "description": f"The records file ({what}), as an attachment",
                    "content": {media: {"schema": schema}},
                }
            }
            | _errors(401, 403, 404, 422),
        }
    }


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
    "/sessions/{session_id}/checkins": {
        "parameters": [SESSION_ID],
        "post": {
            "summary": "Check a learner in by card or by id; idempotent (client_id, learner)",
            "description": "Open from 60 minutes before the start to the end; coordinators "
            "may also record afterwards (recorded_later). The session's instructors and "
            "assistants, coordinators and admins only.",
            "operationId": "createCheckin",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CheckinInput")}},
            },
            "responses": {
                "201": _json(_ref("Checkin"), "Checked in now (or a walk-in waitlisted)"),
                "200": _json(
                    _ref("Checkin"),
                    "Already checked in: result already_checked_in, with the first time",
                ),
                "404": _json(
                    _ref("Error"),
                    "unknown_code (no such card), unknown_learner, or a session not visible",
                ),
                "409": _json(
                    {
                        "allOf": [
                            _ref("Error"),
                            {
                                "type": "object",
                                "properties": {
                                    "error": {
                                        "type": "object",
                                        "properties": {
                                            "can_walk_in": {"type": "boolean"},
                                            "learner_id": {"type": "integer"},
                                            "learner_name": {"type": "string"},
                                            "learner_furigana": {"type": "string"},
                                            "registration_status": {
                                                "enum": ["waitlisted", "cancelled", None]
                                            },
                                            "other_session_id": {"type": ["integer", "null"]},
                                        },
                                    }
                                },
                            },
                        ]
                    },
                    "not_registered (with can_walk_in and the learner), session_not_open, "
                    "session_full, and for walk-ins already_registered (waitlisted) or "
                    "session_ended; client_id_reused",
                ),
                "410": _json(_ref("Error"), "revoked_card: the card was replaced by a new one"),
            }
            | _errors(401, 403, 422),
        },
    },
    "/sessions/{session_id}/roster": {
        "parameters": [SESSION_ID],
        "get": {
            "summary": "What a check-in device needs: the session, counts and every learner",
            "operationId": "getRoster",
            "description": "For the session's instructors and assistants, its partner "
            "organization and planners (403 for other staff who see the session); every "
            "read is written to the audit log. Card numbers are null for partner users.",
            "responses": {"200": _json(_ref("Roster"), "The roster")} | _errors(401, 403, 404),
        },
    },
    "/sessions/{session_id}/registrations": {
        "parameters": [SESSION_ID],
        "get": {
            "summary": "Who is registered and who waits, in order (phones per sharing consent)",
            "operationId": "listRegistrations",
            "description": "For the session's instructors and assistants, its partner "
            "organization and planners (403 for other staff who see the session); every "
            "read is written to the audit log.",
            "responses": {"200": _json(_ref("RegistrationList"), "The registrations")}
            | _errors(401, 403, 404),
        },
        "post": {
            "summary": "Register a learner; a full session waitlists (coordinators and admins)",
            "operationId": "createRegistration",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("RegistrationInput")}},
            },
            "responses": {
                "201": _json(_ref("Registration"), "Registered, or waitlisted when full"),
                "409": _json(
                    _ref("Error"),
                    "already_registered (with registration_id and registration_status), "
                    "session_cancelled, session_ended",
                ),
            }
            | _errors(401, 403, 404, 422),
        },
    },
    "/registrations/{registration_id}": {
        "parameters": [_param("registration_id", {"type": "integer"}, "path")],
        "delete": {
            "summary": "Cancel a registration; the first waitlisted person takes the seat",
            "operationId": "cancelRegistration",
            "responses": {
                "200": _json(_ref("CancelledRegistration"), "The cancelled registration"),
                "409": _json(_ref("Error"), "already_cancelled"),
            }
            | _errors(401, 403, 404),
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
                            "skipped_dates": {
                                "type": "array",
                                "items": {"type": "string", "format": "date"},
                                "description": "Dates left out for venue closures (on_closed=skip)",
                            },
                        },
                    },
                    "The sessions made",
                )
            }
            | _errors(401, 403, 409, 422),
        },
    },
    "/learners": {
        "get": {
            "summary": "Learners visible to the token's user: search by furigana (hiragana and "
            "katakana alike), name, phone digits or card short code",
            "description": "Phone digits match only phones the user may see, card numbers and "
            "district only for those who see them; every read is written to the audit log.",
            "operationId": "listLearners",
            "parameters": [
                _param("q", {"type": "string"}),
                _param("district", {"type": "string"}),
                _param("page", {"type": "integer", "minimum": 1}),
            ],
            "responses": {"200": _json(_ref("LearnerPage"), "A page of learners")}
            | _errors(401, 422),
        },
        "post": {
            "summary": "Record a learner (coordinators and admins)",
            "operationId": "createLearner",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("LearnerInput")}},
            },
            "responses": {"201": _json(_ref("Learner"), "The new learner")}
            | _errors(401, 403, 422),
        },
    },
    "/learners/{learner_id}": {
        "parameters": [_param("learner_id", {"type": "integer"}, "path")],
        "get": {
            "summary": "One learner",
            "operationId": "getLearner",
            "responses": {"200": _json(_ref("Learner"), "The learner")} | _errors(401, 404),
        },
        "patch": {
            "summary": "Change a learner's record (coordinators and admins)",
            "operationId": "updateLearner",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("LearnerInput")}},
            },
            "responses": {"200": _json(_ref("Learner"), "The changed learner")}
            | _errors(401, 403, 404, 422),
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
    "/reports/summary": {
        "get": {
            "summary": "The dashboard's figures for the filter",
            "description": "Sessions held/cancelled/planned (by month, course, track, delivery "
            "type, partner, venue), attendances (延べ, present or late at held sessions), "
            "distinct learners (実人数), new and returning learners, average learners per "
            "session, no-show rate (excused is not a no-show), capacity filled, waitlist by "
            "course, staff hours, reach by district/age band/kind/device, skills reached. "
            "Shares are fractions (0.3 = 30%). Admins, coordinators and partners (their "
            "organization only).",
            "operationId": "reportSummary",
            "parameters": REPORT_FILTER_PARAMS,
            "responses": {"200": _json(_ref("ReportSummary"), "The figures")}
            | _errors(401, 403, 404, 422),
        }
    },
    "/reports/sessions.csv": _records_path(
        "exportSessionRecordsCsv",
        "text/csv",
        {"type": "string"},
        "CSV (UTF-8 with BOM, CRLF)",
    ),
    "/reports/sessions.xlsx": _records_path(
        "exportSessionRecordsXlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        {"type": "string", "format": "binary"},
        "XLSX",
    ),
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
