"""Who hears of what in staffing, by e-mail.

Every function here writes notices to the outbox (app.mail) inside the caller's transaction:
the change and the message commit together or not at all, and the job engine sends them after.
Each notice is rendered in its reader's language; notices to one person within a few minutes
come as one message (the outbox batches them).

- a partner's contact and its users: new requests, what became of its offers and requests,
  changes and cancellations of its classes;
- instructors and assistants: their assignments, changes, cancellations (each with the class
  as a calendar invitation), and a reminder before each class;
- coordinators: offers, partners' replies, proposals, requests that went unfilled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import Role, User
from app.calendars.events import invitation
from app.extensions import db
from app.links import site_request
from app.mail import outbox
from app.mail.kinds import kind
from app.orgs.models import Organization
from app.scheduling.models import Session, StaffRole
from app.staffing.models import (
    OfferStatus,
    RequestStatus,
    SessionProposal,
    StaffingOffer,
    StaffingRequest,
)
from app.templating import format_date, format_datetime, format_time
from app.timeutil import utcnow

# ---------------------------------------------------------------- the kinds of notice

REQUEST = "staffing_request"
DECISION = "staffing_decision"
REPLY = "staffing_reply"
ASSIGNMENT = "assignment"
CHANGE = "session_changed"
CANCEL = "session_cancelled"
REMINDER = "reminder"

kind(
    REQUEST,
    _l("市からの担当の依頼"),
    batch_subject=lambda n: ngettext(
        "%(num)d件の担当の依頼が届きました", "%(num)d件の担当の依頼が届きました", n
    ),
)
kind(
    DECISION,
    _l("申し出・依頼の結果"),
    batch_subject=lambda n: ngettext("%(num)d件の依頼の結果", "%(num)d件の依頼の結果", n),
)
kind(
    REPLY,
    _l("協力団体からの申し出・お断り・提案(コーディネーター)"),
    batch_subject=lambda n: ngettext(
        "協力団体から%(num)d件の返事・提案", "協力団体から%(num)d件の返事・提案", n
    ),
)
kind(
    ASSIGNMENT,
    _l("担当が決まったお知らせ"),
    batch_subject=lambda n: ngettext(
        "%(num)d件の講座の担当が決まりました", "%(num)d件の講座の担当が決まりました", n
    ),
)
kind(
    CHANGE,
    _l("講座の日時・会場の変更"),
    batch_subject=lambda n: ngettext(
        "%(num)d件の講座が変更されました", "%(num)d件の講座が変更されました", n
    ),
)
kind(
    CANCEL,
    _l("講座の中止・担当から外れたお知らせ"),
    batch_subject=lambda n: ngettext(
        "%(num)d件の講座が中止になりました", "%(num)d件の講座が中止になりました", n
    ),
    optional=False,
)
kind(
    REMINDER,
    _l("講座の前日までのお知らせ(リマインダー)"),
    batch_subject=lambda n: ngettext(
        "%(num)d件の講座が近づいています", "%(num)d件の講座が近づいています", n
    ),
)


# ---------------------------------------------------------------- who


@dataclass(frozen=True)
class Reader:
    email: str
    name: str


def _unique(readers: Iterable[Reader]) -> list[Reader]:
    seen: dict[str, Reader] = {}
    for reader in readers:
        if reader.email:
            seen.setdefault(reader.email.lower(), reader)
    return list(seen.values())


def org_readers(org: Organization) -> list[Reader]:
    """A partner's contact address and its active partner users."""
    users = db.session.scalars(
        sa.select(User).where(
            User.org_id == org.id, User.role == Role.PARTNER, User.active.is_(True)
        )
    )
    contact = [Reader(org.contact_email, org.contact_name or org.name)] if org.contact_email else []
    return _unique([*contact, *(Reader(u.email, u.name) for u in users)])


