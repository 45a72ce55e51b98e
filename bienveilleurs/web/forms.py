"""Forms shared by several pages."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = StringField("Adresse e-mail", validators=[
        DataRequired("Indiquez votre adresse e-mail."), Length(max=254)],
        render_kw={"autocomplete": "username", "inputmode": "email", "autocapitalize": "none"})
    password = PasswordField("Mot de passe", validators=[
        DataRequired("Indiquez votre mot de passe."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"})


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for POST buttons (logout, confirmations)."""
