"""Who sees which campaign and which check: in the query, out of scope is 404."""

from sqlalchemy import exists, false, or_, select, true
from sqlalchemy.orm import contains_eager

from ...errors import NotFound
from ...extensions import db
from ...models import Campaign, CampaignCheck, Relay, Resident, Role
from .. import areas
from ..fields import parse_uuid
from ..referrals.scope import RESIDENT_PLACEMENT


def check_condition(user):
    """Condition on CampaignCheck (joined to Resident): the checks `user` sees."""
    if user.role == Role.COORDINATOR.value:
        return areas.managed(user, RESIDENT_PLACEMENT)
    if user.role == Role.RELAY.value:  # their relay's id in the statement: no query for it
        return CampaignCheck.relay_id == (select(Relay.id).where(Relay.user_id == user.id)
                                          .scalar_subquery())
    return false()


def scoped_checks(user):
    """A select() of the checks `user` sees (coordinators: their people; relays: theirs)."""
    return (select(CampaignCheck).join(Resident, Resident.id == CampaignCheck.resident_id)
            .where(check_condition(user)))


def campaign_condition(user):
    """Condition on Campaign: coordinators, those touching their territories (city-wide:
    all); relays, those where they hold checks."""
    holds = exists(select(CampaignCheck.id).join(Resident, Resident.id == CampaignCheck.resident_id)
                   .where(CampaignCheck.campaign_id == Campaign.id, check_condition(user))
                   .correlate(Campaign))
    if user.role == Role.COORDINATOR.value:
        if areas.is_city_wide(user):
            return true()
        own = [t.id for t in user.territories]
        return or_(Campaign.territory_ids.overlap(own), holds)
    if user.role == Role.RELAY.value:
        return holds
    return false()


def campaign_uuid(value):
    cid = parse_uuid(value)
    if cid is None:
        raise NotFound("Veille introuvable.")
    return cid


def get_campaign(user, campaign_id, *, lock=False):
    """The campaign if `user` sees it, else 404."""
    statement = select(Campaign).where(Campaign.id == campaign_uuid(campaign_id),
                                       campaign_condition(user))
    if lock:
        statement = statement.with_for_update(of=Campaign)
    campaign = db.session.scalar(statement.execution_options(populate_existing=True))
    if campaign is None:
        raise NotFound("Veille introuvable.")
    return campaign


def get_check(user, campaign_id, check_id, *, lock=False, with_campaign=False):
    """The check (locked when asked) if `user` sees it in that campaign, else 404; its person
    (and its campaign, when asked) loaded by the same statement."""
    cid, kid = campaign_uuid(campaign_id), parse_uuid(check_id)
    if kid is None:
        raise NotFound("Appel introuvable.")
    statement = scoped_checks(user).where(CampaignCheck.id == kid,
                                          CampaignCheck.campaign_id == cid)
    statement = statement.options(contains_eager(CampaignCheck.resident))
    if with_campaign:
        statement = statement.join(Campaign, Campaign.id == CampaignCheck.campaign_id).options(
            contains_eager(CampaignCheck.campaign))
    if lock:
        statement = statement.with_for_update(of=CampaignCheck)
    check = db.session.scalar(statement.execution_options(populate_existing=True))
    if check is None:
        raise NotFound("Appel introuvable.")
    return check
