"""Forms of the administration pages. The rules live in app.orgs.services; these only carry
the input, and the routes show each service error beside its field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # SelectChoice is WTForms 3.3's; types-WTForms is 3.2's

from app.auth.models import Role
from app.labels import ORG_KIND, ROLE
from app.orgs.models import Organization, OrgKind


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(r.value, ROLE[r]) for r in Role]


def _org_choices(orgs: list[Organization], empty) -> list[SelectChoice]:
    return [SelectChoice("", empty)] + [SelectChoice(o.slug, o.name) for o in orgs]


class OrgForm(FlaskForm):
    kind = SelectField(_l("種別"), choices=[SelectChoice(k.value, ORG_KIND[k]) for k in OrgKind])
    name = StringField(_l("団体名"))
    slug = StringField(_l("スラッグ(半角英小文字・数字・ハイフン)"))
    contact_name = StringField(_l("担当者名"))
    contact_email = EmailField(_l("担当者メールアドレス"))
    contact_phone = TelField(_l("担当者電話番号"))


class UserEditForm(FlaskForm):
    name = StringField(_l("氏名"))
    role = SelectField(_l("役割"), choices=_role_choices())
    # Any slug may be posted; the service says which organization it did not find.
    org = SelectField(_l("所属団体"), choices=[], validate_choice=False)

    def set_orgs(self, orgs: list[Organization]) -> None:
        self.org.choices = _org_choices(orgs, _l("所属なし"))


class UserCreateForm(UserEditForm):
    email = EmailField(_l("メールアドレス(ログインID)"))
    password = PasswordField(_l("初期パスワード"))


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    role = SelectField(_l("役割"), choices=[], validate_choice=False, default="")
    org = SelectField(_l("所属団体"), choices=[], validate_choice=False, default="")

    def set_choices(self, orgs: list[Organization]) -> None:
        self.role.choices = [SelectChoice("", _l("すべて")), *_role_choices()]
        self.org.choices = _org_choices(orgs, _l("すべて"))
