"""Printed cards.

A card sheet is an A4 page of ten business-card-size cards (2 × 5, as on A-One 51002 and
other 名刺 10面 stock): a plain page with a print stylesheet, so any browser prints it without
extra software. The paper sign-in sheet (受付名簿) is the door's: app.checkin.roster_routes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from app.auth.access import PLANNERS, roles
from app.auth.models import Role
from app.errors import NotFound
from app.extensions import db
from app.inputs import digits_int
from app.people import bp, cards
from app.people.learners import get_learner
from app.people.models import Card, Learner, Registration, RegistrationStatus
from app.people.privacy import record_download
from app.scheduling.queries import get_session

CARDS_PER_SHEET = 10  # 2 columns × 5 rows of 91 × 55 mm on A4
MAX_CARDS_PER_PRINT = 300  # thirty sheets; a longer selection is a mistake, not a print job
DEFAULT_HELP_PHONE = "0120-000-000"
CARD_LANGUAGES = ("ja", "en")


@dataclass
class PrintedCard:
    learner: Learner
    card: Card
    html: Markup


def _card_language(learner: Learner) -> str:
    # Each card speaks its holder's language, whatever language the person printing it uses.
    language = (learner.language or "ja").lower()[:2]
    return language if language in CARD_LANGUAGES else "ja"


def _printed(learners: Iterable[Learner]) -> list[PrintedCard]:
    help_phone = current_app.config.get("HELP_PHONE", DEFAULT_HELP_PHONE)
    result = []
    for learner in learners:
        card = cards.ensure_card(learner, current_user)
        language = _card_language(learner)
        with force_locale(language):
            html = render_template(
                "people/card.html",
                learner=learner,
                card=card,
                qr=cards.inline_qr(card.token),
                help_phone=help_phone,
                language=language,
            )
        result.append(PrintedCard(learner, card, Markup(html)))
    return result


def _sheets(printed: list[PrintedCard]) -> list[list[PrintedCard]]:
    return [
        printed[start : start + CARDS_PER_SHEET]
        for start in range(0, len(printed), CARDS_PER_SHEET)
    ]


def _render_sheets(printed: list[PrintedCard], *, heading: str, back_url: str | None):
    return render_template(
        "people/card_sheets.html",
        sheets=_sheets(printed),
        count=len(printed),
        heading=heading,
        back_url=back_url,
    )


def _selection_problem(message: str):
    page = render_template(
        "people/card_sheets.html",
        sheets=[],
        count=0,
        heading=_("受講カードの印刷"),
        back_url=url_for("people.learner_list"),
        problem=message,
    )
    return page, 400


def _selected_ids() -> list[int]:
    """The learner ids of the query string, in the order given, each once."""
    ids: list[int] = []
    for value in request.args.getlist("learner"):
        learner_id = digits_int(value.strip())
        if learner_id is None:
            raise NotFound(_("受講者(ID %(id)s)は見つかりません。", id=value))
        if learner_id not in ids:
            ids.append(learner_id)
    return ids


def _learners_by_id(ids: list[int]) -> list[Learner]:
    found = {
        learner.id: learner
        for learner in db.session.scalars(
            sa.select(Learner).options(selectinload(Learner.cards)).where(Learner.id.in_(ids))
        )
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise NotFound(_("受講者(ID %(id)s)は見つかりません。", id=", ".join(missing)))
    return [found[i] for i in ids]


def _registered_learners(session_id: int) -> list[Learner]:
    return list(
        db.session.scalars(
            sa.select(Learner)
            .options(selectinload(Learner.cards))
            .join(Registration, Registration.learner_id == Learner.id)
            .where(
                Registration.session_id == session_id,
                Registration.status == RegistrationStatus.REGISTERED,
            )
            .order_by(Learner.furigana_key, Learner.id)
        )
    )


# ---------------------------------------------------------------- cards


@bp.get("/learners/<int:learner_id>/card")
@roles(Role.ADMIN, Role.COORDINATOR, Role.INSTRUCTOR)
def learner_card(learner_id: int):
    learner = get_learner(current_user, learner_id)
    printed = _printed([learner])
    return _render_sheets(
        printed,
        heading=_("%(name)sさんの受講カード", name=learner.name),
        back_url=url_for("people.learner_detail", learner_id=learner.id),
    )


@bp.get("/cards/print")
@roles(*PLANNERS)
def cards_print():
    ids = _selected_ids()
    if not ids:
        return _selection_problem(_("印刷する受講者を選んでください。"))
    if len(ids) > MAX_CARDS_PER_PRINT:
        return _selection_problem(
            _("一度に印刷できるのは%(n)d人分までです。", n=MAX_CARDS_PER_PRINT)
        )
    printed = _printed(_learners_by_id(ids))
    page = _render_sheets(
        printed, heading=_("受講カードの印刷"), back_url=url_for("people.learner_list")
    )
    record_download(current_user, "cards", fmt="print", rows=len(printed), learners=ids)
    return page


@bp.get("/sessions/<int:session_id>/cards")
@roles(*PLANNERS)
def session_cards(session_id: int):
    session = get_session(current_user, session_id)
    printed = _printed(_registered_learners(session.id))
    page = _render_sheets(
        printed,
        heading=_("%(title)sの受講カード", title=session.course_version.title),
        back_url=_session_url(session.id),
    )
    record_download(current_user, "cards", fmt="print", rows=len(printed), session_id=session.id)
    return page


def _session_url(session_id: int) -> str:
    return url_for("scheduling.session_detail", session_id=session_id)
