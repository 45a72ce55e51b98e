"""Forms of the management pages (resources, structures, relays, a relay's own profile).

The forms only carry text: every value is validated by services.directory, whose per-field
errors are put back on the matching form fields by `show_errors`.
"""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length

from ..services.directory import SATURATIONS
from ..services.weekly_hours import DAYS, FRENCH_DAYS, osm_from_hsds, parse_weekly

try:  # WTForms ≥ 3.3 deprecates (value, label) tuples.
    from wtforms.fields.choices import SelectChoice as _SelectChoice

    def choice(value, label):
        return _SelectChoice(value, label)
except ImportError:  # pragma: no cover - older WTForms
    def choice(value, label):
        return (value, label)

DECIMAL = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}


class CheckboxesField(SelectMultipleField):
    """A multiple choice rendered as grouped checkboxes by the template (no validation of
    choices here: the service checks the codes)."""

    def pre_validate(self, form):
        pass


class ResourceForm(FlaskForm):
    name = StringField("Nom du service", validators=[Length(max=200)])
    structure_id = SelectField("Structure", choices=[], validate_choice=False)
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
                             choices=[choice("", "Non renseigné"), choice("true", "Oui"),
                                      choice("false", "Non")])
    capacity = StringField("Capacité d'accueil", render_kw={"inputmode": "numeric"})
    saturation = SelectField("Disponibilité des places",
                             choices=[choice("", "Non renseignée")] +
                             [choice(k, v) for k, v in SATURATIONS.items()])

    def fill_choices(self, structures):
        self.structure_id.choices = [choice("", "Nouvelle structure (ou structure existante du même nom)")] + [
            choice(str(s.id), s.name) for s in structures]

    def record(self):
        """The values as the service expects them (text; lists for the checkboxes)."""
        record = {name: getattr(self, name).data for name in (
            "name", "structure_id", "structure_name", "description", "address", "postal_code", "city",
            "lat", "lon", "phone", "email", "website", "opening_hours", "languages", "accessible",
            "capacity", "saturation")}
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


# --- weekly availability ----------------------------------------------------------------------

class WeeklyMixin:
    """A weekly editor (per day: available, and up to two time ranges) producing OSM syntax,
    beside the raw expression for what the editor cannot express."""

    def weekly_rows(self):
        """[(day label, checkbox, from1, to1, from2, to2)] for the template."""
        return [(FRENCH_DAYS[i].capitalize(), getattr(self, f"day_{d}"), getattr(self, f"from1_{d}"),
                 getattr(self, f"to1_{d}"), getattr(self, f"from2_{d}"), getattr(self, f"to2_{d}"))
                for i, d in enumerate(DAYS)]

    def load_availability(self, expression):
        """Fill the editor from a stored expression; the raw mode when it cannot be shown by day."""
        self.availability.data = expression or ""
        week = parse_weekly(expression) if expression else {}
        if week is None:
            self.mode.data = "raw"
            return
        self.mode.data = "weekly"
        for index, day in enumerate(DAYS):
            spans = week.get(index, [])
            getattr(self, f"day_{day}").data = bool(spans)
            for n, (opens, closes) in enumerate(spans[:2], start=1):
                getattr(self, f"from{n}_{day}").data = opens
                getattr(self, f"to{n}_{day}").data = closes

    def availability_expression(self):
        """Return (expression or None, {field name: error}) from the chosen mode."""
        if self.mode.data == "raw":
            return (self.availability.data or "").strip() or None, {}
        schedules, errors = [], {}
        for index, day in enumerate(DAYS):
            if not getattr(self, f"day_{day}").data:
                continue
            label = FRENCH_DAYS[index]
            spans = []
            for n in (1, 2):
                opens = (getattr(self, f"from{n}_{day}").data or "").strip()[:5]
                closes = (getattr(self, f"to{n}_{day}").data or "").strip()[:5]
                if not opens and not closes:
                    continue
                if not opens or not closes or (closes != "00:00" and closes <= opens):
                    errors[f"from{n}_{day}"] = (f"{label.capitalize()} : indiquez une heure de début "
                                                "et une heure de fin plus tardive.")
                    continue
                spans.append((opens, "24:00" if closes == "00:00" else closes))
            if not spans and f"from1_{day}" not in errors and f"from2_{day}" not in errors:
                spans = [("00:00", "24:00")]
            schedules.extend({"byday": DAYS[index].upper(), "opens_at": a, "closes_at": b}
                             for a, b in spans)
        if errors:
            return None, errors
        if not schedules:
            return None, {}
        expression = osm_from_hsds(schedules)
        return expression, {} if expression else {"availability": "Horaires illisibles."}


