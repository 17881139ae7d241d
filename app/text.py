"""Normalising text that people type (full-width digits, half-width kana, stray spaces)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def clean(value: str | None) -> str:
    """NFKC-normalise, trim and fold runs of white space (including 全角スペース)."""
    if value is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()


def clean_or_none(value: str | None) -> str | None:
    return clean(value) or None


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def is_slug(value: str) -> bool:
    return bool(_SLUG.match(value))