def coordinators() -> list[Reader]:
    """The coordinators; where there is none, the administrators."""
    for role in (Role.COORDINATOR, Role.ADMIN):
        users = db.session.scalars(
            sa.select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)
        ).all()
        if users:
            return _unique(Reader(u.email, u.name) for u in users)
    return []


# ---------------------------------------------------------------- what it says


def _when(session: Session) -> str:
    return f"{format_datetime(session.starts_at)}〜{format_time(session.ends_at)}"


def _session_lines(session: Session) -> list[tuple[str, str]]:
    venue = session.venue
    place = f"{venue.name}({venue.address})" if venue.address else venue.name
    return [
        (_("講座"), session.course_version.title),
        (_("日時"), _when(session)),
        (_("会場"), place),
    ]


def _send(
    reader: Reader,
    notice_kind: str,
    *,
    subject: str,
    title: str,
    lines: Sequence[tuple[str, str]] = (),
    paragraphs: Sequence[str] = (),
    link: tuple[str, str] | None = None,
    ics: bytes | None = None,
    about: str | None = None,
) -> None:
    """One notice to one reader, its words already in the reader's language."""
    context = {"title": title, "lines": lines, "paragraphs": paragraphs, "link": link}
    outbox.notify(
        to_email=reader.email,
        to_name=reader.name,
        kind=notice_kind,
        subject=subject,
        text=render_template("staffing/mail/notice.txt", **context),
        html=render_template("staffing/mail/notice.html", **context),
        ics=ics,
        about=about,
    )


def _each_reader(readers: Iterable[Reader], notice_kind: str):
    """The readers who want this kind, each with their language in force."""
    for reader in readers:
        if not outbox.wants(reader.email, notice_kind):
            continue
        with force_locale(outbox.locale_for(reader.email)):
            yield reader


def _requests_page(org_id: int) -> str:
    return url_for("staffing.org_requests", org_id=org_id, _external=True)


def _board() -> str:
    return url_for("staffing.board", _external=True)


# ---------------------------------------------------------------- requests and offers


def requests_made(requests: Sequence[StaffingRequest]) -> None:
    """Each partner asked hears of its new requests (a series: one message, the outbox
    batches them)."""
    with site_request():
        for request in requests:
            session = request.session
            for reader in _each_reader(org_readers(request.org), REQUEST):
                _send(
                    reader,
                    REQUEST,
                    subject=_about(session, _("担当の依頼")),
                    title=_("%(org)s さまへ 講座の担当のお願いです。", org=request.org.name),
                    lines=[
                        *_session_lines(session),
                        (
                            _("お願いする人数"),
                            _(
                                "講師 %(i)d人・アシスタント %(a)d人",
                                i=request.instructors,
                                a=request.assistants,
                            ),
                        ),
                        (_("回答期限"), format_date(request.respond_by)),
                    ],
                    paragraphs=[request.note] if request.note else [],
                    link=(_("依頼を見る・申し出る"), _requests_page(request.org_id)),
                    about=f"request-{request.id}",
                )


def _request_outcome(request: StaffingRequest) -> str:
    return {
        RequestStatus.WITHDRAWN: _("市がこの依頼を取り下げました。"),
        RequestStatus.NOT_NEEDED: _(
            "ほかの団体の担当が決まったため、この依頼は不要になりました。ありがとうございました。"
        ),
        RequestStatus.UNFILLED: _("回答期限が過ぎたため、この依頼は締め切りました。"),
        RequestStatus.DECLINED: _("この依頼はお断りとなりました。"),
        RequestStatus.CONFIRMED: _("担当が確定しました。"),
    }.get(RequestStatus(request.status), "")


def request_closed(request: StaffingRequest) -> None:
    """The partner hears that a request is withdrawn or no longer needed."""
    with site_request():
        session = request.session
        for reader in _each_reader(org_readers(request.org), DECISION):
            _send(
                reader,
                DECISION,
                subject=_about(session, _("依頼の終了")),
                title=_request_outcome(request),
                lines=_session_lines(session),
                paragraphs=[request.reason] if request.reason else [],
                link=(_("依頼の一覧"), _requests_page(request.org_id)),
                about=f"request-{request.id}",
            )


