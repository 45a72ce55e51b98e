"""What the referral pages of relays, coordinators and social workers share (the referral
page, its move forms, the referral forms), and the correction of a referral's details."""
