"""The OpenAPI 3.1 document of /api/v1, made from the route table and the schemas.

Every rule under /api/v1 whose view carries an `@operation` (app.api.operations) becomes a
path and a method; its bodies, queries and answers are the pydantic models it names
(`model_json_schema` through `models_json_schema`, one component per model). Nothing here is
written by hand but the words of the document's head and of the error statuses.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from app.api import bp
from app.api.errors import ErrorOut
from app.api.operations import Operation
from app.auth.access import public

REF = "#/components/schemas/{model}"
_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
# What each error status means wherever it is answered; an operation may say more.
ERROR_MEANING = {
    400: "Malformed request",
    401: "Missing or invalid bearer token",
    403: "The token's role may not do this",
    404: "Unknown, or not visible to this token",
    409: "Clashes with existing data; `code` says how (venue_conflict, instructor_conflict, ...)",
    410: "Withdrawn (a card replaced by a new one: revoked_card)",
    422: "Invalid input; `fields` names each field and what is expected",
}


def operations(app: Flask) -> list[tuple[str, str, Operation, frozenset[str]]]:
    """(path, method, operation, roles) for every documented rule, in the route table's terms:
    the path as OpenAPI writes it (`{session_id}`), the method lower-case."""
    prefix = bp.url_prefix or ""
    found: list[tuple[str, str, Operation, frozenset[str]]] = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        op = getattr(view, "operation", None)
        if op is None or not rule.rule.startswith(f"{prefix}/"):
            continue
        path = _ARGUMENT.sub(r"{\2}", rule.rule.removeprefix(prefix))
        roles = frozenset(getattr(view, "allowed_roles", ()))
        found.extend(
            (path, method.lower(), op, roles)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        )
    return sorted(found, key=lambda item: (item[0], item[1]))


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer"} if name.endswith("_id") else {"type": "string"},
        }
        for name in re.findall(r"{(\w+)}", path)
    ]


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        prop.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            param["description"] = prop.pop("description")
        param["schema"] = prop
        params.append(param)
    return params


def _without_null_defaults(node: Any) -> None:
    """Not sent is the field's default, None for many, and not a value its schema need allow
    (the validator checks defaults against schemas): dropped from the document."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None:
            del node["default"]
        for value in node.values():
            _without_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _without_null_defaults(value)


def _content(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {media: {"schema": schema}}


def document(app: Flask | None = None) -> dict[str, Any]:
    app = app or current_app
    ops = operations(app)
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = {(ErrorOut, "serialization")}
    for _path, _method, op, _roles in ops:
        wanted.update((m, "validation") for m in (op.body, op.query) if m is not None)
        wanted.update((r.model, "serialization") for r in op.replies.values() if r.model)
    refs, defs = models_json_schema(
        sorted(wanted, key=lambda item: (item[0].__name__, item[1])), ref_template=REF
    )
    components: dict[str, dict[str, Any]] = defs["$defs"]
    _without_null_defaults(components)

    def schema_of(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return refs[(model, mode)]

    def component(model: type[BaseModel]) -> dict[str, Any]:
        return components[schema_of(model, "validation")["$ref"].rsplit("/", 1)[1]]

    paths: dict[str, dict[str, Any]] = {}
    for path, method, op, roles in ops:
        item: dict[str, Any] = {"summary": op.summary, "operationId": op.operation_id}
        description = op.description
        if roles:
            description = f"{description}\n\nRoles: {', '.join(sorted(roles))}.".strip()
        item["description"] = description
        params = _path_parameters(path)
        if op.query is not None:
            params += _query_parameters(component(op.query))
        if params:
            item["parameters"] = params
        if op.body is not None:
            item["requestBody"] = {
                "required": True,
                "content": _content(schema_of(op.body, "validation")),
            }
        responses: dict[str, Any] = {}
        for status, reply in op.replies.items():
            schema = schema_of(reply.model, "serialization") if reply.model else reply.schema
            responses[str(status)] = {
                "description": reply.description,
                "content": _content(dict(schema or {}), reply.media),
            }
        for status, meaning in sorted(op.errors.items()):
            responses[str(status)] = (
                {"description": meaning, "content": _content(schema_of(ErrorOut, "serialization"))}
                if meaning
                else {"$ref": f"#/components/responses/E{status}"}
            )
        item["responses"] = responses
        paths.setdefault(path, {})[method] = item
    # A query is written out as the operation's parameters, not as a body anyone sends.
    for _path, _method, op, _roles in ops:
        if op.query is not None:
            components.pop(schema_of(op.query, "validation")["$ref"].rsplit("/", 1)[1], None)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dekiru API",
            "version": "1.0.0",
            "description": "Sessions (コマ), venues, courses, learners, registrations, check-ins "
            "and reports of a city's digital-literacy classes. Times are ISO 8601 with offset "
            '(Japan time). Errors are always `{"error": {"code", "message", "fields"}}`.',
        },
        "servers": [{"url": bp.url_prefix}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": components,
            "responses": {
                f"E{status}": {
                    "description": meaning,
                    "content": _content(schema_of(ErrorOut, "serialization")),
                }
                for status, meaning in ERROR_MEANING.items()
            },
        },
    }


@bp.get("/openapi.json")
@public
def openapi_json() -> dict[str, Any]:
    return document()
