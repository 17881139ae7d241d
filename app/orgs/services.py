"""Organizations and staff accounts, as an administrator manages them.

Account creation itself (email, password, role checks) belongs to app.auth.services; this
module adds what an administrator's decisions need: organizations, the partner/organization
rule, and the guard that an administrator never locks themself out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth import services as accounts
from app.auth.models import Role, User
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.orgs import signals
from app.orgs.models import Organization, OrgKind
from app.orgs.schemas import OrgIn, UserIn, own_fields
from app.signals import total
from app.text import clean
from app.transaction import atomic

# ---------------------------------------------------------------- organizations


@dataclass
class OrgRow:
    org: Organization
    user_count: int


def list_orgs() -> list[OrgRow]:
    """Every organization with its number of users, in one query."""
    count = sa.func.count(User.id)
    rows = db.session.execute(
        sa.select(Organization, count)
        .outerjoin(User, User.org_id == Organization.id)
        .group_by(Organization.id)
        .order_by(
            sa.case((Organization.kind == OrgKind.MUNICIPALITY, 0), else_=1),
            Organization.name,
            Organization.id,
        )
    )
    return [OrgRow(org, n) for org, n in rows]


def all_orgs() -> list[Organization]:
    return list(db.session.scalars(sa.select(Organization).order_by(Organization.name)))


def get_org(org_id: int) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound(_("団体(ID %(id)s)は見つかりません。", id=org_id))
    return org


def _read_org(raw: Mapping[str, Any], current: Organization | None) -> dict[str, Any]:
    given, errors = OrgIn.read_partly(own_fields(OrgIn, raw))
    for name, missing in (
        ("kind", _("種別を選んでください。")),
        ("slug", _("スラッグを入力してください(例: npo-tsunagu)。")),
        ("name", _("団体名を入力してください。")),
    ):
        if not getattr(given, name):
            errors.setdefault(name, missing)
    if "slug" not in errors:
        taken = db.session.scalar(sa.select(Organization.id).where(Organization.slug == given.slug))
        if taken is not None and (current is None or taken != current.id):
            errors["slug"] = _("スラッグ「%(slug)s」は別の団体が使っています。", slug=given.slug)
    if current is not None and given.kind == OrgKind.MUNICIPALITY and current.is_partner:
        errors.update(_partner_ties(current))
    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    return given.model_dump()


def _partner_ties(org: Organization) -> dict[str, str]:
    """Why a partner organization cannot become the municipality, if anything ties it."""
    partners = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.org_id == org.id, User.role == Role.PARTNER)
    )
    if partners:
        return {
            "kind": _(
                "この団体には協力団体の利用者が%(n)d人いるため、自治体にはできません。",
                n=partners,
            )
        }
    sessions = total(signals.partner_sessions_counted, org)
    if sessions:
        return {
            "kind": _("この団体は%(n)d件の講座の協力団体のため、自治体にはできません。", n=sessions)
        }
    return {}


@atomic
def create_org(raw: Mapping[str, Any]) -> Organization:
    org = Organization(**_read_org(raw, None))
    db.session.add(org)
    db.session.flush()
    return org


@atomic
def update_org(org: Organization, raw: Mapping[str, Any]) -> Organization:
    for name, value in _read_org(raw, org).items():
        setattr(org, name, value)
    return org


# ---------------------------------------------------------------- users


@dataclass
class UserFilters:
    role: str | None = None
    org: str | None = None  # slug


def list_users(filters: UserFilters) -> list[User]:
    query = sa.select(User).options(joinedload(User.org))
    if filters.role in set(Role):
        query = query.where(User.role == filters.role)
    if filters.org:
        query = query.where(
            User.org_id.in_(sa.select(Organization.id).where(Organization.slug == filters.org))
        )
    return list(db.session.scalars(query.order_by(User.active.desc(), User.role, User.name)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("利用者(ID %(id)s)は見つかりません。", id=user_id))
    return user


def _org_for(role: str, org_slug: str | None, errors: dict[str, str]) -> Organization | None:
    org = None
    if org_slug:
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == org_slug))
        if org is None:
            errors["org"] = _("団体「%(slug)s」は見つかりません。", slug=org_slug)
            return None
    if role == Role.PARTNER:
        if org is None and "org" not in errors:
            errors["org"] = _("協力団体の利用者には所属団体が必要です。")
        elif org is not None and not org.is_partner:
            errors["org"] = _(
                "協力団体の利用者は、自治体以外の団体(NPO・携帯電話ショップ・自治会)に所属させてください。"
            )
    return org


def create_staff_user(raw: Mapping[str, Any]) -> User:
    """A new account; the rules of accounts themselves are app.auth.services.create_user's,
    which reports its fields' problems together with these."""
    given, errors = UserIn.read_partly(own_fields(UserIn, raw))
    role = given.role or clean(raw.get("role"))  # a wrong one is auth's to name, with its choices
    org = _org_for(role, given.org, errors)
    return accounts.create_user(
        raw.get("email") or "",
        role,
        raw.get("password") or "",
        name=given.name,
        org=org,
        errors=errors,
    )


def upcoming_staffed_sessions(user: User) -> int:
    """How many scheduled, not yet finished sessions list this person as instructor or assistant."""
    return total(signals.upcoming_staffing_counted, user)


def _self_demotion(actor: User, user: User, role: str) -> str | None:
    # Only administrators manage accounts, so this also keeps at least one administrator.
    if actor.id == user.id and role != Role.ADMIN:
        return _("自分自身を管理者以外の役割には変更できません。別の管理者に依頼してください。")
    return None


@atomic
def update_user(actor: User, user: User, raw: Mapping[str, Any]) -> User:
    """Change a person's name, role and organization."""
    given, errors = UserIn.read_partly(own_fields(UserIn, raw))
    if not given.name:
        errors.setdefault("name", _("氏名を入力してください。"))
    if given.role is None:
        errors.setdefault("role", _("役割を選んでください。"))
    role = given.role or ""
    org = _org_for(role, given.org, errors)
    if "role" not in errors and (why := _self_demotion(actor, user, role)):
        errors["role"] = why
    if "role" not in errors and user.role == Role.INSTRUCTOR and role != Role.INSTRUCTOR:
        # Sessions may only be staffed by instructors; taking the role away would leave them
        # staffed by someone a coordinator can no longer keep when editing the session.
        teaching = upcoming_staffed_sessions(user)
        if teaching:
            errors["role"] = _(
                "%(name)sさんは今後の講座%(n)d件の担当です。役割を変える前に、その講座の担当から外してください。",
                name=user.name,
                n=teaching,
            )
    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    user.name = given.name
    user.role = role
    user.org = org
    return user


@atomic
def set_active(actor: User, user: User, active: bool) -> User:
    """Deactivate or reactivate an account.

    A deactivated person cannot log in and their API tokens are refused (both check
    `active`), but the account and its history stay, so reactivating restores everything.
    """
    if actor.id == user.id and not active:
        why = _("自分自身のアカウントは無効にできません。別の管理者に依頼してください。")
        raise ValidationError(why, fields={"active": why})
    if not active:
        # Their open sessions end now and stay ended: reactivating does not revive them.
        accounts.end_sessions(user)
    user.active = active
    return user
