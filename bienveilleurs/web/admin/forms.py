"""Forms of the administration pages."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from ...models import ROLE_LABELS
from ..forms import CheckboxesField

ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class InviteForm(FlaskForm):
    email = StringField("Adresse e-mail", validators=[
        DataRequired("Indiquez l'adresse e-mail de la personne."),
        Email("L'adresse e-mail n'est pas valide.", check_deliverability=False), Length(max=254)],
        render_kw={"type": "email", "inputmode": "email", "autocomplete": "off",
                   "autocapitalize": "none"})
    display_name = StringField("Nom affiché", validators=[Length(max=120)])
    role = SelectField("Rôle", choices=ROLE_CHOICES, validate_choice=True)
    territories = CheckboxesField("Territoires (coordination seulement ; aucun = toute la ville)",
                                  choices=[])


class RoleForm(FlaskForm):
    role = SelectField("Nouveau rôle", choices=ROLE_CHOICES, validate_choice=True)


class TerritoriesForm(FlaskForm):
    territories = CheckboxesField("Territoires", choices=[])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Rechercher (e-mail ou nom)", validators=[Length(max=100)])
    role = SelectField("Rôle", choices=[SelectChoice("", "Tous")] + ROLE_CHOICES,
                       validate_choice=False)
    status = SelectField("État", choices=[SelectChoice("", "Tous"), SelectChoice("active", "Actif"),
                                          SelectChoice("invited", "Invitation en attente"),
                                          SelectChoice("inactive", "Désactivé")],
                         validate_choice=False)


# --- territories --------------------------------------------------------------------------

class ImportForm(FlaskForm):
    geojson = FileField("Fichier GeoJSON (polygones, propriété « name », « code » facultative)")


class OutlineForm(FlaskForm):
    geojson = FileField("Nouveau contour (GeoJSON : un polygone)")
    drawn = HiddenField()  # the GeoJSON Polygon drawn on the map (static/js/territory-draw.js)


class TerritoryForm(FlaskForm):
    name = StringField("Nom", validators=[Length(max=120)])
    code = StringField("Code (facultatif, unique)", validators=[Length(max=40)])
    coordinators = CheckboxesField("Coordinateurs rattachés", choices=[])


class NewTerritoryForm(FlaskForm):
    name = StringField("Nom", validators=[Length(max=120)])
    code = StringField("Code (facultatif, unique)", validators=[Length(max=40)])
    geojson = FileField("Ou un fichier GeoJSON (un polygone)")
    drawn = HiddenField()  # the GeoJSON Polygon drawn on the map (static/js/territory-draw.js)
