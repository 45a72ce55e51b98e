"""One use case, one transaction: the only place where services commit or roll back.

    @use_case
    def pause_relay(actor, relay_id):
        ...                      # read, check, write; raise a DomainError to refuse

The decorated function runs as one transaction: committed once when it returns, rolled
back when anything escapes it (domain errors then pass through unchanged, for the one
error handler of the web layer). A use case called by another joins the caller's
transaction: only the outermost one commits, so two use cases composed stay atomic.

`keep_on` names the errors after which the work already done must still be committed:
a failed sign-in is counted even though the call fails.

`reads=True` marks a use case that only reads, and records that read (a list page and its
access-log rows): what it loaded stays loaded after its commit, since nothing it wrote can
have changed it, so the page that shows the list sends no statement per row afterwards.
"""

from functools import wraps

from ..extensions import db

_DEPTH = "bienveilleurs.use_case_depth"


def _commit(*, keep_loaded):
    session = db.session()
    if not keep_loaded:
        session.commit()
        return
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def use_case(function=None, *, keep_on=(), reads=False):
    """Run the decorated service function as one transaction (see the module docstring)."""

    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            info = db.session.info
            depth = info.get(_DEPTH, 0)
            info[_DEPTH] = depth + 1
            outermost = depth == 0
            try:
                result = fn(*args, **kwargs)
                if outermost:
                    _commit(keep_loaded=reads)
                return result
            except keep_on:
                if outermost:
                    db.session.commit()
                raise
            except BaseException:
                if outermost:
                    db.session.rollback()
                raise
            finally:
                info[_DEPTH] = depth

        wrapper.use_case = True
        return wrapper

    return decorate(function) if function is not None else decorate


def in_use_case():
    """Tell whether a use case is running (helpers that must not commit can assert it)."""
    return db.session.info.get(_DEPTH, 0) > 0
