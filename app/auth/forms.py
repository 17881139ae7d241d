from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired()])
    password = PasswordField(_l("パスワード"), validators=[DataRequired()])


class TokenForm(FlaskForm):
    label = StringField(_l("用途(例: 受付用タブレット)"), validators=[Length(max=100)])
    # Read by the service (auth.services._days), which names what it expects.
    expires_days = StringField(_l("有効期限(日数。空欄なら無期限)"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("現在のパスワード"), validators=[DataRequired()])
    new = PasswordField(_l("新しいパスワード"), validators=[DataRequired()])
    again = PasswordField(_l("新しいパスワード(確認のためもう一度)"), validators=[DataRequired()])
