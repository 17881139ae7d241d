"""The paper sign-in sheet (受付名簿): the door's fallback when there is no network or no
device, printed from any browser (a plain page with a print stylesheet). It lists who is
registered and waitlisted, with their card's QR for whoever may see cards."""

from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from app.auth.access import ALL_STAFF, roles
from app.checkin import bp
from app.checkin.paper import may_use
from app.checkin.services import RosterRow, on_the_sheet, roster
from app.people import cards
from app.people.privacy import Field, may_see, record_download, require_roster_rights
from app.scheduling.queries import get_session
from app.timeutil import utcnow


@bp.get("/sessions/<int:session_id>/roster/print")
@roles(*ALL_STAFF)
def roster_print(session_id: int):
    session = get_session(current_user, session_id)
    # Instructors of the same organization may see the session exists; its people are for
    # the instructors who teach it.
    require_roster_rights(current_user, session)
    result = roster(session)
    # A partner, barred from the card pages, gets no card here either: no QR, no number.
    cards_shown = may_see(current_user, Field.CARD)

    def with_qr(rows: list[RosterRow]) -> list[tuple[RosterRow, Markup | None]]:
        return [
            (
                row,
                cards.inline_qr(row.learner.active_card.token)
                if cards_shown and row.learner.active_card
                else None,
            )
            for row in rows
        ]

    registered, waitlisted = map(with_qr, on_the_sheet(result))
    phones = {
        row.learner.id: may_see(current_user, Field.PHONE, row.learner) for row in result.rows
    }
    page = render_template(
        "checkin/roster_print.html",
        s=session,
        roster=result,
        registered=registered,
        waitlisted=waitlisted,
        phones=phones,
        phones_hidden=not all(phones.values()),
        cards_shown=cards_shown,
        printed_at=utcnow(),
        back_url=url_for("scheduling.session_detail", session_id=session.id),
        paper_url=url_for("checkin.paper_roster", session_id=session.id)
        if may_use(current_user, session)
        else None,
    )
    record_download(
        current_user, "roster", fmt="print", rows=len(result.rows), session_id=session.id
    )
    return page
