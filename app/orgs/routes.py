"""Organization and user administration pages (administrators only)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.auth import services as accounts
from app.auth.access import roles
from app.auth.models import Role
from app.errors import ValidationError
from app.orgs import bp, services
from app.orgs.forms import OrgForm, UserCreateForm, UserEditForm, UserFilterForm


def _show_refusal(form: FlaskForm, exc: ValidationError) -> None:
    """Each reason beside its field; a reason without a field on this form as a notice."""
    for name, why in exc.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, why]
        else:
            flash(why, "error")
    if not exc.fields:
        flash(exc.message, "error")


def _render_form(template: str, form: FlaskForm, **context):
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


# ---------------------------------------------------------------- organizations


@bp.get("/admin/orgs")
@roles(Role.ADMIN)
def org_list():
    return render_template("orgs/org_list.html", rows=services.list_orgs())


@bp.route("/admin/orgs/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def org_new():
    form = OrgForm()
    if form.validate_on_submit():
        try:
            org = services.create_org(form.data)
        except ValidationError as exc:
            _show_refusal(form, exc)
        else:
            flash(_("団体「%(name)s」を登録しました。", name=org.name), "success")
            return redirect(url_for("orgs.org_list"))
    return _render_form("orgs/org_form.html", form, org=None)


@bp.route("/admin/orgs/<int:org_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def org_edit(org_id: int):
    org = services.get_org(org_id)
    form = OrgForm(obj=org)
    if form.validate_on_submit():
        try:
            services.update_org(org, form.data)
        except ValidationError as exc:
            _show_refusal(form, exc)
        else:
            flash(_("団体「%(name)s」を更新しました。", name=org.name), "success")
            return redirect(url_for("orgs.org_list"))
    return _render_form("orgs/org_form.html", form, org=org)


# ---------------------------------------------------------------- users


@bp.get("/admin/users")
@roles(Role.ADMIN)
def user_list():
    orgs = services.all_orgs()
    filters = UserFilterForm(request.args)
    filters.set_choices(orgs)
    users = services.list_users(
        services.UserFilters(role=filters.role.data or None, org=filters.org.data or None)
    )
    return render_template("orgs/user_list.html", users=users, filters=filters)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_new():
    form = UserCreateForm()
    form.set_orgs(services.all_orgs())
    if form.validate_on_submit():
        try:
            user = services.create_staff_user(form.data)
        except ValidationError as exc:
            _show_refusal(form, exc)
        else:
            flash(_("%(name)sさんを登録しました。", name=user.name), "success")
            return redirect(url_for("orgs.user_list"))
    return _render_form(
        "orgs/user_form.html", form, user=None, min_password=accounts.MIN_PASSWORD_LENGTH
    )


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_edit(user_id: int):
    user = services.get_user(user_id)
    form = UserEditForm(
        data={"name": user.name, "role": user.role, "org": user.org.slug if user.org else ""}
    )
    form.set_orgs(services.all_orgs())
    if form.validate_on_submit():
        try:
            services.update_user(current_user, user, form.data)
        except ValidationError as exc:
            _show_refusal(form, exc)
        else:
            flash(_("%(name)sさんの情報を更新しました。", name=user.name), "success")
            return redirect(url_for("orgs.user_list"))
    return _render_form("orgs/user_form.html", form, user=user)


def _set_active(user_id: int, active: bool):
    user = services.get_user(user_id)
    try:
        services.set_active(current_user, user, active)
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("orgs.user_edit", user_id=user.id))
    if active:
        flash(_("%(name)sさんのアカウントを有効に戻しました。", name=user.name), "success")
        return redirect(url_for("orgs.user_list"))
    flash(
        _(
            "%(name)sさんのアカウントを無効にしました。ログインもAPIトークンも使えません。",
            name=user.name,
        ),
        "success",
    )
    teaching = services.upcoming_staffed_sessions(user)
    if teaching:
        flash(
            _(
                "%(name)sさんは今後の講座%(n)d件の担当に入ったままです。講座一覧で担当を見直してください。",
                name=user.name,
                n=teaching,
            ),
            "warning",
        )
    return redirect(url_for("orgs.user_list"))


@bp.post("/admin/users/<int:user_id>/deactivate")
@roles(Role.ADMIN)
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/admin/users/<int:user_id>/reactivate")
@roles(Role.ADMIN)
def user_reactivate(user_id: int):
    return _set_active(user_id, True)
