"""Social workers' pages: the referrals sent to their structures."""
