"""Use cases: one public function, one transaction, domain errors only."""
