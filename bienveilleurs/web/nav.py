"""Navigation per role."""

from flask_login import current_user

from ..models import Role
from ..services.notifications import kept_for_development

# (endpoint, label) in display order, by role.
NAVIGATION = {
    Role.RELAY: [
        ("relay.my_people", "Mes personnes"),
        ("relay.report", "Signaler une personne"),
        ("directory.search", "Ressources"),
        ("profile.edit", "Mes disponibilités"),
        ("booklets.index", "Livrets"),
        ("charter.read", "La charte"),
    ],
    Role.COORDINATOR: [
        ("coordination.inbox", "À attribuer"),
        ("coordination.stale", "En attente"),
        ("coordination.map", "Carte"),
        ("campaigns.index", "Veilles"),
        ("network.relays", "Bienveilleurs"),
        ("candidacies.index", "Candidatures"),
        ("coverage.index", "Couverture"),
        ("steering.index", "Pilotage"),
        ("directory.search", "Ressources"),
        ("manage.index", "Gérer l'annuaire"),
        ("booklets.index", "Livrets"),
    ],
    Role.SOCIAL_WORKER: [
        ("structure.referrals", "Orientations reçues"),
        ("directory.search", "Ressources"),
        ("booklets.index", "Livrets"),
    ],
    Role.ADMIN: [
        ("admin.accounts", "Comptes"),
        ("admin.territories", "Territoires"),
        ("manage.index", "Annuaire"),
        ("imports.index", "Imports"),
        ("relay_import.index", "Import des bienveilleurs"),
        ("charter.publish", "Charte"),
        ("notifications_admin.index", "E-mails envoyés"),
        ("jobs_admin.index", "Tâches"),
        ("admin.audit_log", "Journal"),
        ("steering.index", "Pilotage"),
    ],
    Role.OBSERVER: [
        ("steering.index", "Pilotage"),
    ],
}


def navigation():
    if not getattr(current_user, "is_authenticated", False):
        return []
    links = [("main.home", "Accueil"), *NAVIGATION.get(current_user.role, [])]
    if current_user.role == Role.ADMIN and kept_for_development():
        links.append(("dev_mail.index", "E-mails de développement"))
    return links