def offer_decided(offer: StaffingOffer) -> None:
    """The partner hears whether its offer was confirmed or declined (and why)."""
    request = offer.request
    session = request.session
    with site_request():
        for reader in _each_reader(org_readers(request.org), DECISION):
            confirmed = offer.status == OfferStatus.CONFIRMED
            people = "、".join(p.user.name for p in offer.people) or _("後日お知らせいただく方")
            _send(
                reader,
                DECISION,
                subject=_about(session, _("担当の確定") if confirmed else _("申し出へのお返事")),
                title=(
                    _("申し出を確定しました。よろしくお願いします。")
                    if confirmed
                    else _("申し出をお受けできませんでした。")
                ),
                lines=[*_session_lines(session), (_("担当"), people)],
                paragraphs=[offer.reason] if offer.reason else [],
                link=(_("依頼の一覧"), _requests_page(request.org_id)),
                about=f"request-{request.id}",
            )


def partner_replied(request: StaffingRequest, offer: StaffingOffer | None) -> None:
    """The coordinators hear of an offer, or that the partner cannot staff the class."""
    session = request.session
    with site_request():
        for reader in _each_reader(coordinators(), REPLY):
            if offer is None:
                title = _("%(org)s は担当できないとの返事です。", org=request.org.name)
                people = ""
            elif offer.people:
                title = _("%(org)s から担当の申し出がありました。", org=request.org.name)
                people = "、".join(p.user.name for p in offer.people)
            else:
                title = _("%(org)s から担当の申し出がありました。", org=request.org.name)
                people = (
                    _("%(day)s までに決めるとのことです", day=format_date(offer.name_by))
                    if offer.name_by
                    else ""
                )
            lines = [*_session_lines(session)]
            if people:
                lines.append((_("担当"), people))
            paragraphs = [
                *(offer.warnings if offer else []),
                offer.note if offer else request.reason,
            ]
            _send(
                reader,
                REPLY,
                subject=_about(session, _("%(org)s の返事", org=request.org.name)),
                title=title,
                lines=lines,
                paragraphs=[p for p in paragraphs if p],
                link=(_("担当の状況を見る"), _board()),
                about=f"request-{request.id}",
            )


def requests_unfilled(requests: Sequence[StaffingRequest]) -> None:
    """A request whose date passed: the partner is told it is closed, the coordinators that
    the class still needs someone."""
    if not requests:
        return
    for request in requests:
        request_closed(request)
    with site_request():
        for reader in _each_reader(coordinators(), REPLY):
            for request in requests:
                session = request.session
                _send(
                    reader,
                    REPLY,
                    subject=_about(session, _("期限切れの依頼")),
                    title=_(
                        "%(org)s への依頼は回答期限を過ぎました。担当はまだ決まっていません。",
                        org=request.org.name,
                    ),
                    lines=_session_lines(session),
                    link=(_("担当の状況を見る"), _board()),
                    about=f"request-{request.id}",
                )


# ---------------------------------------------------------------- proposals


def proposal_made(proposal: SessionProposal) -> None:
    """Tell the coordinators a partner proposed a class (inside the caller's transaction)."""
    with site_request():
        for reader in _each_reader(coordinators(), REPLY):
            _send(
                reader,
                REPLY,
                subject=_(
                    "講座の提案: %(org)s「%(course)s」",
                    org=proposal.org.name,
                    course=proposal.course.current_version.title
                    if proposal.course.current_version
                    else proposal.course.slug,
                ),
                title=_("%(org)s から講座の提案がありました。", org=proposal.org.name),
                lines=[
                    (
                        _("日時"),
                        f"{format_datetime(proposal.starts_at)}〜{format_time(proposal.ends_at)}",
                    ),
                    (_("会場"), proposal.venue.name),
                    (_("定員"), str(proposal.capacity)),
                ],
                paragraphs=[proposal.note] if proposal.note else [],
                link=(_("提案を見る"), url_for("staffing.board", _external=True)),
                about=f"proposal-{proposal.id}",
            )


