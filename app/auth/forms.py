from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired()])
    password = PasswordField(_l("パスワード"), validators=[DataRequired()])


class TokenForm(FlaskForm):
    label = StringField(_l("用途(例: 受付用タブレット)"), validators=[Length(max=100)])
