"""What each API view promises, written beside the view: `@operation(...)`.

app.api.openapi walks the Flask route table and reads these to make /api/v1/openapi.json: the
path and the methods come from the route, the roles from `api_roles`, the bodies from the
schemas named here. A view without one is not part of the contract (the document itself).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Reply:
    """One successful answer: a model written as JSON, or a file of `media` described by
    `schema`."""

    description: str
    model: type[BaseModel] | None = None
    media: str = "application/json"
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Operation:
    summary: str
    replies: Mapping[int, Reply]
    # Each error status this operation answers, with what it means here ("" for the usual).
    errors: Mapping[int, str]
    description: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    operation_id: str = field(default="")


def operation(
    summary: str,
    replies: Mapping[int, Reply],
    errors: Mapping[int, str] | tuple[int, ...],
    *,
    description: str = "",
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
) -> Callable[[View], View]:
    """Put under the route's decorator, over `api_roles`."""
    listed = errors if isinstance(errors, Mapping) else dict.fromkeys(errors, "")

    def attach(view: View) -> View:
        # The contract rides on the view function, as Flask's own markers do.
        view.operation = Operation(  # type: ignore[attr-defined]
            summary=summary,
            replies=replies,
            errors=listed,
            description=description,
            body=body,
            query=query,
            operation_id=view.__name__,
        )
        return view

    return attach
