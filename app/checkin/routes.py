"""Check-in pages: the door (camera, scanner, search, walk-ins), attendance, skills.

The check-in page talks to small JSON endpoints here, authenticated by the login cookie and
protected by the page's CSRF token (sent in the X-CSRFToken header); devices use the
bearer-token API in app/checkin/api.py, which reads the same bodies and gives the same answers.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import ALL_STAFF, is_planner, roles
from app.auth.models import Role
from app.checkin import bp, door, paper, services
from app.checkin.counts import counts_for
from app.checkin.forms import METHOD_LABEL, AttendanceForm, SkillsForm, status_label
from app.checkin.models import Attendance
from app.checkin.schemas import CheckinBatchIn, CheckinIn
from app.errors import NotFound, ServiceError, ValidationError
from app.extensions import db
from app.inputs import digits_int, json_object
from app.people import learners
from app.people.models import Registration, RegistrationStatus
from app.people.privacy import Field, may_see, record_download, require_roster_rights
from app.scheduling.models import Session, SessionStatus
from app.scheduling.queries import get_session
from app.timeutil import utcnow

SEARCH_LIMIT = 10
# Who may check people in; which sessions is the service's rule (their own, for instructors).
DOOR_STAFF = (Role.ADMIN, Role.COORDINATOR, Role.INSTRUCTOR)


def _user():
    # The services keep the actor (ids, roles) beyond the request's proxies.
    return current_user._get_current_object()


def _json_error(exc: ServiceError):
    """The API's error shape, so that the page reads both alike."""
    return jsonify({"error": exc.body()}), exc.status


def _door_state(session: Session) -> str:
    """Whether the door is open now: before / open / after / cancelled."""
    now = utcnow()
    if session.status == SessionStatus.CANCELLED:
        return "cancelled"
    if now < session.starts_at - services.OPENS_BEFORE_START:
        return "before"
    if now > session.ends_at:
        return "after"
    return "open"


def _page_text() -> dict[str, str]:
    """The words the page's script shows, in the person's language."""
    return {
        "sending": _("通信中…"),
        "retrying": _("通信が不安定です。もう一度送っています…"),
        "relogin": _("ログインの期限が切れました。ページを開き直してください。"),
        "check_in": _("受付"),
        "checked_in": _("%(name)sさんを受付しました(%(time)s)。", name="{name}", time="{time}"),
        "checked_at": _("受付済み %(time)s", time="{time}"),
        "not_yet": _("未受付"),
        "waitlisted": _("キャンセル待ち"),
        "not_registered": _("申し込みなし"),
        "walk_in": _("当日参加で登録して受付"),
        "waitlist": _("キャンセル待ちに登録"),
        "override": _("定員を超えて登録して受付"),
        "by_code": _("番号「%(code)s」で受付", code="{code}"),
        "no_match": _("見つかりません。カードの番号か、ふりがなを確かめてください。"),
        "others": _("この講座に申し込んでいない方(当日参加)"),
        "more_found": _("ほかにもいます。名前をもう少し入力してください。"),
        "born": _("%(year)s年生まれ", year="{year}"),
        "confirm_walk_in": _(
            "%(name)sさんを当日参加で登録します。よければもう一度押してください。", name="{name}"
        ),
        "unknown_hint": _("番号を確かめるか、名前で探してください。"),
        "camera_start": _("カメラで読み取る"),
        "camera_stop": _("カメラを止める"),
        "camera_loading": _("カメラを準備しています…"),
        "camera_running": _("カードのQRコードを枠の中に写してください。"),
        "camera_failed": _(
            "カメラを使えません。カメラを許可するか、番号の入力か名前で受付してください。"
        ),
        "late": _("遅刻"),
        "checked_in_late": _(
            "%(name)sさんを受付しました(%(time)s・遅刻)。", name="{name}", time="{time}"
        ),
        "already": _("%(name)sさんは%(time)sに受付済みです。", name="{name}", time="{time}"),
        "is_waitlisted": _("%(name)sさんはキャンセル待ちです。", name="{name}"),
        "saved_waitlist": _("%(name)sさんをキャンセル待ちに登録します(送信待ち)。", name="{name}"),
        "full": _("定員に達しています。"),
        "revoked": _("このカードは再発行のため使えません。新しいカードをお使いください。"),
        "unknown_offline": _(
            "この端末の名簿にないカードです。電波のある所で、もう一度読み取ってください。"
        ),
        "cancelled": _("この講座は中止になりました。"),
        "not_open": _("受付は開始の60分前からです。"),
        "ended": _("この講座は終わりました。出席の記録はコーディネーターに依頼してください。"),
        "saved": _("保存済み・未送信"),
        "sent": _("送信済み"),
        "elsewhere_short": _("ほかの端末で受付済み"),
        "refused_short": _("受付できませんでした"),
        "elsewhere": _("ほかの端末で %(time)s に受付済み", time="{time}"),
        "refused": _("受付できませんでした: %(message)s", message="{message}"),
        "pending": _("未送信 %(n)s件", n="{n}"),
        "roster_fresh": _("名簿 %(time)s 現在", time="{time}"),
        "roster_none": _("名簿をまだ端末に保存していません。電波のある所で開いてください。"),
        "logout_unsent": _(
            "まだ送信していない受付があります。ログアウトすると、この端末から消えます。"
            "ログアウトしますか?"
        ),
    }


