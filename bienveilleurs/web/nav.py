"""Navigation per role; entries whose page does not exist yet are left out."""

from flask import current_app
from flask_login import current_user

# (endpoint, label) in display order, by role.
NAVIGATION = {
    "relay": [
        ("relay.my_people", "Mes personnes"),
        ("relay.report", "Signaler une personne"),
        ("directory.search", "Ressources"),
        ("profile.edit", "Mes disponibilités"),
        ("booklets.index", "Livrets"),
    ],
    "coordinator": [
        ("coordination.inbox", "À attribuer"),
        ("coordination.stale", "En attente"),
        ("coordination.map", "Carte"),
        ("network.relays", "Bienveilleurs"),
        ("coverage.index", "Couverture"),
        ("directory.search", "Ressources"),
        ("manage.index", "Gérer l'annuaire"),
        ("booklets.index", "Livrets"),
    ],
    "social_worker": [
        ("structure.referrals", "Orientations reçues"),
        ("directory.search", "Ressources"),
        ("booklets.index", "Livrets"),
    ],
    "admin": [
        ("admin.accounts", "Comptes"),
        ("admin.territories", "Territoires"),
        ("manage.index", "Annuaire"),
        ("imports.index", "Imports"),
        ("notifications_admin.index", "E-mails envoyés"),
        ("admin.audit_log", "Journal"),
    ],
}


def navigation():
    if not getattr(current_user, "is_authenticated", False):
        return []
    views = current_app.view_functions
    return [("main.home", "Accueil")] + [
        (endpoint, label) for endpoint, label in NAVIGATION.get(current_user.role, [])
        if endpoint in views
    ]
