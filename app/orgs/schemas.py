"""What an organization's page posts, each field checked on its own (app.orgs.services adds
what needs the database: the slug not taken by another organization, a partner with
partner users or sessions not turned into the municipality)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator

from app.auth.models import Role
from app.orgs.models import OrgKind
from app.schemas import ApiIn, CleanText, MaybeText, Phone, at_most, choice
from app.text import is_slug

SLUG_MAX = 64
NAME_MAX = 200
EMAIL_MAX = 254

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _slug(slug: str) -> str:
    if slug and (len(slug) > SLUG_MAX or not is_slug(slug)):  # empty: the service says so
        raise ValueError(
            _l(
                "スラッグは半角の英小文字・数字・ハイフンで、%(n)d文字以内で入力してください(例: npo-tsunagu)。",
                n=SLUG_MAX,
            )
        )
    return slug


def _email(text: str | None) -> str | None:
    if not text:
        return None
    address = text.lower()
    if len(address) > EMAIL_MAX or not _EMAIL.match(address):
        raise ValueError(_l("メールアドレスの形式で入力してください(例: info@example.jp)。"))
    return address


class OrgIn(ApiIn):
    """An organization as its page posts it; an empty contact is None. (That kind, slug and
    name are there is app.orgs.services' check: one answer names every problem.)"""

    kind: Annotated[OrgKind | None, choice(OrgKind, None, _l("種別を選んでください。"))] = None
    slug: Annotated[CleanText, AfterValidator(_slug)] = ""
    name: Annotated[
        CleanText,
        at_most(NAME_MAX, _l("団体名は%(n)d文字以内で入力してください。", n=NAME_MAX)),
    ] = ""
    contact_name: Annotated[
        MaybeText,
        at_most(NAME_MAX, _l("担当者名は%(n)d文字以内で入力してください。", n=NAME_MAX)),
        AfterValidator(lambda text: text or None),
    ] = None
    contact_email: Annotated[MaybeText, AfterValidator(_email)] = None
    contact_phone: Phone = None


class UserIn(ApiIn):
    """A staff account's name, role and organization (a slug) as the administration pages post
    them. The email and password of a new account are app.auth.services.create_user's to read;
    that a partner's account belongs to a partner organization is app.orgs.services'."""

    name: Annotated[
        CleanText,
        at_most(NAME_MAX, _l("氏名は%(n)d文字以内で入力してください。", n=NAME_MAX)),
    ] = ""
    role: Annotated[Role | None, choice(Role, None, _l("役割を選んでください。"))] = None
    org: Annotated[MaybeText, AfterValidator(lambda slug: slug or None)] = None


def own_fields(model: type[ApiIn], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The model's fields of what a page posted: its form also posts a CSRF token (and, for a
    new account, the email and password that app.auth reads)."""
    return {k: v for k, v in raw.items() if k in model.model_fields}