# ---------------------------------------------------------------- the door


@bp.get("/sessions/<int:session_id>/checkin")
@roles(*DOOR_STAFF)
def checkin_page(session_id: int):
    """The door. Its people are not in the page (a service worker keeps the page for
    offline use): the script reads them from the device, or from checkin_roster."""
    session = get_session(_user(), session_id)
    services.require_check_in_rights(_user(), session)
    counts = counts_for([session.id])[session.id]
    page = render_template(
        "checkin/checkin.html",
        s=session,
        counts=counts,
        door=_door_state(session),
        opens_at=session.starts_at - services.OPENS_BEFORE_START,
        planner=is_planner(current_user),
        records_later=services.may_record_later(_user(), session),
        later_until=services.record_later_until(session),
        too_late=services.too_late_message(),
        text=_page_text(),
    )
    # The page keeps the roster on the device: logged once per opening. Its refreshes
    # (checkin_roster, every few seconds) carry the same people and are not.
    record_download(
        _user(), "roster", fmt="checkin_page", rows=counts.registered, session_id=session.id
    )
    return page


@bp.post("/sessions/<int:session_id>/checkin")
@roles(*DOOR_STAFF)
def checkin_post(session_id: int):
    """The page's check-in: the API's body and answer, with the login cookie and CSRF."""
    try:
        session = get_session(_user(), session_id)
        wanted = CheckinIn.read(json_object())
        return door.checkin_answer(session, door.check_in_or_walk_in(session, _user(), wanted))
    except ServiceError as exc:
        return _json_error(exc)


@bp.post("/sessions/<int:session_id>/checkin/batch")
@roles(*DOOR_STAFF)
def checkin_batch(session_id: int):
    """What the page saved on the device, sent at once: the API's batch, with the cookie."""
    try:
        session = get_session(_user(), session_id)
        wanted = CheckinBatchIn.read(json_object())
        return door.check_in_batch(session, _user(), wanted.items)
    except ServiceError as exc:
        return _json_error(exc)


@bp.get("/sessions/<int:session_id>/checkin/roster")
@roles(*DOOR_STAFF)
def checkin_roster(session_id: int):
    """The page's copy of the roster (other phones check people in too), with an ETag: a
    refresh with nothing new is answered 304 with no body."""
    try:
        session = get_session(_user(), session_id)
        services.require_check_in_rights(_user(), session)
        return door.roster_response(door.roster_answer(_user(), session, for_page=True))
    except ServiceError as exc:
        return _json_error(exc)


