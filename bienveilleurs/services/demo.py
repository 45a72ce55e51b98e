"""Demonstration data for Le Havre. Everything here is fictitious; shapes are approximate."""

from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import select

from geo.territories import stored_area

from .. import clock
from ..extensions import db
from ..models import Role, Territory, User
from ..security import hash_password
from .transaction import use_case

DEMO_DOMAIN = "demo.bienveilleurs.fr"

# (email, role, display name, password, territory codes)
ACCOUNTS = [
    (f"admin@{DEMO_DOMAIN}", Role.ADMIN, "Alice Admin (démo)", "demo-admin-le-havre", ()),
    (f"coordination@{DEMO_DOMAIN}", Role.COORDINATOR, "Claire Coordination (démo)",
     "demo-coordination-le-havre", ()),
    (f"coordination.nord@{DEMO_DOMAIN}", Role.COORDINATOR, "Nadia Nord (démo)",
     "demo-coordination-nord", ("DEMO-CAUC", "DEMO-MTG", "DEMO-APL")),
    (f"relais@{DEMO_DOMAIN}", Role.RELAY, "Rémi Relais (démo)", "demo-relais-le-havre", ()),
    (f"social@{DEMO_DOMAIN}", Role.SOCIAL_WORKER, "Sophie Social (démo)", "demo-social-le-havre",
     ()),
    (f"observation@{DEMO_DOMAIN}", Role.OBSERVER, "Olivier Observation (démo)",
     "demo-observation-le-havre", ()),
]

# Rough outlines (lon, lat) of a few neighbourhoods; for demonstration, not for any real use.
NEIGHBOURHOODS = [
    ("DEMO-CENTRE", "Centre reconstruit", [(0.0985, 49.4885), (0.1190, 49.4870),
                                            (0.1215, 49.4960), (0.1130, 49.4990),
                                            (0.0990, 49.4975)]),
    ("DEMO-SUD", "Quartiers Sud", [(0.1190, 49.4780), (0.1600, 49.4760), (0.1620, 49.4890),
                                   (0.1215, 49.4905)]),
    ("DEMO-APL", "Aplemont", [(0.1330, 49.5040), (0.1560, 49.5030), (0.1580, 49.5140),
                              (0.1350, 49.5150)]),
    ("DEMO-CAUC", "Caucriauville", [(0.1580, 49.5040), (0.1880, 49.5050), (0.1900, 49.5200),
                                    (0.1600, 49.5190)]),
    ("DEMO-MTG", "Mont-Gaillard", [(0.1300, 49.5150), (0.1560, 49.5145), (0.1570, 49.5280),
                                   (0.1310, 49.5285)]),
    ("DEMO-BDB", "Bois de Bléville", [(0.1080, 49.5190), (0.1300, 49.5180), (0.1310, 49.5320),
                                      (0.1090, 49.5330)]),
    ("DEMO-MR", "Mare Rouge", [(0.0900, 49.5120), (0.1080, 49.5115), (0.1085, 49.5250),
                               (0.0905, 49.5260)]),
]


# The second factor of the demo admin and coordinators (fictitious, public like their
# passwords): `flask demo accounts` prints them, `flask demo code EMAIL` gives the code of
# the moment to whoever has no authenticator app at hand.
DEMO_TOTP_SECRETS = {
    f"admin@{DEMO_DOMAIN}": "DEMOADMINLEHAVRE2DEMOADMINLEHAVR",
    f"coordination@{DEMO_DOMAIN}": "DEMOCOORDINATIONLEHAVRE234567ABC",
    f"coordination.nord@{DEMO_DOMAIN}": "DEMOCOORDINATIONNORD234567ABCDEF",
}


def present_accounts():
    """(email, role, password, TOTP secret or None) of each demo account."""
    return [(email, role.value, password, DEMO_TOTP_SECRETS.get(email))
            for email, role, _, password, _ in ACCOUNTS]


def current_code(email):
    """The code of the moment of a demo account with a second factor (None for any other).

    Read from the account, so that a demo account enrolled at its first sign-in (a database
    loaded before the demo had keys) is served too.
    """
    from . import two_factor
    email = (email or "").strip().lower()
    if not email.endswith("@" + DEMO_DOMAIN):
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.totp_enabled_at is None:
        return None
    return two_factor.code_at_step(user.totp_secret, two_factor.current_step(user.totp_secret))


@use_case
def load(*, if_empty=False):
    """Load or complete the demo data in one transaction; None when skipped because not empty."""
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        return None
    summary = {"territoires": 0, "comptes": 0}
    territories = {}
    for code, name, ring in NEIGHBOURHOODS:
        territory = db.session.scalar(select(Territory).where(Territory.code == code))
        if territory is None:
            territory = Territory(code=code, name=name,
                                  area=stored_area(MultiPolygon([Polygon(ring)])))
            db.session.add(territory)
            summary["territoires"] += 1
        territories[code] = territory
    users = {}
    for email, role, display_name, password, codes in ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, role=role.value, display_name=display_name,
                        password_hash=hash_password(password),
                        totp_secret=DEMO_TOTP_SECRETS.get(email),
                        totp_enabled_at=clock.now() if email in DEMO_TOTP_SECRETS else None)
            user.territories = [territories[c] for c in codes]
            db.session.add(user)
            summary["comptes"] += 1
        users[email] = user
    db.session.flush()
    # The directory: structures, resources and relays (before referrals, which use them).
    from . import demo_directory
    demo_directory.load(users, summary)
    # Referrals come last: they need the accounts and the directory (relays, resources).
    from . import demo_referrals
    demo_referrals.load(users, summary)
    # A year of history over the neighbourhoods, for « Pilotage ».
    from . import demo_evaluation
    demo_evaluation.load(users, summary)
    # The charter, signed by every demo relay (the history's too), shown on « Devenir
    # bienveilleur ».
    from . import demo_charter
    demo_charter.load(users, summary)
    return summary
