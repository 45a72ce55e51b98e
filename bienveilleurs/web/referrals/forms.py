"""Forms of the referral pages, and their translation into the API's payloads.

The forms only carry text and CSRF: every rule (required fields, codes, coordinates,
consent, the lifecycle) is checked by services.referrals, whose per-field errors are put
back on the fields. The report and contact forms use the JSON API's field names, so the
offline outbox (static JS) can send the same values to /api/v1 and produce the same record:

- report (`data-outbox="referral"`): id (client UUID, empty unless the phone filled it),
  first_name, pseudonym, lat, lon, languages (comma-separated), phone, audiences
  (repeated), newcomer, category, note, consent;
- contact (`data-outbox="contact"`): id (client UUID), referral_id, at (local date-time),
  channel, reached ("true" / "false"), note.
"""

import uuid
from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from ... import clock
from ...errors import ConsentRequired
from ...models import CHANNEL_LABELS, CHANNELS, OUTCOME_LABELS
from ...services import fit, matching
from ...services.codes import grouped_thematiques
from ...services.referrals import SEND_BACK_REASONS
from ..forms import DECIMAL, CheckboxesField

# The one way the structure reads the report's note (it may hold health details): asked.
SHARE_REPORT_NOTE = ("Partager aussi avec la structure la note du signalement (sinon elle ne "
                     "lit que le message ci-dessus)")

# Send-back reasons a person picks (the expiry job sets "expired" itself).
PICKABLE_SEND_BACK = {k: v for k, v in SEND_BACK_REASONS.items() if k != "expired"}


def category_choices():
    """The need select: an empty first option, then sub-categories grouped by category."""
    choices = [SelectChoice("", "Choisissez le besoin principal")]
    for code, label, subs in grouped_thematiques():
        choices.append(SelectChoice(code, f"{label} (en général)", optgroup=label))
        choices.extend(SelectChoice(sub, sub_label, optgroup=label) for sub, sub_label in subs)
    return choices


class PersonDetailsForm(FlaskForm):
    """The person and the need, as reported and as corrected later (same fields, same names)."""
    first_name = StringField("Prénom", validators=[Length(max=80)],
                             render_kw={"autocomplete": "off", "autocapitalize": "words"})
    pseudonym = StringField("Ou un pseudonyme", validators=[Length(max=80)],
                            render_kw={"autocomplete": "off"})
    category = SelectField("Besoin principal", choices=[], validate_choice=False)
    languages = StringField("Langues parlées (codes à deux lettres, séparés par des virgules)",
                            validators=[Length(max=100)],
                            render_kw={"autocomplete": "off", "autocapitalize": "none",
                                       "spellcheck": "false"})
    phone = StringField("Téléphone de la personne (facultatif)", validators=[Length(max=40)],
                        render_kw={"type": "tel", "autocomplete": "off"})
    audiences = CheckboxesField("Publics", choices=[])
    newcomer = BooleanField("Arrivée récemment dans le quartier")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices()

    def person_payload(self):
        """The person's fields with the API's names (the `resident` object, less the point)."""
        return {
            "first_name": self.first_name.data, "pseudonym": self.pseudonym.data,
            "languages": matching.split_list(self.languages.data),
            "phone": self.phone.data,
            "audiences": list(self.audiences.data or []),
            "newcomer": bool(self.newcomer.data),
        }


class ReportForm(PersonDetailsForm):
    id = HiddenField()  # filled by the phone's outbox (client UUID); empty without JavaScript
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    note = TextAreaField("Ce que vous avez remarqué (facultatif)", validators=[Length(max=2000)])
    consent = BooleanField("La personne a été informée et ne s'oppose pas à l'enregistrement "
                           "de ses données (obligatoire)", render_kw={"required": True})

    def validate(self, extra_validators=None):
        """Say at once every field left empty (the service checks the values themselves)."""
        valid = super().validate(extra_validators)
        empty = {
            "first_name": not _filled(self.first_name) and not _filled(self.pseudonym),
            "category": not self.category.data,
            "lat": not _filled(self.lat) or not _filled(self.lon),
            "consent": not self.consent.data,
        }
        return _flag_empty(self, empty) and valid

    def payload(self):
        """The body of POST /api/v1/referrals for these values."""
        client_id = (self.id.data or "").strip() or None
        return {
            "id": client_id,
            "resident": {**self.person_payload(), "lat": self.lat.data, "lon": self.lon.data},
            "category": self.category.data or None,
            "note": self.note.data,
            "consent": bool(self.consent.data),
        }


