"""`flask --app wsgi jobs …`: run the scheduled jobs that are due (a systemd timer, every minute).

Safe from several machines at once: each job runs at most once per slot (see
services/jobs/runner.py). The exit status is 1 when a job failed, so that the timer's unit
is marked failed and the failure is seen (`systemctl --failed`, OnFailure=).
"""

import sys

import click
from flask.cli import AppGroup

from .. import clock

group = AppGroup("jobs", help="Tâches planifiées (expirations, conservation, e-mails, résumés).")


@group.command("run")
@click.option("--only", multiple=True, metavar="NOM", help="Seulement cette tâche (répétable).")
@click.option("--force", is_flag=True,
              help="Lancer les tâches choisies (--only) même si elles ne sont pas dues.")
def run(only, force):
    """Run every scheduled job that is due now; idempotent, for a timer or cron."""
    from ..services import jobs
    if force and not only:
        raise click.UsageError("--force ne s'utilise qu'avec --only NOM.")
    try:
        results = jobs.run_due(only=only, force=force)
    except KeyError as exc:
        raise click.UsageError(f"tâche inconnue : {exc.args[0]} (voir `flask jobs list`)") from exc
    for result in results:
        if result.outcome == "skipped":
            click.echo(f"{result.name} : pas due, ou en cours ailleurs")
        elif result.outcome == "ok":
            click.echo(f"{result.name} : faite en {result.duration_ms} ms {result.summary or ''}")
        else:
            click.echo(f"{result.name} : ÉCHEC après {result.duration_ms} ms : {result.error}",
                       err=True)
    if any(result.outcome == "failed" for result in results):
        sys.exit(1)


@group.command("list")
def list_jobs():
    """List the jobs, their schedule, last run and next run."""
    from ..services import jobs
    for state in jobs.states():
        row = state.row
        last = (f"dernière {clock.local(row.last_started_at):%d/%m %H:%M} "
                f"({state.status_label.lower()}, {row.last_duration_ms or 0} ms)"
                if row is not None and row.last_started_at else "jamais lancée")
        upcoming = (f"prochaine {clock.local(state.next_run):%d/%m %H:%M}"
                    if state.next_run else "prochaine au premier passage du minuteur")
        click.echo(f"{state.job.name} — {state.job.schedule} — {last} — {upcoming}")
        if row is not None and row.last_error and state.status == "failed":
            click.echo(f"    erreur : {row.last_error}")
