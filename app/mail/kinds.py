"""The kinds of notice Dekiru sends, registered by the areas that send them when they are
imported (as job handlers are): the mail area lists them on 「通知の設定」 without knowing
those areas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    # Lazy strings (flask_babel.lazy_gettext), shown in the reader's language.
    label: str
    # The subject of one message combining n notices of this kind ("3件の講座が変更されました").
    batch_subject: Callable[[int], str]
    # False for what a person must hear (a cancelled class): always sent, not on the page.
    optional: bool = True


KINDS: dict[str, Kind] = {}


def kind(
    name: str, label: str, *, batch_subject: Callable[[int], str], optional: bool = True
) -> None:
    """Register a kind of notice (again: replaced, so that re-importing a module is harmless)."""
    KINDS[name] = Kind(name, label, batch_subject, optional)


def optional_kinds() -> list[Kind]:
    return [k for k in KINDS.values() if k.optional]


def mandatory_kinds() -> list[Kind]:
    return [k for k in KINDS.values() if not k.optional]
