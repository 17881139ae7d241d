"""Calendar feeds and the pages that hand out their addresses. Thin: find whose feed it is,
answer 304 from the fingerprint when the app already has it, otherwise build it.

Feed URLs are public endpoints: calendar apps send no cookies, so a private feed's only key
is the secret token in its address (unknown or revoked: 404, like a page that never was).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import qrcode
import qrcode.constants
import qrcode.image.svg
import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.http import http_date

from app.auth.access import ALL_STAFF, PLANNERS, is_planner, public, roles
from app.auth.models import Role
from app.calendars import bp, events, feeds, tokens
from app.calendars.models import FeedOwner
from app.errors import NotFound
from app.extensions import db
from app.orgs.models import Organization, OrgKind
from app.people import learners
from app.people.models import Learner
from app.scheduling.models import Session, Venue
from app.scheduling.queries import visibility_clause
from app.timeutil import utcnow

PUBLIC_CACHE = "public, max-age=300"
# Revalidate every time: the 304 is cheap, and a regenerated token must stop at once.
PRIVATE_CACHE = "private, no-cache"


def _not_modified(fp: feeds.Fingerprint) -> bool:
    # RFC 9110: when If-None-Match is present, If-Modified-Since is not looked at.
    if request.if_none_match:
        return request.if_none_match.contains_weak(fp.etag.strip('"'))
    since = request.if_modified_since
    return bool(since and fp.last_modified and fp.last_modified.replace(microsecond=0) <= since)


def _answer(feed: feeds.Feed, filename: str, *, private: bool, vary_cookie: bool = False):
    site, now = feeds.Site.current(), utcnow()
    fp = feeds.fingerprint(feed, site, now)
    headers = {
        "ETag": fp.etag,
        "Cache-Control": PRIVATE_CACHE if private else PUBLIC_CACHE,
        "Content-Disposition": f'inline; filename="{filename}"',
    }
    if fp.last_modified is not None:
        headers["Last-Modified"] = http_date(fp.last_modified)
    if vary_cookie:
        headers["Vary"] = "Cookie"
    if private:
        headers["X-Robots-Tag"] = "noindex"
    if _not_modified(fp):
        return Response(status=304, headers=headers)
    body = events.render(feed, site, now)
    return Response(body, headers=headers, content_type="text/calendar; charset=utf-8")


def _owner(token: str, owner_type: str):
    found = tokens.find(token, owner_type)
    if found is None:
        raise NotFound(_("このカレンダーのURLは使えません。新しいURLを確認してください。"))
    return found.owner


# ---------------------------------------------------------------- the feeds


@bp.get("/calendar/public.ics")
@public
def public_feed():
    return _answer(feeds.public_feed(), "dekiru-public.ics", private=False)


@bp.get("/calendar/venue/<slug>.ics")
@public
def venue_feed(slug: str):
    venue = db.session.scalar(sa.select(Venue).where(Venue.slug == slug))
    if venue is None:
        raise NotFound(_("会場「%(slug)s」は見つかりません。", slug=slug))
    return _answer(feeds.venue_feed(venue), f"dekiru-venue-{venue.slug}.ics", private=False)


@bp.get("/calendar/instructor/<token>.ics")
@public
def instructor_feed(token: str):
    user = _owner(token, FeedOwner.INSTRUCTOR)
    return _answer(feeds.instructor_feed(user), "dekiru-instructor.ics", private=True)


@bp.get("/calendar/org/<token>.ics")
@public
def org_feed(token: str):
    org = _owner(token, FeedOwner.ORG)
    return _answer(feeds.org_feed(org), "dekiru-org.ics", private=True)


@bp.get("/calendar/learner/<token>.ics")
@public
def learner_feed(token: str):
    learner = _owner(token, FeedOwner.LEARNER)
    return _answer(feeds.learner_feed(learner), "dekiru-classes.ics", private=True)


@bp.get("/sessions/<int:session_id>.ics")
@public
def session_ics(session_id: int):
    """One session for "add to my calendar": staff who may see it get the staff version;
    anyone gets a public session's public version; everything else is 404."""
    staff = current_user.is_authenticated and db.session.scalar(
        sa.select(Session.id).where(Session.id == session_id, visibility_clause(current_user))
    )
    if not staff:
        listed = db.session.scalar(
            sa.select(Session.id).where(Session.id == session_id, Session.public.is_(True))
        )
        if listed is None:
            raise NotFound(_("講座(ID %(id)s)は見つかりません。", id=session_id))
    return _answer(
        feeds.session_feed(session_id, staff=bool(staff)),
        f"dekiru-session-{session_id}.ics",
        private=bool(staff),
        vary_cookie=True,
    )