# Service field names → form field names.
REPORT_FIELDS = {
    "resident.first_name": "first_name", "resident.pseudonym": "pseudonym",
    "resident.lat": "lat", "resident.lon": "lon", "resident.lat,resident.lon": "lat",
    "resident.languages": "languages", "resident.phone": "phone",
    "resident.audiences": "audiences", "resident.newcomer": "newcomer",
}

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def local_input_value(moment):
    """Return an aware time as the value of a datetime-local input (Europe/Paris)."""
    return clock.local(moment).strftime(LOCAL_INPUT)


class ContactForm(FlaskForm):
    id = HiddenField()  # client UUID filled by the phone's outbox; empty without JavaScript
    referral_id = HiddenField()
    at = StringField("Date et heure du contact", render_kw={"type": "datetime-local"})
    channel = RadioField("Comment avez-vous été en contact ?",
                         choices=[SelectChoice(c, CHANNEL_LABELS[c]) for c in CHANNELS],
                         validate_choice=False)
    reached = RadioField("Avez-vous pu parler à la personne ?",
                         choices=[SelectChoice("true", "Oui"),
                                  SelectChoice("false", "Non, je ne l'ai pas jointe")],
                         validate_choice=False)
    note = TextAreaField("Note courte (facultative)", validators=[Length(max=2000)],
                         render_kw={"rows": 3})

    def validate(self, extra_validators=None):
        """Say at once every field left empty (the service checks the values themselves)."""
        valid = super().validate(extra_validators)
        empty = {"channel": not self.channel.data, "reached": not self.reached.data,
                 "at": not _filled(self.at)}
        return _flag_empty(self, empty) and valid

    def payload(self):
        """The body of POST /api/v1/referrals/{id}/contacts for these values.

        A missing client id gets a fresh one (the form without JavaScript); a local time
        without offset is read in Europe/Paris.
        """
        reached = {"true": True, "false": False}.get((self.reached.data or "").strip())
        return {
            "id": (self.id.data or "").strip() or str(uuid.uuid4()),
            "at": _aware_iso(self.at.data),
            "channel": self.channel.data or None,
            "reached": reached,
            "note": self.note.data,
        }


def _aware_iso(value):
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the service explains what is expected
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.PARIS)
    return moment.isoformat()


# Friendlier words than the API's for the fields a page forgot to fill (400 from the service).
MISSING = {
    "category": "Choisissez le besoin principal.",
    "first_name": "Indiquez un prénom ou un pseudonyme.",
    "lat": "Indiquez où se trouve la personne : utilisez votre position, touchez la carte "
           "ou saisissez la latitude et la longitude.",
    "lon": "Indiquez la longitude.",
    "at": "Indiquez la date et l'heure du contact.",
    "channel": "Indiquez comment vous avez contacté la personne.",
    "reached": "Indiquez si vous avez pu parler à la personne.",
    "relay_id": "Choisissez un bienveilleur.",
    "resource_id": "Choisissez une ressource.",
    "reason": "Indiquez le motif.",
    "reason_text": "Indiquez le motif.",
    "outcome": "Choisissez l'issue.",
    "consent": ConsentRequired.default_message,
}


def _filled(field):
    return bool((field.data or "").strip())


def _flag_empty(form, empty):
    """Put the MISSING message on each empty field; return True when none is."""
    for name, is_empty in empty.items():
        if is_empty:
            form[name].errors = list(form[name].errors) + [MISSING[name]]
    return not any(empty.values())


