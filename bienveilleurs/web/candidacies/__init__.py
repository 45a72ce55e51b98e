"""Becoming a relay: the public page and the candidate's links (`public`), the coordinators'
pipeline (`pipeline`), training sessions (`trainings`), the charter (`charter`) and the import
of an existing network (`relay_import`)."""
