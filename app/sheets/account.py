"""Which Google account Dekiru's Sheets sync acts as, for the page that tells a partner whom to
share their spreadsheet with.

The address is the `client_email` of the service-account key named by SHEETS_CREDENTIALS. The
file is read once (again only when it changes) and only that field is kept: the private key
in the same file is never held, shown or logged here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any


class AccessState(StrEnum):
    KEY = "key"  # a service-account key: its address is known
    TOKEN = "token"  # only a ready token (SHEETS_ACCESS_TOKEN): no address to show
    MISSING = "missing"  # neither: this installation has no Sheets sync yet
    UNREADABLE = "unreadable"  # SHEETS_CREDENTIALS names a file that is not a key


@dataclass(frozen=True)
class SheetsAccess:
    state: AccessState
    email: str | None = None  # the service account's address, with a key
    path: str | None = None  # the configured key file, for the admin's message


@lru_cache(maxsize=4)
def _client_email(path: str, _changed: int) -> str | None:
    """The key file's client_email; `_changed` (its mtime) makes a replaced key read anew."""
    try:
        with open(path, encoding="utf-8") as key_file:
            email = json.load(key_file).get("client_email")
    except (OSError, ValueError, AttributeError):
        return None
    return email.strip() if isinstance(email, str) and "@" in email else None


def sheets_access(config: Any) -> SheetsAccess:
    """What this installation's Sheets credentials say (`config`: the app's config)."""
    path = config.get("SHEETS_CREDENTIALS")
    token = config.get("SHEETS_ACCESS_TOKEN")
    if path:
        try:
            changed = os.stat(path).st_mtime_ns
        except OSError:
            changed = -1
        email = _client_email(os.fspath(path), changed) if changed >= 0 else None
        if email:
            return SheetsAccess(AccessState.KEY, email=email, path=path)
        if not token:  # the token would be used anyway; without it, nothing works
            return SheetsAccess(AccessState.UNREADABLE, path=path)
    if token:
        return SheetsAccess(AccessState.TOKEN)
    return SheetsAccess(AccessState.MISSING)
