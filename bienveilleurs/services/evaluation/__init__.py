"""Evaluation (API.md, "Follow-up and the person's own measure of isolation", "Indicators").

- `measures`: the person's own measure (UCLA-3 and networks), a use case;
- `follow_ups`: the call-back after a closure, scheduled from the referral events;
- `indicators`: the one place the indicators are computed (live months and frozen ones);
- `suppression`: small counts and the complementary suppression (pure functions);
- `rollup`: the job that freezes ended months.
"""
