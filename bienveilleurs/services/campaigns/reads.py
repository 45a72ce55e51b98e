"""Reading campaigns: counts, the checks (each person shown logged), the board, the CSV."""

from collections import Counter

from sqlalchemy import delete, func, literal, select, tuple_, union_all
from sqlalchemy.orm import selectinload

from geo.points import lon_lat

from ... import clock
from ...extensions import db
from ...models import (
    CHECK_STATUSES,
    Campaign,
    CampaignCheck,
    Resident,
    Role,
    Territory,
)
from ..access_log import record_accesses
from ..csv_safe import csv_text
from ..paging import PAGE_SIZE, StatusKey, keyset_page
from ..transaction import use_case
from .scope import campaign_condition, check_condition, get_campaign, scoped_checks

# The board lists first who needs the coordinators, then who is left to reach.
BOARD_ORDER = {"needs_help": 0, "escalated": 1, "not_reached": 2, "pending": 3, "ok": 4}
OUTSIDE = "Hors territoire"


def list_campaigns(user):
    return db.session.scalars(select(Campaign).where(campaign_condition(user))
                              .order_by(Campaign.status.desc(), Campaign.deadline.desc())).all()


def counts(user, campaign):
    """{"counts": {status: n}, "territories": [{id, name, code, counts}]} over `user`'s checks."""
    rows = db.session.execute(
        select(CampaignCheck.territory_id, CampaignCheck.status, func.count())
        .join(Resident, Resident.id == CampaignCheck.resident_id)
        .where(CampaignCheck.campaign_id == campaign.id, check_condition(user))
        .group_by(CampaignCheck.territory_id, CampaignCheck.status)).all()
    overall, by_territory = Counter(), {}
    for territory_id, status, n in rows:
        overall[status] += n
        by_territory.setdefault(territory_id, Counter())[status] += n
    names = {t.id: t for t in db.session.scalars(select(Territory).where(
        Territory.id.in_([t for t in by_territory if t is not None])))}
    territories = []
    for territory_id, tally in sorted(by_territory.items(), key=lambda item: (
            item[0] is None, names[item[0]].name if item[0] in names else "")):
        territory = names.get(territory_id)
        territories.append({
            "id": str(territory_id) if territory_id else None,
            "name": territory.name if territory else OUTSIDE,
            "code": territory.code if territory else None,
            "counts": {s: tally[s] for s in CHECK_STATUSES}})
    unassigned = db.session.scalar(
        select(func.count()).select_from(CampaignCheck)
        .join(Resident, Resident.id == CampaignCheck.resident_id)
        .where(CampaignCheck.campaign_id == campaign.id, CampaignCheck.relay_id.is_(None),
               check_condition(user)))
    return {"counts": {s: overall[s] for s in CHECK_STATUSES}, "territories": territories,
            "total": sum(overall.values()), "unassigned": unassigned}


def shows_contact(user, campaign):
    """A relay sees how to reach the person only while the campaign is open."""
    return user.role == Role.COORDINATOR.value or campaign.status == "open"


@use_case
def read_checks(user, campaign_id, *, campaign=None):
    """The checks `user` sees in a campaign, board order; each person shown is logged."""
    campaign = campaign or get_campaign(user, campaign_id)
    checks = db.session.scalars(
        scoped_checks(user).where(CampaignCheck.campaign_id == campaign.id)
        .order_by(CampaignCheck.status, CampaignCheck.id)).all()
    checks.sort(key=lambda c: (BOARD_ORDER[c.status], c.resident.name.lower(), str(c.id)))
    record_accesses(user, "campaign.checks", "resident", [c.resident_id for c in checks])
    return campaign, checks


def _board_key(check):
    return StatusKey(check.status, check.updated_at, check.id)


