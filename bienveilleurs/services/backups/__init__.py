"""Backups that restore: a consistent dump with a manifest (`archive`), its restore into an
empty database checked against the manifest (`restore`), and the journal of erasures that
keeps a restored backup from bringing back a person who opposed (`journal`).

How to run them, keep them and rehearse a restore: docs/deploy.md.
"""

from .archive import create, prune
from .journal import sync as sync_journal
from .restore import restore
from .tools import BackupError

__all__ = ["BackupError", "create", "prune", "restore", "sync_journal"]