@bp.get("/sessions/<int:session_id>/checkin/search")
@roles(*DOOR_STAFF)
def checkin_search(session_id: int):
    """Learners not registered for this session, for walk-ins (the page searches its own
    roster without asking the server)."""
    try:
        session = get_session(_user(), session_id)
        services.require_check_in_rights(_user(), session)
    except ServiceError as exc:
        return _json_error(exc)
    query = (request.args.get("q") or "").strip()
    if not query:
        return {"items": []}
    on_roster = set(
        db.session.scalars(
            sa.select(Registration.learner_id).where(
                Registration.session_id == session.id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
    )
    # One more than shown: whether to say there are more (type a little more of the name).
    found = learners.search(_user(), query, limit=SEARCH_LIMIT + 1 + len(on_roster))
    others = [learner for learner in found if learner.id not in on_roster]
    # Two 宮崎 キヨ look the same: the birth year and district tell them apart, for whoever
    # may see them.
    items = [
        {
            "id": learner.id,
            "name": learner.name,
            "furigana": learner.furigana,
            "birth_year": learner.birth_year
            if may_see(_user(), Field.BIRTH_YEAR, learner)
            else None,
            "district": learner.district if may_see(_user(), Field.DISTRICT, learner) else None,
        }
        for learner in others[:SEARCH_LIMIT]
    ]
    return {"items": items, "more": len(others) > SEARCH_LIMIT}


# ---------------------------------------------------------------- attendance


def _registration_of(session: Session, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if (
        registration is None
        or registration.session_id != session.id
        or registration.status != RegistrationStatus.REGISTERED
    ):
        raise NotFound(_("この講座の申し込み(ID %(id)s)は見つかりません。", id=registration_id))
    return registration


def _status_form(registration_id: int, current: str | None) -> AttendanceForm:
    form = AttendanceForm(prefix=f"r{registration_id}")
    form.load_choices(excused_allowed=is_planner(current_user), current=current)
    if not form.is_submitted():
        form.status.data = current or ""
    return form


@bp.get("/sessions/<int:session_id>/attendance")
@roles(*ALL_STAFF)
def attendance(session_id: int):
    session = get_session(_user(), session_id)
    require_roster_rights(_user(), session)
    roster = services.roster(session)
    may_change = services.may_check_in(_user(), session)
    rows = []
    for row in roster.rows:
        registered = row.registration.status == RegistrationStatus.REGISTERED
        rows.append(
            {
                "row": row,
                "registered": registered,
                "status_text": status_label(row.status) if registered else _("キャンセル待ち"),
                "method": METHOD_LABEL.get(row.attendance.method) if row.attendance else None,
                "form": _status_form(row.registration.id, row.status)
                if registered and may_change
                else None,
            }
        )
    return render_template(
        "checkin/attendance.html",
        s=session,
        roster=roster,
        rows=rows,
        may_change=may_change,
        refusals=door.refusals(session),
        paper_roster=paper.may_use(_user(), session),
    )


@bp.post("/sessions/<int:session_id>/attendance/<int:registration_id>")
@roles(*DOOR_STAFF)
def attendance_set(session_id: int, registration_id: int):
    session = get_session(_user(), session_id)
    services.require_check_in_rights(_user(), session)
    registration = _registration_of(session, registration_id)
    current = services.derived_status(
        session,
        db.session.scalar(
            sa.select(Attendance).where(Attendance.registration_id == registration.id)
        ),
    )
    form = _status_form(registration.id, current)
    back = url_for("checkin.attendance", session_id=session.id, _anchor=f"reg-{registration.id}")
    if not form.validate_on_submit() or not form.status.data:
        flash(_("出欠を選んでください。"), "error")
        return redirect(back)
    try:
        services.set_status(session, registration, form.status.data, _user())
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash(
        _(
            "%(name)sさんの出欠を「%(status)s」にしました。",
            name=registration.learner.name,
            status=status_label(form.status.data),
        ),
        "success",
    )
    return redirect(back)


# ---------------------------------------------------------------- skills


def _ids(values: list[str]) -> list[int]:
    return [n for n in (digits_int(v) for v in values) if n is not None]


@bp.route("/sessions/<int:session_id>/skills", methods=["GET", "POST"])
@roles(*DOOR_STAFF)
def skills(session_id: int):
    session = get_session(_user(), session_id)
    services.require_check_in_rights(_user(), session)
    form = SkillsForm()
    if form.validate_on_submit():
        learner_ids = _ids(request.form.getlist("learner"))
        reached = {i: set(_ids(request.form.getlist(f"skills-{i}"))) for i in learner_ids}
        try:
            changes = services.set_skills(session, learner_ids, reached, _user())
        except ValidationError as exc:
            flash(exc.message, "error")
        else:
            flash(_("できたことを保存しました(%(n)d件の変更)。", n=changes), "success")
            return redirect(url_for("checkin.skills", session_id=session.id))
    roster = services.roster(session)
    rows = [r for r in roster.rows if r.registration.status == RegistrationStatus.REGISTERED]
    here, elsewhere = services.skills_by_where(session)
    return render_template(
        "checkin/skills.html",
        s=session,
        form=form,
        rows=rows,
        skills=sorted(session.course_version.skills, key=lambda k: k.position),
        reached=here,
        elsewhere=elsewhere,
        status_label=status_label,
    )