class MoveForm(FlaskForm):
    """One move of the lifecycle; the page shows only the fields the move needs.

    Rendered once per available move with `prefix=<target status>`, so that several
    moves sit on one page without clashing ids.
    """

    version = HiddenField()
    relay_id = SelectField("Bienveilleur", choices=[], validate_choice=False)
    resource_id = SelectField("Ressource", choices=[], validate_choice=False)
    reason = SelectField("Motif", choices=[SelectChoice("", "Choisissez le motif")] +
                         [SelectChoice(k, v) for k, v in PICKABLE_SEND_BACK.items()],
                         validate_choice=False)
    reason_text = StringField("Motif", validators=[Length(max=200)])
    outcome = SelectField("Issue", choices=[], validate_choice=False)
    note = TextAreaField("Note (facultative)", validators=[Length(max=2000)], render_kw={"rows": 2})
    note_professional = BooleanField(
        "Réservée aux professionnels (jamais montrée aux bienveilleurs)")
    share_report_note = BooleanField(SHARE_REPORT_NOTE)

    fixed_reason = None  # the one reason the reader may give: sent without a question

    def fill(self, move, *, referral, relays=(), resources=(), reasons=None):
        """Set the choices for `move` (an AvailableMove) and the version seen; `reasons`
        ({code: label}) are those of a send-back the reader may give."""
        if not self.is_submitted():
            self.version.data = str(referral.version)
        reasons = PICKABLE_SEND_BACK if reasons is None else reasons
        self.reason.choices = [SelectChoice("", "Choisissez le motif")] + [
            SelectChoice(k, v) for k, v in reasons.items()]
        self.fixed_reason = next(iter(reasons)) if len(reasons) == 1 else None
        self.outcome.choices = [SelectChoice("", "Choisissez l'issue")] + [
            SelectChoice(o, OUTCOME_LABELS[o]) for o in move.outcomes]
        self.relay_id.choices = [SelectChoice("", "Choisissez un bienveilleur")] + [
            SelectChoice(r.id, relay_option(r)) for r in relays]
        self.resource_id.choices = [SelectChoice("", "Choisissez une ressource")] + [
            SelectChoice(r["id"], resource_option(r)) for r in resources]
        return self

    def fields_for(self, move, *, self_assign=False):
        """The names of the visible fields for `move`, in display order."""
        names = []
        if "relay_id" in move.needs and not self_assign:
            names.append("relay_id")
        if "resource_id" in move.needs:
            names.append("resource_id")
        if "reason" in move.needs and not (move.name == "send_back" and self.fixed_reason):
            names.append("reason" if move.name == "send_back" else "reason_text")
        if "outcome" in move.needs:
            names.append("outcome")
        if move.name == "refer":
            names.append("share_report_note")
        return names

    def values(self):
        """Keyword arguments of services.referrals.transition from the posted values."""
        return {
            "version": version_value(self),
            "relay_id": self.relay_id.data or None,
            "resource_id": self.resource_id.data or None,
            "reason": ((self.reason.data or "").strip() or (self.reason_text.data or "").strip()
                       or None),
            "outcome": self.outcome.data or None,
            "note": self.note.data,
            "note_professional": bool(self.note_professional.data),
            "share_report_note": bool(self.share_report_note.data),
        }


class AssignForm(FlaskForm):
    """One-click assignment (or reassignment) from the coordinators' lists."""

    relay_id = HiddenField()
    version = HiddenField()


class ReferForm(FlaskForm):
    """Hand a referral to a resource: a relay's choice among the proposals, or a one-click."""

    resource_id = RadioField("Ressource choisie", choices=[], validate_choice=False)
    version = HiddenField()
    note = TextAreaField("Message pour la structure (facultatif)", validators=[Length(max=2000)],
                         render_kw={"rows": 2})
    share_report_note = BooleanField(SHARE_REPORT_NOTE)


def version_value(form):
    """The version the reader saw (a hidden field), or None."""
    version = (form.version.data or "").strip()
    return int(version) if version.isdigit() else None


def relay_option(relay):
    parts = [relay.display_name, fit.distance_words(relay.walk_s, relay.distance_m),
             f"{relay.free_capacity} place{'s' if relay.free_capacity > 1 else ''} libre"
             f"{'s' if relay.free_capacity > 1 else ''}"]
    if relay.shared_languages:
        parts.append("parle " + ", ".join(relay.shared_languages))
    if relay.available_now:
        parts.append("disponible maintenant")
    if relay.invitation_pending:
        parts.append("invitation en attente")
    return " — ".join(parts)


def resource_option(resource):
    parts = [resource["name"], resource.get("structure_name") or "", fit.describe(resource)]
    return " — ".join(p for p in parts if p)