def _add_weekly_fields(cls):
    for day in DAYS:
        setattr(cls, f"day_{day}", BooleanField("Disponible"))
        for n in (1, 2):
            setattr(cls, f"from{n}_{day}", StringField(f"De (plage {n})", render_kw={"type": "time"}))
            setattr(cls, f"to{n}_{day}", StringField(f"À (plage {n})", render_kw={"type": "time"}))
    cls.mode = RadioField("Saisie des disponibilités", default="weekly",
                          choices=[choice("weekly", "Jour par jour"),
                                   choice("raw", "Expression OpenStreetMap (saisie avancée)")])
    cls.availability = StringField("Expression OpenStreetMap", validators=[Length(max=255)],
                                   render_kw={"spellcheck": "false"})
    return cls


@_add_weekly_fields
class RelayForm(WeeklyMixin, FlaskForm):
    display_name = StringField("Nom affiché", validators=[Length(max=120)])
    email = StringField("Compte de bienveilleur à rattacher (adresse e-mail, facultatif)",
                        validators=[Length(max=254)], render_kw={"type": "email", "inputmode": "email"})
    address = StringField("Adresse (pour placer le point ; elle n'est pas enregistrée)",
                          validators=[Length(max=300)])
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    radius_m = StringField("Rayon d'action (mètres)", render_kw={"inputmode": "numeric"})
    capacity = StringField("Nombre maximal de personnes suivies en même temps",
                           render_kw={"inputmode": "numeric"})
    languages = StringField("Langues parlées (codes à deux lettres, séparés par des virgules)",
                            validators=[Length(max=200)])
    skills = StringField("Compétences (séparées par des virgules)", validators=[Length(max=1000)])

    def record(self):
        return {name: getattr(self, name).data for name in (
            "display_name", "email", "address", "lat", "lon", "radius_m", "capacity", "languages",
            "skills")}


@_add_weekly_fields
class ProfileForm(WeeklyMixin, FlaskForm):
    radius_m = StringField("Rayon d'action (mètres)", render_kw={"inputmode": "numeric"})


class SearchForm(FlaskForm):
    """GET search forms have no CSRF token (nothing changes)."""

    class Meta:
        csrf = False

    q = StringField("Rechercher", validators=[Length(max=200)], render_kw={"type": "search"})
    inactive = BooleanField("Afficher les ressources désactivées")


def show_errors(form, error, *, aliases=None):
    """Put a domain error's per-field details on the form fields; return the rest as text."""
    aliases = {"lat,lon": "lat", **(aliases or {})}
    rest = []
    for detail in error.details or [{"field": None, "message": error.message}]:
        name = aliases.get(detail.get("field"), detail.get("field"))
        field = form._fields.get(name) if name else None
        if field is not None:
            field.errors = list(field.errors) + [detail["message"]]
        else:
            rest.append(detail["message"])
    return " ".join(rest) or None


def form_center(form):
    """Return (lat, lon) from the form's fields when they are plain numbers in range, else None."""
    try:
        lat = float(str(form.lat.data or "").replace(",", "."))
        lon = float(str(form.lon.data or "").replace(",", "."))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return (round(lat, 6), round(lon, 6))
