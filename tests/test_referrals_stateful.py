"""Property-based test: random sequences of moves by random roles keep the invariants.

A hypothesis state machine reports people, tries moves (anything by anyone, and the moves
the pages would offer), logs contacts and runs the expiry job through the service, and
checks after every step: statuses and outcomes are valid, every change wrote exactly one
event and bumped the version by one, a refused step changed nothing, closed referrals move
only by reopening, versions only grow, and each relay's counter equals a recount.
"""

import os
import uuid
from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.errors import DomainError
from bienveilleurs.extensions import db
from bienveilleurs.models import OUTCOMES, STATUSES, Referral, ReferralEvent, Relay
from bienveilleurs.services import referrals as service
from bienveilleurs.services.referrals import events as referral_events

from .referral_helpers import make_world, report_payload

ACTORS = ("coordinator", "relay_user", "other_relay_user", "reporter", "social", "other_social",
          "admin", "system")
# For offered moves: people likely to hold the referral ("assigned": its relay's account,
# "structure": a social worker of its resource's structure).
LIKELY_ACTORS = ("coordinator", "coordinator", "assigned", "assigned", "structure", "reporter",
                 "system")
CAPACITY = 2
MAX_REFERRALS = 4


class ReferralMachine(RuleBasedStateMachine):
    hook_calls = None  # set by the test: event ids passed to _after_transition

    @initialize()
    def build_world(self):
        self.world = make_world(capacity=CAPACITY)
        db.session.commit()  # keep the world when a refused step rolls the session back
        w = self.world
        self.relay_ids = [w.relay.id, w.other_relay.id, w.reporter_relay.id]
        self.relay_users = {w.relay.id: w.relay_user, w.other_relay.id: w.other_relay_user,
                            w.reporter_relay.id: w.reporter}
        self.resource_ids = [w.resource.id, w.other_resource.id]
        self.resource_workers = {w.resource.id: w.social, w.other_resource.id: w.other_social}
        self.referral_ids = []
        self.known = {}      # referral id → state after the last step (kept by the invariant)
        self.report(by_relay=False)
        self.known, self.loads = self._state(), self._loads()

    def teardown(self):
        # Examples share one rolled-back transaction: retire this world's accounts so that
        # the next examples do not see a growing crowd of city-wide coordinators.
        if hasattr(self, "world"):
            for user in vars(self.world).values():
                if hasattr(user, "session_version"):
                    user.active = False
            db.session.commit()

    # --- reading the database -------------------------------------------------------------

    def _state(self):
        """{referral id: (status, version, outcome, relay_id, resource_id, event count)}."""
        db.session.expire_all()
        events = (select(func.count()).where(ReferralEvent.referral_id == Referral.id)
                  .correlate(Referral).scalar_subquery())
        rows = db.session.execute(
            select(Referral.id, Referral.status, Referral.version, Referral.outcome,
                   Referral.relay_id, Referral.resource_id, events)
            .where(Referral.id.in_(self.referral_ids))).all()
        return {row[0]: tuple(row[1:]) for row in rows}

    def _loads(self):
        """{relay id: (active_referrals counter, recount of its active referrals)}."""
        recount = (select(func.count()).where(Referral.relay_id == Relay.id,
                                              Referral.status.in_(service.ACTIVE_STATUSES))
                   .correlate(Relay).scalar_subquery())
        return {row[0]: (row[1], row[2]) for row in db.session.execute(
            select(Relay.id, Relay.active_referrals, recount).where(Relay.id.in_(self.relay_ids)))}

    def _actor(self, name, referral_id=None):
        if name == "system":
            return service.SYSTEM_ACTOR
        if name in ("assigned", "structure"):
            relay_id, resource_id = self.known[referral_id][3], self.known[referral_id][4]
            if name == "assigned" and relay_id is not None:
                return self.relay_users[relay_id]
            if name == "structure" and resource_id is not None:
                return self.resource_workers[resource_id]
            return self.world.coordinator
        return getattr(self.world, name)

    # --- rules ----------------------------------------------------------------------------

    @precondition(lambda self: len(self.referral_ids) < MAX_REFERRALS)
    @rule(by_relay=st.booleans())
    def report(self, by_relay):
        actor = self.world.reporter if by_relay else self.world.coordinator
        referral, created = service.report(actor, report_payload(id=str(uuid.uuid4())))
        assert created and referral.status == "reported" and referral.version == 1
        self.referral_ids.append(referral.id)

    def _attempt(self, actor, referral_id, to, version, **fields):
        """Try one move; check that it made exactly one change, or none at all."""
        before, loads_before = self.known[referral_id], self.loads
        try:
            service.transition(actor, referral_id, to,
                               version={"current": before[1], "stale": before[1] - 1,
                                        None: None}[version],
                               note="Note d'essai", **fields)
            moved = True
        except DomainError as error:
            assert error.status in (400, 403, 404, 409, 410, 422), error
            moved = False
        after = self._state()[referral_id]
        if moved:
            assert (before[0], to) in service.MOVES
            assert after[0] == to
            assert after[1] == before[1] + 1                      # the version grew by one
            assert after[5] == before[5] + 1                      # one event for the change
            if before[0] == "closed":
                assert to == "reported"                           # only a reopening
            assert version != "stale", "a stale version was accepted"
        else:
            assert after == before and self._loads() == loads_before

    @rule(data=st.data(), actor=st.sampled_from(ACTORS), to=st.sampled_from(STATUSES),
          relay=st.sampled_from([0, 1, 2, None]), resource=st.sampled_from([0, 1, None]),
          reason=st.sampled_from([None, "declined", "no_answer", "Déménagement"]),
          outcome=st.sampled_from((None,) + OUTCOMES),
          version=st.sampled_from(["current", "stale", None]))
    def any_move(self, data, actor, to, relay, resource, reason, outcome, version):
        """Anything, by anyone: mostly refused, and then nothing may change."""
        self._attempt(self._actor(actor), data.draw(st.sampled_from(self.referral_ids)), to,
                      version, relay_id=self.relay_ids[relay] if relay is not None else None,
                      resource_id=self.resource_ids[resource] if resource is not None else None,
                      reason=reason, outcome=outcome)

    @rule(data=st.data(), who=st.sampled_from(LIKELY_ACTORS),
          version=st.sampled_from(["current", "current", "current", "stale"]))
    def offered_move(self, data, who, version):
        """A move the pages would offer, with plausible fields: often accepted."""
        referral_id = data.draw(st.sampled_from(self.referral_ids))
        actor = self._actor(who, referral_id)
        moves = service.available_moves(actor, db.session.get(Referral, referral_id))
        if not moves:
            return
        move = data.draw(st.sampled_from(moves))
        fields = {}
        if "relay_id" in move.needs:
            own = actor.relay.id if who == "reporter" else None
            fields["relay_id"] = own or data.draw(st.sampled_from(self.relay_ids))
        if "resource_id" in move.needs:
            fields["resource_id"] = data.draw(st.sampled_from(self.resource_ids))
        if "reason" in move.needs:
            fields["reason"] = data.draw(st.sampled_from(["declined", "no_answer", "Déménagement"]))
        if "outcome" in move.needs:
            fields["outcome"] = data.draw(st.sampled_from(move.outcomes))
        self._attempt(actor, referral_id, move.target, version, **fields)

    @rule(data=st.data())
    def advance(self, data):
        """One step along the usual path, by whoever would make it: reaches the deep states."""
        referral_id = data.draw(st.sampled_from(self.referral_ids))
        status = self.known[referral_id][0]
        step = {
            "reported": ("coordinator", "assigned",
                         {"relay_id": data.draw(st.sampled_from(self.relay_ids))}),
            "assigned": ("assigned", "contacted", {}),
            "contacted": ("assigned", "referred",
                          {"resource_id": data.draw(st.sampled_from(self.resource_ids))}),
            "referred": ("structure", data.draw(st.sampled_from(["accepted", "contacted"])),
                         {"reason": "declined"}),
            "accepted": ("structure", "closed", {"outcome": "helped"}),
            "closed": ("coordinator", "reported", {"reason": "Rouverte"}),
        }[status]
        who, to, fields = step
        self._attempt(self._actor(who, referral_id), referral_id, to, "current", **fields)

    @rule(data=st.data(), who=st.sampled_from(["assigned", "relay_user", "coordinator"]),
          reached=st.booleans())
    def contact(self, data, who, reached):
        referral_id = data.draw(st.sampled_from(self.referral_ids))
        before = self.known[referral_id]
        try:
            service.log_contact(self._actor(who, referral_id), referral_id, {
                "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "phone",
                "reached": reached})
        except DomainError as error:
            assert error.status in (403, 404), error
        after = self._state()[referral_id]
        if after != before:
            # Only the automatic move of a reached contact changes the referral.
            assert reached and (before[0], after[0]) == ("assigned", "contacted")
            assert after[1] == before[1] + 1 and after[5] == before[5] + 1

    @rule()
    def expire(self):
        before = self.known
        service.expire_referrals(now=clock.now() + timedelta(days=60))
        for referral_id, after in self._state().items():
            if after != before[referral_id]:
                assert (before[referral_id][0], after[0]) == ("referred", "contacted")
                assert after[1] == before[referral_id][1] + 1

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def everything_is_consistent(self):
        if not hasattr(self, "world"):
            return
        state = self._state()
        for referral_id, (status, version, outcome, relay_id, resource_id, events) in state.items():
            assert status in STATUSES
            assert (outcome is not None) == (status == "closed") and outcome != "opposed"
            # The report wrote the first event; each later change one event and one version.
            assert version == events
            if status in service.ACTIVE_STATUSES:
                assert relay_id is not None
            if status == "reported":
                assert relay_id is None
            if status in ("referred", "accepted"):
                assert resource_id is not None
            previous = self.known.get(referral_id)
            if previous is not None:
                assert version >= previous[1]                     # versions only grow
        loads = self._loads()
        for counter, recount in loads.values():
            assert counter == recount                             # counters equal a recount
            assert counter <= CAPACITY                            # capacity never exceeded
        # The notification hook ran once per event, inside the transaction that wrote it.
        events = db.session.scalars(select(ReferralEvent.id).where(
            ReferralEvent.referral_id.in_(self.referral_ids))).all()
        assert sorted(e for e in self.hook_calls if e in set(events)) == sorted(events)
        self.known, self.loads = state, loads


def test_random_sequences_of_moves_keep_the_invariants(app, db, monkeypatch):
    # Record the hook instead of enqueueing notifications (tested on their own): faster,
    # and one more invariant.
    calls = []
    monkeypatch.setattr(referral_events, "_after_transition",
                        lambda referral, event: calls.append(event.id))
    monkeypatch.setattr(ReferralMachine, "hook_calls", calls)
    profile = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    run_state_machine_as_test(ReferralMachine, settings=profile)
