"""Forms and fields used by several page families.

Forms only carry text: the services check every value, and `pages.errors_on_form` puts
their per-field errors back on the fields. A form used by one family lives with it.
"""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..errors import ValidationFailed
from ..services.weekly_hours import DAYS, FRENCH_DAYS, osm_from_hsds, parse_weekly

# Coordinates typed on a phone: a decimal keyboard, no autocorrection.
DECIMAL = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for POST buttons (logout, confirmations)."""


class CodeForm(FlaskForm):
    """A code of the second factor: six digits from the app, or a recovery code."""

    code = StringField("Code à 6 chiffres (ou code de secours)", validators=[
        DataRequired("Saisissez le code affiché par votre application."), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text",
                   "autocapitalize": "none", "spellcheck": "false"})


class SearchForm(FlaskForm):
    """GET search forms have no CSRF token (nothing changes)."""

    class Meta:
        csrf = False

    q = StringField("Rechercher", validators=[Length(max=200)], render_kw={"type": "search"})
    inactive = BooleanField("Afficher les ressources désactivées")


class CheckboxesField(SelectMultipleField):
    """A multiple choice rendered as checkboxes by the template (no validation of the
    choices here: the service checks the codes and ids)."""

    def pre_validate(self, form):
        pass


# --- weekly availability (a relay's own profile, and the network pages) ----------------------

class WeeklyMixin:
    """A weekly editor (per day: available, and up to two time ranges) producing OSM syntax,
    beside the raw expression for what the editor cannot express."""

    def weekly_rows(self):
        """[(day label, checkbox, from1, to1, from2, to2)] for the template."""
        return [(FRENCH_DAYS[i].capitalize(), getattr(self, f"day_{d}"),
                 getattr(self, f"from1_{d}"), getattr(self, f"to1_{d}"),
                 getattr(self, f"from2_{d}"), getattr(self, f"to2_{d}"))
                for i, d in enumerate(DAYS)]

    def load_availability(self, expression):
        """Fill the editor from a stored expression; the raw mode when it cannot be shown by
        day."""
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
        """Return the expression (or None) of the chosen mode; ValidationFailed on the
        fields of the days that cannot be read."""
        if self.mode.data == "raw":
            return (self.availability.data or "").strip() or None
        schedules, problems = [], []
        for index, day in enumerate(DAYS):
            if getattr(self, f"day_{day}").data:
                schedules.extend(self._day_schedules(index, day, problems))
        if problems:
            raise ValidationFailed(details=problems)
        if not schedules:
            return None
        expression = osm_from_hsds(schedules)
        if not expression:
            raise ValidationFailed.field("availability", "Horaires illisibles.")
        return expression

    def _day_schedules(self, index, day, problems):
        label = FRENCH_DAYS[index]
        spans, failed = [], False
        for n in (1, 2):
            opens = (getattr(self, f"from{n}_{day}").data or "").strip()[:5]
            closes = (getattr(self, f"to{n}_{day}").data or "").strip()[:5]
            if not opens and not closes:
                continue
            if not opens or not closes or (closes != "00:00" and closes <= opens):
                problems.append({"field": f"from{n}_{day}",
                                 "message": f"{label.capitalize()} : indiquez une heure de début "
                                            "et une heure de fin plus tardive."})
                failed = True
                continue
            spans.append((opens, "24:00" if closes == "00:00" else closes))
        if not spans and not failed:
            spans = [("00:00", "24:00")]
        return [{"byday": DAYS[index].upper(), "opens_at": a, "closes_at": b} for a, b in spans]


def with_weekly_fields(cls):
    """Add the weekly editor's fields (per day, two ranges) and the raw expression."""
    for day in DAYS:
        setattr(cls, f"day_{day}", BooleanField("Disponible"))
        for n in (1, 2):
            setattr(cls, f"from{n}_{day}",
                    StringField(f"De (plage {n})", render_kw={"type": "time"}))
            setattr(cls, f"to{n}_{day}", StringField(f"À (plage {n})", render_kw={"type": "time"}))
    cls.mode = RadioField("Saisie des disponibilités", default="weekly", choices=[
        SelectChoice("weekly", "Jour par jour"),
        SelectChoice("raw", "Expression OpenStreetMap (saisie avancée)")])
    cls.availability = StringField("Expression OpenStreetMap", validators=[Length(max=255)],
                                   render_kw={"spellcheck": "false"})
    return cls
