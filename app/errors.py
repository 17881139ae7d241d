"""Errors raised by services, shared by pages, the API and the CLI.

Services never return half-done work: they raise one of these before anything is committed.
The API turns them into DESIGN.md's error shape; pages show them beside the fields.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        code: str | None = None,
        **extra,
    ):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra
        if code is not None:
            self.code = code

    def body(self) -> dict:
        """DESIGN.md's error shape (the inside of {"error": ...}), as the API writes it."""
        fields = {name: str(text) for name, text in self.fields.items()}
        return {"code": self.code, "message": str(self.message), "fields": fields, **self.extra}


class ValidationError(ServiceError):
    """Input that cannot be accepted; `fields` maps each field to what is expected."""

    status = 422
    code = "invalid_input"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Gone(ServiceError):
    """It existed and was withdrawn (a revoked card)."""

    status = 410
    code = "gone"


class Conflict(ServiceError):
    """The request clashes with the state of the data (a double booking, a duplicate)."""

    status = 409

    def __init__(self, code: str, message: str, **extra):
        super().__init__(message, code=code, **extra)


RETRY_AFTER_SECONDS = 5


def database_busy(exc: BaseException) -> bool:
    """SQLite's one writer kept the lock past the busy timeout: the request may be tried
    again (503), it is not a fault of the request nor of the code."""
    orig = getattr(exc, "orig", None)
    return "database is locked" in str(orig if orig is not None else exc)
