"""Demonstration charter: a first version, signed by the demo relays at their meeting.

Called by services.demo.load() inside its transaction (never commits), after the directory
(the relays sign it). Idempotent: nothing is added when a version exists. The public page
« Devenir bienveilleur » then shows a charter, and publishing a second version from
« Charte » shows how every active relay is asked to read it at their next sign-in.
"""

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import CharterSignature, CharterVersion, Relay

TEXT_MD = """\
*Version de démonstration, fictive : chaque réseau écrit et publie la sienne.*

En devenant bienveilleur, je m'engage à :

1. **écouter sans juger** les personnes que je rencontre, et respecter leurs choix ;
2. **garder pour moi** ce qu'elles me confient : je ne le partage qu'avec la coordination
   du réseau, et seulement ce qui est utile pour les aider ;
3. **ne rien faire à leur place** sans leur accord : je les informe et je les mets en
   relation avec le bon interlocuteur près de chez elles ;
4. **passer le relais** à la coordination quand une situation me dépasse ou qu'une personne
   est en danger (en urgence : le 15, le 17 ou le 112) ;
5. **donner de mes nouvelles** à la coordination, et dire quand je ne suis plus disponible.

Le réseau s'engage de son côté à me former, à m'accompagner et à répondre à mes questions.
"""


def load(users, summary):
    if db.session.scalar(select(CharterVersion.id).limit(1)) is not None:
        return
    admin = next((user for email, user in users.items() if email.startswith("admin@")), None)
    version = CharterVersion(number=1, text_md=TEXT_MD, published_at=clock.now(),
                             published_by_id=getattr(admin, "id", None))
    db.session.add(version)
    db.session.flush()
    relays = db.session.scalars(select(Relay).where(Relay.status == "active")).all()
    db.session.add_all(CharterSignature(version_id=version.id, relay_id=relay.id,
                                        method="meeting", signed_at=clock.now())
                       for relay in relays)
    summary["charte"] = 1