def proposal_decided(proposal: SessionProposal) -> None:
    """Tell the proposing partner the coordinator approved or declined its proposal."""
    with site_request():
        for reader in _each_reader(org_readers(proposal.org), DECISION):
            approved = proposal.session_id is not None
            _send(
                reader,
                DECISION,
                subject=_("講座の提案へのお返事: %(day)s", day=format_date(proposal.starts_at)),
                title=(
                    _("提案いただいた講座を予定に入れました。")
                    if approved
                    else _("提案いただいた講座は今回お受けできませんでした。")
                ),
                lines=[
                    (
                        _("日時"),
                        f"{format_datetime(proposal.starts_at)}〜{format_time(proposal.ends_at)}",
                    ),
                    (_("会場"), proposal.venue.name),
                ],
                paragraphs=[proposal.reason] if proposal.reason else [],
                link=(
                    _("団体のページ"),
                    url_for("partners.partner_page", org_id=proposal.org_id, _external=True),
                ),
                about=f"proposal-{proposal.id}",
            )


# ---------------------------------------------------------------- a class changed


@dataclass
class Change:
    """What one flush-to-commit did to one class, for the people it concerns."""

    staff_before: dict[int, str]
    staff_after: dict[int, str]
    new: bool = False
    moved: bool = False  # its time or venue
    cancelled: bool = False
    org_before: int | None = None
    org_after: int | None = None


def _invite(session_id: int, method: str, reader: Reader) -> bytes:
    return invitation(
        [session_id],
        method=method,
        attendee=reader.email,
        organizer=current_app.config.get("MAIL_FROM") or "dekiru@localhost",
        now=utcnow(),
    )


def _staff_page(session_id: int) -> str:
    return url_for("scheduling.session_detail", session_id=session_id, _external=True)


def sessions_changed(changes: dict[int, Change]) -> None:
    """Tell each person what a change to a class means for them: an assignment, a move, a
    cancellation, being taken off it; and the class's partner of a move or a cancellation.
    Classes already begun are history: nobody is told."""
    if not changes:
        return
    sessions = {
        s.id: s
        for s in db.session.scalars(
            sa.select(Session).where(Session.id.in_(changes), Session.starts_at > utcnow())
        )
    }
    if not sessions:
        return
    people_ids = {u for c in changes.values() for u in (*c.staff_before, *c.staff_after)}
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(people_ids)))}
    org_ids = {o for c in changes.values() for o in (c.org_before, c.org_after) if o}
    orgs = {
        o.id: o
        for o in db.session.scalars(sa.select(Organization).where(Organization.id.in_(org_ids)))
    }
    with site_request():
        for session_id, change in changes.items():
            session = sessions.get(session_id)
            if session is None:
                continue
            for user_id in set(change.staff_before) | set(change.staff_after):
                user = people.get(user_id)
                if user is not None and user.active:
                    _tell_person(session, change, Reader(user.email, user.name), user_id)
            for org_id in {change.org_before, change.org_after} - {None}:
                org = orgs.get(org_id)  # type: ignore[arg-type]
                if org is not None:
                    _tell_partner(session, change, org)


def _role_word(role: str) -> str:
    return _("講師") if role == StaffRole.INSTRUCTOR else _("アシスタント")


def _about(session: Session, heading: str) -> str:
    """A subject: what happened, the day, the course."""
    return _(
        "%(what)s: %(day)s「%(course)s」",
        what=heading,
        day=format_date(session.starts_at),
        course=session.course_version.title,
    )


