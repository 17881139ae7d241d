"""Normalising text that people type (full-width digits, half-width kana, stray spaces)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def clean(value: str | None) -> str:
    """NFKC-normalise, trim and fold runs of white space (including 全角スペース).

    NUL goes too: nobody types it, and PostgreSQL cannot store it. (The API refuses it, and a
    lone surrogate, before this: app.inputs.)
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).replace("\x00", "")
    return _SPACES.sub(" ", text).strip()


def clean_or_none(value: str | None) -> str | None:
    return clean(value) or None


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def is_slug(value: str) -> bool:
    return bool(_SLUG.match(value))
