"""Learner pages: finding people, a learner's record, recording and correcting it, merging
two records of one person, reissuing a lost card. Thin: read the request, call a service,
render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.auth.access import ALL_STAFF, PLANNERS, is_planner, roles
from app.auth.models import User
from app.core.models import AuditEntry
from app.curricula.models import CourseVersion
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.inputs import page_or_first
from app.people import bp, cards, confirmations, learners, matches, signals
from app.people.forms import (
    LearnerFilterForm,
    LearnerForm,
    MergeForm,
    NewLearnerForm,
    birth_year_text,
    people_label,
)
from app.people.models import Card, Learner, Registration, RegistrationStatus
from app.people.privacy import fields_seen, may_see_phone, roster_sessions
from app.scheduling.forms import int_or_none
from app.scheduling.models import Session
from app.signals import merged
from app.text import clean
from app.timeutil import utcnow

PER_PAGE = 50
MERGE_CANDIDATES_SHOWN = 20
HISTORY_ACTIONS = ("learner.merged", "card.reissued")


@bp.app_template_filter("birth_year")
def _birth_year_filter(year: int | None) -> str:
    return birth_year_text(year)


@bp.context_processor
def _people_words() -> dict[str, Any]:
    return {"people_label": people_label}


# ---------------------------------------------------------------- the list


@bp.get("/learners")
@roles(*ALL_STAFF)
def learner_list():
    form = LearnerFilterForm(formdata=request.args)
    form.load_choices(current_user)
    query = clean(form.q.data)
    page = page_or_first(clean(request.args.get("page")))
    # One more than a page tells whether there is a next page without counting them all.
    found = learners.search(
        current_user,
        query,
        district=form.district.data or None,
        limit=PER_PAGE + 1,
        offset=(page - 1) * PER_PAGE,
    )
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    return render_template(
        "people/learner_list.html",
        form=form,
        query=query,
        seen=fields_seen(current_user),
        rows=[(lr, may_see_phone(current_user, lr)) for lr in found[:PER_PAGE]],
        page=page,
        has_next=len(found) > PER_PAGE,
        args=args,
        first_number=(page - 1) * PER_PAGE + 1,
        new_learner_args=learners.new_learner_args(query),
        planner=is_planner(current_user),
        pending_matches=matches.pending_count() if is_planner(current_user) else 0,
    )


# ---------------------------------------------------------------- one learner


@dataclass
class ClassRow:
    registration: Registration
    session: Session
    course: CourseVersion
    attendance: Any  # app.checkin's row, or None
    status: str | None  # attendance status, derived; None while the class is ahead


@dataclass
class LearnerPage:
    learner: Learner
    upcoming: list[ClassRow]
    past: list[ClassRow]
    skills: list[Any]  # app.checkin's skills reached, grouped by course
    completions: list[Any]  # app.certificates' courses completed, earliest first
    active_card: Card | None
    revoked_cards: list[Card]
    history: list[AuditEntry]


def _readable_session_ids(user: User, session_ids: list[int]) -> set[int]:
    if not session_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Session.id).where(
                Session.id.in_(session_ids), Session.id.in_(roster_sessions(user))
            )
        )
    )


def _classes(
    registrations: list[Registration], beside: dict[str, Any]
) -> tuple[list[ClassRow], list[ClassRow]]:
    if not registrations:
        return [], []
    # Every session's course in one query, rather than one per row.
    courses = {
        cv.id: cv
        for cv in db.session.scalars(
            sa.select(CourseVersion).where(
                CourseVersion.id.in_({r.session.course_version_id for r in registrations})
            )
        )
    }
    attendance, statuses = beside.get("attendance", {}), beside.get("statuses", {})
    now = utcnow()
    upcoming: list[ClassRow] = []
    past: list[ClassRow] = []
    for reg in registrations:
        row = ClassRow(
            registration=reg,
            session=reg.session,
            course=courses[reg.session.course_version_id],
            attendance=attendance.get(reg.id),
            status=statuses.get(reg.id),
        )
        (upcoming if reg.session.ends_at > now else past).append(row)
    upcoming.reverse()  # soonest first; the past stays newest first
    return upcoming, past


def _shown_registrations(user: User, learner: Learner) -> list[Registration]:
    registrations = learners.learner_sessions(learner)
    if is_planner(user):
        return registrations
    # A partner or instructor sees this person's classes only where they may read the
    # class's people, and not where the registration was cancelled.
    shown = _readable_session_ids(user, [r.session_id for r in registrations])
    return [
        r
        for r in registrations
        if r.session_id in shown and r.status != RegistrationStatus.CANCELLED
    ]


def _history(learner: Learner) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .options(joinedload(AuditEntry.actor))
            .where(
                AuditEntry.subject_type == "learner",
                AuditEntry.subject_id == learner.id,
                AuditEntry.action.in_(HISTORY_ACTIONS),
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )


def _learner_page(user: User, learner: Learner) -> LearnerPage:
    registrations = _shown_registrations(user, learner)
    beside = merged(signals.learner_page_shown, learner, user=user, registrations=registrations)
    upcoming, past = _classes(registrations, beside)
    planner = is_planner(user)
    return LearnerPage(
        learner=learner,
        upcoming=upcoming,
        past=past,
        skills=beside.get("skills", []),
        completions=beside.get("completions", []),
        active_card=learner.active_card,
        revoked_cards=[c for c in reversed(learner.cards) if c.revoked_at is not None],
        # Merges and reissues name other records and who did what: for coordinators.
        history=_history(learner) if planner else [],
    )


@bp.get("/learners/<int:learner_id>")
@roles(*ALL_STAFF)
def learner_detail(learner_id: int):
    learner = learners.get_learner(current_user, learner_id)
    planner = is_planner(current_user)
    return render_template(
        "people/learner_detail.html",
        page=_learner_page(current_user, learner),
        learner=learner,
        seen=fields_seen(current_user, learner),
        show_phone=may_see_phone(current_user, learner),
        planner=planner,
        may_print_card=current_user.role != "partner",
        pending_matches=matches.pending_for(learner) if planner else 0,
        # The family contact is the city's to keep: planners see and change it.
        family=confirmations.family_contact(learner) if planner else None,
    )


# ---------------------------------------------------------------- recording a learner


def _form_page(form, *, learner=None, duplicates=(), general=(), status: int = 200):
    return (
        render_template(
            "people/learner_form.html",
            form=form,
            learner=learner,
            duplicates=list(duplicates),
            general_errors=list(general),
            known_districts=_known_districts(),
        ),
        status,
    )


def _known_districts() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Learner.district)
            .where(Learner.district.is_not(None))
            .distinct()
            .order_by(Learner.district)
        )
    )


@bp.route("/learners/new", methods=["GET", "POST"])
@roles(*PLANNERS)
def learner_new():
    form = NewLearnerForm()
    form.load_choices()
    if not form.is_submitted():
        for name in ("name", "furigana", "phone"):
            if request.args.get(name):
                form[name].data = request.args[name]
        return _form_page(form)
    if not form.validate():
        return _form_page(form, status=422)
    raw = form.learner_raw()
    try:
        # Every field is checked before duplicates are looked for: a typo is fixed first.
        learners.read_learner(raw)
    except ValidationError as exc:
        return _form_page(form, general=form.show_service_errors(exc.fields), status=422)
    duplicates = learners.possible_duplicates(raw)
    confirmed = form.confirm_new.data and {d.id for d in duplicates} <= form.seen_ids()
    if duplicates and not confirmed:
        form.duplicates_seen.data = ",".join(str(d.id) for d in duplicates)
        form.confirm_new.data = False
        return _form_page(form, duplicates=duplicates)
    learner = learners.create_learner(raw, current_user)
    flash(_("%(name)sさんを受講者として登録しました。", name=learner.name), "success")
    return redirect(url_for("people.learner_detail", learner_id=learner.id))


@bp.route("/learners/<int:learner_id>/edit", methods=["GET", "POST"])
@roles(*PLANNERS)
def learner_edit(learner_id: int):
    learner = learners.get_learner(current_user, learner_id)
    form = LearnerForm()
    form.load_choices(keep_language=learner.language)
    if not form.is_submitted():
        form.fill_from(learner)
        return _form_page(form, learner=learner)
    if not form.validate():
        return _form_page(form, learner=learner, status=422)
    try:
        learners.update_learner(learner, form.learner_raw(), current_user)
    except ValidationError as exc:
        general = form.show_service_errors(exc.fields)
        return _form_page(form, learner=learner, general=general, status=422)
    flash(_("%(name)sさんの記録を変更しました。", name=learner.name), "success")
    return redirect(url_for("people.learner_detail", learner_id=learner.id))


# ---------------------------------------------------------------- the card


@bp.post("/learners/<int:learner_id>/card/reissue")
@roles(*PLANNERS)
def learner_card_reissue(learner_id: int):
    learner = learners.get_learner(current_user, learner_id)
    had_card = learner.active_card is not None
    card = cards.issue_card(learner, current_user)
    if had_card:
        message = _(
            "新しいカード(%(code)s)を発行しました。前のカードはもう使えません。",
            code=card.short_code,
        )
    else:
        message = _("カード(%(code)s)を発行しました。", code=card.short_code)
    flash(message, "success")
    return redirect(url_for("people.learner_detail", learner_id=learner.id))


# ---------------------------------------------------------------- merging


@dataclass
class MergePreview:
    registrations: int
    shared_sessions: int
    attendances: int
    skills: int
    skills_already_kept: int
    cards: int


def _merge_preview(keep: Learner, other: Learner) -> MergePreview:
    def count(statement) -> int:
        return db.session.scalar(statement) or 0

    kept_sessions = sa.select(Registration.session_id).where(Registration.learner_id == keep.id)
    elsewhere = {
        "attendances": 0,
        "skills": 0,
        "skills_already_kept": 0,
        **merged(signals.merge_previewed, keep, other=other),
    }
    return MergePreview(
        registrations=count(
            sa.select(sa.func.count(Registration.id)).where(Registration.learner_id == other.id)
        ),
        shared_sessions=count(
            sa.select(sa.func.count(Registration.id)).where(
                Registration.learner_id == other.id, Registration.session_id.in_(kept_sessions)
            )
        ),
        cards=len(other.cards),
        **elsewhere,
    )


def _merge_candidates(keep: Learner, query: str) -> list[Learner]:
    # Before anything is typed, offer the records with the same reading: a second record of
    # one person was usually made by someone who did not find the first.
    found = learners.search(current_user, query or keep.furigana, limit=MERGE_CANDIDATES_SHOWN + 1)
    return [lr for lr in found if lr.id != keep.id][:MERGE_CANDIDATES_SHOWN]


@bp.route("/learners/<int:learner_id>/merge", methods=["GET", "POST"])
@roles(*PLANNERS)
def learner_merge(learner_id: int):
    keep = learners.get_learner(current_user, learner_id)
    other: Learner | None
    form = MergeForm()
    if form.validate_on_submit() and form.other.data:
        try:
            other = learners.get_learner(current_user, form.other.data)
            name, furigana = other.name, other.furigana
            learners.merge(keep, other, current_user)
        except (NotFound, ValidationError) as exc:
            # A record merged meanwhile by someone else, or the same record twice.
            flash(exc.message, "error")
            return redirect(url_for("people.learner_merge", learner_id=keep.id))
        flash(
            _(
                "%(other)s(%(furigana)s)さんの記録を、%(name)sさんの記録に統合しました。",
                other=name,
                furigana=furigana,
                name=keep.name,
            ),
            "success",
        )
        return redirect(url_for("people.learner_detail", learner_id=keep.id))
    query = clean(request.args.get("q"))
    other_id = int_or_none(request.args.get("other"))
    other = preview = None
    if other_id == keep.id:
        flash(_("同じ受講者どうしは統合できません。別の受講者を選んでください。"), "error")
    elif other_id:
        try:
            other = learners.get_learner(current_user, other_id)
        except NotFound as exc:
            flash(exc.message, "error")
        else:
            preview = _merge_preview(keep, other)
            form.other.data = other.id
    return render_template(
        "people/merge.html",
        keep=keep,
        other=other,
        preview=preview,
        form=form,
        query=query,
        candidates=[] if other else _merge_candidates(keep, query),
    )
