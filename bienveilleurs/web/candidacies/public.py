"""« Devenir bienveilleur »: the public page and its form, and the candidate's own links.

No account: the form is protected by its CSRF token, the throttle, a honeypot field and the
size limits of the service (services/candidacies/public). The candidate's links keep only
the link's row id in the session, never the secret, as the invitations' pages do.
"""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ...errors import BadRequest, Conflict, NotFound, Throttled, ValidationFailed
from ...models import PROFILES, STAGE_LABELS
from ...services.candidacies import charter, public
from ..forms import DECIMAL, CheckboxesField, EmptyForm
from ..pages import errors_on_form, form_center, geocoder, geocoding_enabled, service_area

bp = Blueprint("candidacy_public", __name__)

LANGUAGES = {"fr": "Français", "en": "Anglais", "ar": "Arabe", "es": "Espagnol",
             "pt": "Portugais", "it": "Italien", "de": "Allemand", "tr": "Turc",
             "ru": "Russe", "uk": "Ukrainien", "ro": "Roumain", "wo": "Wolof"}
SAME_ANSWER = ("Merci ! Si cette adresse e-mail peut recevoir notre message, vous allez recevoir "
               "un e-mail avec un lien pour confirmer votre candidature. Pensez à regarder dans "
               "les courriers indésirables.")
LINK_KEY = "candidacy_link"
CHARTER_KEY = "charter_link"


class CandidacyForm(FlaskForm):
    first_name = StringField("Prénom", render_kw={"autocomplete": "given-name"})
    email = StringField("Adresse e-mail", render_kw={
        "type": "email", "autocomplete": "email", "inputmode": "email",
        "autocapitalize": "none", "spellcheck": "false"})
    phone = StringField("Téléphone (facultatif)", render_kw={
        "type": "tel", "autocomplete": "tel", "inputmode": "tel"})
    address = StringField("Adresse (rue et numéro, au Havre)",
                          render_kw={"autocomplete": "street-address"})
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    profile = RadioField("Vous êtes", choices=[SelectChoice(k, v) for k, v in PROFILES.items()],
                         validate_choice=False)
    languages = CheckboxesField("Langues parlées",
                                choices=[SelectChoice(k, v) for k, v in LANGUAGES.items()])
    availability = TextAreaField("Quand êtes-vous disponible ? (facultatif)",
                                 render_kw={"rows": 3})
    consent = BooleanField("J'accepte que la coordination du réseau garde ces informations pour "
                           "me recontacter (voir ci-dessus).")
    # The honeypot: hidden from view and from the keyboard; robots fill it.
    website = StringField("Ne pas remplir ce champ",
                          render_kw={"tabindex": "-1", "autocomplete": "off"})

    def record(self):
        values = {name: getattr(self, name).data for name in (
            "first_name", "email", "phone", "address", "lat", "lon", "profile", "availability",
            "website")}
        return {**values, "languages": list(self.languages.data or []),
                "consent": bool(self.consent.data)}


def _page(form, *, status=200, summary=None, error=None):
    version = charter.current_version()
    response = current_app.make_response((render_template(
        "candidacies/public.html", form=form, summary=summary, error=error,
        charter_html=charter.render(version.text_md) if version else None, version=version,
        geocoding=geocoding_enabled(), map_center_point=form_center(form),
        languages=LANGUAGES), status))
    if status == 429:
        response.headers["Retry-After"] = "60"
    return response


@bp.route("/devenir-bienveilleur", methods=["GET", "POST"])
def page():
    form = CandidacyForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, status=400, summary="Le formulaire a expiré : rechargez la page.")
    try:
        public.submit(form.record(), address=request.remote_addr, area=service_area(),
                      geocoder=geocoder(), strict=False)
    except Throttled as exc:
        return _page(form, status=429, error=exc.message)
    except (BadRequest, ValidationFailed) as exc:
        return _page(form, status=422, summary=errors_on_form(form, exc))
    return redirect(url_for(".thanks"), code=303)


@bp.get("/devenir-bienveilleur/merci")
def thanks():
    return render_template("candidacies/thanks.html", message=SAME_ANSWER)


# --- the candidate's link ------------------------------------------------------------------

def _no_store(response):
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _invalid(message):
    return _no_store((render_template("invitations/invalid.html", message=message), 404))


def _hold(token, purpose, key, endpoint):
    try:
        link_id = public.open_link(token, purpose)
    except NotFound as exc:
        return _invalid(exc.message)
    session[key] = str(link_id)
    return redirect(url_for(endpoint), code=303)


@bp.get("/candidature/<token>")
def open_link(token):
    return _hold(token, "candidacy", LINK_KEY, ".mine")


def _held():
    link_id = session.get(LINK_KEY)
    if not link_id:
        raise NotFound("Ouvrez le lien reçu par e-mail pour accéder à votre candidature.")
    return link_id


@bp.get("/candidature")
def mine():
    try:
        candidacy = public.candidacy_for_link(_held())
    except NotFound as exc:
        return _invalid(exc.message)
    return _no_store(render_template("candidacies/mine.html", candidacy=candidacy,
                                     form=EmptyForm(), STAGE_LABELS=STAGE_LABELS,
                                     PROFILES=PROFILES, languages=LANGUAGES))


def _act(action, message):
    if not EmptyForm().validate_on_submit():
        raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")
    try:
        action(_held())
    except NotFound as exc:
        return _invalid(exc.message)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for(".mine"), code=303)
    flash(message, "success")
    return None


@bp.post("/candidature/confirmer")
def confirm():
    return _act(public.confirm, "Merci, votre adresse est confirmée : la coordination de votre "
                "quartier va vous contacter pour une rencontre.") or redirect(
        url_for(".mine"), code=303)


@bp.post("/candidature/retrait")
def withdraw():
    return _act(public.withdraw, "Votre candidature est retirée. Vos données seront effacées "
                "dans 6 mois, ou dès maintenant si vous le demandez ci-dessous.") or redirect(
        url_for(".mine"), code=303)


@bp.post("/candidature/effacement")
def erase():
    answer = _act(public.erase, "Vos données de candidature sont effacées.")
    if answer is not None:
        return answer
    session.pop(LINK_KEY, None)
    return redirect(url_for(".page"), code=303)


@bp.get("/candidature/mes-donnees")
def export():
    try:
        document = public.export(_held())
    except NotFound as exc:
        return _invalid(exc.message)
    response = current_app.response_class(
        current_app.json.dumps(document, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="ma-candidature.json"'
    return _no_store(response)


# --- the charter's signing link -----------------------------------------------------------

@bp.get("/charte/<token>")
def open_charter_link(token):
    return _hold(token, "charter", CHARTER_KEY, ".sign_charter")


@bp.route("/charte/signer", methods=["GET", "POST"])
def sign_charter():
    link_id = session.get(CHARTER_KEY)
    try:
        if not link_id:
            raise NotFound("Ouvrez le lien reçu par e-mail pour signer la charte.")
        candidacy, version = charter.candidacy_for_signing(link_id)
        form = EmptyForm()
        if request.method == "POST":
            if not form.validate_on_submit():
                raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")
            charter.sign_by_link(link_id)
            session.pop(CHARTER_KEY, None)
            return _no_store(render_template("candidacies/charter_signed.html",
                                             candidacy=candidacy, version=version))
    except (NotFound, Conflict) as exc:
        return _invalid(exc.message)
    return _no_store(render_template("candidacies/charter_sign.html", candidacy=candidacy,
                                     version=version, text=charter.render(version.text_md),
                                     form=form))