@use_case(reads=True)
def board_page(user, campaign_id, *, after=None, size=PAGE_SIZE):
    """(campaign, a Page of its checks in `user`'s scope): who needs help, who was escalated,
    who was not reached, who is left, who is fine (`BOARD_ORDER`), each the longest unchanged
    first, with their person and relay; each person shown is logged.

    Each status is walked on its own in the order of `ix_campaign_checks_board` (campaign,
    status, last change, id), testing the scope row by row until the page is full, and the
    walks are merged: a city's campaign is never gathered and sorted to show 25 people.
    """
    campaign = get_campaign(user, campaign_id)
    order = (CampaignCheck.updated_at, CampaignCheck.id)
    scoped = scoped_checks(user).where(CampaignCheck.campaign_id == campaign.id)
    walks = []
    for status, rank in BOARD_ORDER.items():
        if after is not None and rank < BOARD_ORDER[after.status]:
            continue
        walk = scoped.with_only_columns(*order, literal(rank).label("rank")).where(
            CampaignCheck.status == status)
        if after is not None and status == after.status:
            walk = walk.where(tuple_(*order) > tuple_(after.at, after.id))
        walks.append(walk.order_by(*order).limit(size + 1))
    merged = (walks[0] if len(walks) == 1 else union_all(*walks)).subquery()
    statement = (select(CampaignCheck).join(merged, merged.c.id == CampaignCheck.id)
                 .options(selectinload(CampaignCheck.resident),
                          selectinload(CampaignCheck.relay)))
    page = keyset_page(statement, (merged.c.rank, merged.c.updated_at, merged.c.id),
                       key=_board_key, size=size)
    record_accesses(user, "campaign.checks", "resident", [c.resident_id for c in page])
    return campaign, page


def check_view(user, campaign, check):
    """A check as API.md states it; how to reach the person only to those who may."""
    contact = shows_contact(user, campaign) and check.resident.erased_at is None
    point = lon_lat(check.resident.point) if contact else None
    return {"id": str(check.id), "status": check.status, "attempts": check.attempts,
            "relay_id": str(check.relay_id) if check.relay_id else None,
            "pseudonym": check.resident.name if contact else None,
            "phone": check.resident.phone if contact else None,
            "lat": point[1] if point else None, "lon": point[0] if point else None,
            "last_call_at": check.last_call_at.isoformat() if check.last_call_at else None}


@use_case
def my_open_checks(user):
    """A relay's checks in open campaigns: [(campaign, [checks])], deadline first; logged."""
    if user.role != Role.RELAY.value or user.relay is None:
        return []
    checks = db.session.scalars(
        scoped_checks(user).join(Campaign, Campaign.id == CampaignCheck.campaign_id)
        .where(Campaign.status == "open", Resident.erased_at.is_(None))
        .order_by(Campaign.deadline, Campaign.id)).all()
    grouped = {}
    for check in checks:
        grouped.setdefault(check.campaign, []).append(check)
    for items in grouped.values():
        items.sort(key=lambda c: (c.status in ("ok", "needs_help"), c.resident.name.lower()))
    record_accesses(user, "campaign.checks", "resident", [c.resident_id for c in checks])
    return list(grouped.items())


def offline_checks(user):
    """The relay's calls of open campaigns for the phone's copy: what is needed to call."""
    return [{"campaign_id": str(campaign.id), "campaign_kind": campaign.kind,
             "campaign_title": campaign.title, "deadline": campaign.deadline.isoformat(),
             "check_id": str(check.id), "name": check.resident.name,
             "phone": check.resident.phone, "status": check.status}
            for campaign, checks in my_open_checks(user) for check in checks]


def outcome_csv(user, campaign_id):
    """Counts per territory and status, for the city's report: never a person."""
    campaign = get_campaign(user, campaign_id)
    summary = counts(user, campaign)
    header = ["territory_code", "territory_name", *CHECK_STATUSES, "total"]
    rows = [[t["code"] or "", t["name"], *(t["counts"][s] for s in CHECK_STATUSES),
             sum(t["counts"].values())] for t in summary["territories"]]
    rows.append(["all", "Ensemble", *(summary["counts"][s] for s in CHECK_STATUSES),
                 summary["total"]])
    return campaign, csv_text(header, rows, separator=";")


def time_left(campaign):
    """Whole minutes to the deadline (negative once it has passed)."""
    return int((campaign.deadline - clock.now()).total_seconds() // 60)


def forget_resident(resident_ids):
    """Opposition: the person leaves the open campaigns (their checks go); no commit."""
    open_ids = select(Campaign.id).where(Campaign.status == "open")
    db.session.execute(delete(CampaignCheck).where(
        CampaignCheck.resident_id.in_(resident_ids),
        CampaignCheck.campaign_id.in_(open_ids)).execution_options(synchronize_session=False))