# ---------------------------------------------------------------- handing out addresses


@dataclass(frozen=True)
class FeedLink:
    url: str

    @property
    def webcal(self) -> str:
        return re.sub(r"^https?://", "webcal://", self.url)

    @property
    def qr_svg(self) -> Markup:
        return Markup(url_qr_svg(self.url))


def url_qr_svg(url: str) -> str:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(
        encoding="unicode"
    )


_FEED_ENDPOINT: dict[str, str] = {
    FeedOwner.INSTRUCTOR: "calendars.instructor_feed",
    FeedOwner.ORG: "calendars.org_feed",
    FeedOwner.LEARNER: "calendars.learner_feed",
}


def _link(owner_type: str, token: str) -> FeedLink:
    return FeedLink(url_for(_FEED_ENDPOINT[owner_type], token=token, _external=True))


@bp.app_template_global()
def learner_calendar(learner: Learner, create: bool = False) -> FeedLink | None:
    """A learner's feed address for the learner's page (planners) and the confirmation
    (the learner). `create` makes the first one: the confirmation hands it out unasked."""
    token = (
        tokens.token_for(FeedOwner.LEARNER, learner.id)
        if create
        else tokens.current(FeedOwner.LEARNER, learner.id)
    )
    return _link(FeedOwner.LEARNER, token.token) if token else None


def _partner_org() -> Organization | None:
    if current_user.role != Role.PARTNER or current_user.org_id is None:
        return None
    org = db.session.get(Organization, current_user.org_id)
    return org if org is not None and org.kind != OrgKind.MUNICIPALITY else None


@bp.get("/calendar")
@roles(*ALL_STAFF)
def my_feeds():
    mine = None
    if current_user.role == Role.INSTRUCTOR:
        mine = _link(
            FeedOwner.INSTRUCTOR, tokens.token_for(FeedOwner.INSTRUCTOR, current_user.id).token
        )
    org = _partner_org()
    org_link = _link(FeedOwner.ORG, tokens.token_for(FeedOwner.ORG, org.id).token) if org else None
    venues = []
    if is_planner(current_user):
        venues = [
            (v, FeedLink(url_for("calendars.venue_feed", slug=v.slug, _external=True)))
            for v in db.session.scalars(sa.select(Venue).order_by(Venue.district, Venue.name))
        ]
    return render_template(
        "calendars/my_feeds.html",
        mine=mine,
        org=org,
        org_link=org_link,
        public_link=FeedLink(url_for("calendars.public_feed", _external=True)),
        venues=venues,
    )


@bp.post("/calendar/instructor/regenerate")
@roles(Role.INSTRUCTOR)
def regenerate_instructor():
    tokens.regenerate(FeedOwner.INSTRUCTOR, current_user.id)
    flash(_("新しいURLを作りました。前のURLはもう使えません。"), "success")
    return redirect(url_for("calendars.my_feeds"), code=303)


@bp.post("/calendar/org/regenerate")
@roles(Role.PARTNER)
def regenerate_org():
    org = _partner_org()
    if org is None:
        raise NotFound(_("団体が登録されていません。"))
    tokens.regenerate(FeedOwner.ORG, org.id)
    flash(_("新しいURLを作りました。前のURLはもう使えません。"), "success")
    return redirect(url_for("calendars.my_feeds"), code=303)


@bp.post("/learners/<int:learner_id>/calendar/regenerate")
@roles(*PLANNERS)
def regenerate_learner(learner_id: int):
    learner = learners.get_learner(current_user, learner_id)
    had_one = tokens.current(FeedOwner.LEARNER, learner.id) is not None
    tokens.regenerate(FeedOwner.LEARNER, learner.id)
    if had_one:
        flash(_("新しいURLを作りました。前のURLはもう使えません。"), "success")
    else:
        flash(_("カレンダーのURLを作りました。"), "success")
    return redirect(
        url_for("people.learner_detail", learner_id=learner.id, _anchor="calendar"), code=303
    )


@bp.get("/learners/<int:learner_id>/calendar-qr")
@roles(*PLANNERS)
def learner_qr(learner_id: int):
    """A sheet to print for the family member who keeps the learner's calendar."""
    learner = learners.get_learner(current_user, learner_id)
    link = learner_calendar(learner, create=True)
    return render_template("calendars/learner_qr.html", learner=learner, link=link)
