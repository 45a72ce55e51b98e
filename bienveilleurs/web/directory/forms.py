"""Forms of the directory management pages (resources, structures).

The forms only carry text: every value is validated by services.directory, whose per-field
errors are put back on the matching form fields by `pages.errors_on_form`.
"""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from ...services.directory import SATURATIONS
from ..forms import DECIMAL, CheckboxesField


class ResourceForm(FlaskForm):
    name = StringField("Nom du service", validators=[Length(max=200)])
    # One of the structures the page offers (radio buttons: the one chosen, those found by
    # `structure_q`), or none for a new one; the service checks it is one the user manages.
    structure_id = StringField("Structure")
    structure_q = StringField("Chercher une structure (nom ou adresse)",
                              validators=[Length(max=200)], render_kw={"type": "search"})
    structure_name = StringField("Nom de la nouvelle structure", validators=[Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=10_000)])
    categories = CheckboxesField("Thématiques", choices=[])
    audiences = CheckboxesField("Publics", choices=[])
    address = StringField("Adresse", validators=[Length(max=300)],
                          render_kw={"autocomplete": "street-address"})
    postal_code = StringField("Code postal", validators=[Length(max=10)],
                              render_kw={"inputmode": "numeric", "autocomplete": "postal-code"})
    city = StringField("Commune", validators=[Length(max=100)])
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    phone = StringField("Téléphone", validators=[Length(max=40)], render_kw={"type": "tel"})
    email = StringField("Adresse e-mail", validators=[Length(max=254)],
                        render_kw={"type": "email", "inputmode": "email"})
    website = StringField("Site web", validators=[Length(max=500)], render_kw={"inputmode": "url"})
    opening_hours = StringField("Horaires d'ouverture (format OpenStreetMap)",
                                validators=[Length(max=255)], render_kw={"spellcheck": "false"})
    languages = StringField("Langues parlées (codes à deux lettres, séparés par des virgules)",
                            validators=[Length(max=200)])
    accessible = SelectField("Accessible aux personnes à mobilité réduite",
                             choices=[SelectChoice("", "Non renseigné"),
                                      SelectChoice("true", "Oui"), SelectChoice("false", "Non")])
    capacity = StringField("Capacité d'accueil", render_kw={"inputmode": "numeric"})
    saturation = SelectField("Disponibilité des places",
                             choices=[SelectChoice("", "Non renseignée")] +
                             [SelectChoice(k, v) for k, v in SATURATIONS.items()])

    def record(self):
        """The values as the service expects them (text; lists for the checkboxes)."""
        record = {name: getattr(self, name).data for name in (
            "name", "structure_id", "structure_name", "description", "address", "postal_code",
            "city", "lat", "lon", "phone", "email", "website", "opening_hours", "languages",
            "accessible", "capacity", "saturation")}
        record["categories"] = list(self.categories.data or [])
        record["audiences"] = list(self.audiences.data or [])
        return record


class StructureForm(FlaskForm):
    name = StringField("Nom de la structure", validators=[Length(max=200)])
    siret = StringField("SIRET", validators=[Length(max=20)], render_kw={"inputmode": "numeric"})
    address = StringField("Adresse", validators=[Length(max=300)])
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    phone = StringField("Téléphone", validators=[Length(max=40)], render_kw={"type": "tel"})
    email = StringField("Adresse e-mail", validators=[Length(max=254)],
                        render_kw={"type": "email", "inputmode": "email"})
    website = StringField("Site web", validators=[Length(max=500)], render_kw={"inputmode": "url"})

    def record(self):
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