def _person_words(session: Session, change: Change, before: str | None, after: str | None):
    """(kind, METHOD, words) for one person, or None; the words are made in the reader's
    language, once it is in force."""
    if change.cancelled:
        return (
            CANCEL,
            "CANCEL",
            lambda: (
                _about(session, _("講座の中止")),
                _("担当の講座が中止になりました。"),
                [session.cancel_reason] if session.cancel_reason else [],
            ),
        )
    if after is None:
        return (
            CANCEL,
            "CANCEL",
            lambda: (
                _about(session, _("担当の取り消し")),
                _("この講座の担当から外れました。"),
                [],
            ),
        )
    if before is None:
        return (
            ASSIGNMENT,
            "REQUEST",
            lambda: (
                _about(session, _("担当の決定")),
                _("%(role)sとして担当が決まりました。", role=_role_word(after)),
                [_("添付の予定を開くと、カレンダーに入ります。")],
            ),
        )
    if change.moved or before != after:
        return (
            CHANGE,
            "REQUEST",
            lambda: (
                _about(session, _("講座の変更")),
                _("担当の講座の日時・会場または役割が変わりました。"),
                [_("添付の予定を開くと、カレンダーの予定が新しくなります。")],
            ),
        )
    return None


def _tell_person(session: Session, change: Change, person: Reader, user_id: int) -> None:
    found = _person_words(
        session, change, change.staff_before.get(user_id), change.staff_after.get(user_id)
    )
    if found is None:
        return
    notice, method, words = found
    for reader in _each_reader([person], notice):
        subject, title, paragraphs = words()
        _send(
            reader,
            notice,
            subject=subject,
            title=title,
            lines=_session_lines(session),
            paragraphs=paragraphs,
            link=(_("講座のページ"), _staff_page(session.id)),
            ics=_invite(session.id, method, reader),
            about=f"session-{session.id}",
        )


def _partner_words(session: Session, change: Change, org: Organization):
    if change.cancelled:
        return CANCEL, lambda: (
            _about(session, _("講座の中止")),
            _("%(org)s が担当する講座が中止になりました。", org=org.name),
        )
    if change.org_before != change.org_after and org.id == change.org_before:
        return CANCEL, lambda: (
            _about(session, _("担当の取り消し")),
            _("この講座は %(org)s の担当ではなくなりました。", org=org.name),
        )
    if change.moved and not change.new:
        return CHANGE, lambda: (
            _about(session, _("講座の変更")),
            _("%(org)s が担当する講座の日時・会場が変わりました。", org=org.name),
        )
    return None


def _tell_partner(session: Session, change: Change, org: Organization) -> None:
    found = _partner_words(session, change, org)
    if found is None:
        return
    notice, words = found
    for reader in _each_reader(org_readers(org), notice):
        subject, title = words()
        _send(
            reader,
            notice,
            subject=subject,
            title=title,
            lines=_session_lines(session),
            paragraphs=[session.cancel_reason]
            if change.cancelled and session.cancel_reason
            else [],
            link=(
                _("団体のページ"),
                url_for("partners.partner_page", org_id=org.id, _external=True),
            ),
            about=f"session-{session.id}",
        )


# ---------------------------------------------------------------- the reminder


def remind(session: Session, registered: int, checkin_url: str) -> int:
    """The reminder before a class to each of its instructors and assistants: time, venue
    and its access notes, how many registered, the check-in page. Returns how many."""
    sent = 0
    with site_request():
        for member in session.staff:
            user = member.user
            if not user.active:
                continue
            for reader in _each_reader([Reader(user.email, user.name)], REMINDER):
                venue = session.venue
                lines = [
                    *_session_lines(session),
                    (_("役割"), _role_word(member.role)),
                    (_("申込"), _("%(n)d人 / 定員%(c)d人", n=registered, c=session.capacity)),
                ]
                if venue.accessibility_notes:
                    lines.append((_("会場の案内"), venue.accessibility_notes))
                _send(
                    reader,
                    REMINDER,
                    subject=_about(session, _("講座のお知らせ")),
                    title=_("担当の講座が近づいています。"),
                    lines=lines,
                    link=(_("受付(チェックイン)のページ"), checkin_url),
                    about=f"session-{session.id}",
                )
                sent += 1
    return sent
