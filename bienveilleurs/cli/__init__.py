"""Command line: `flask --app wsgi …` (see shared API.md, "Command line").

Command groups are discovered: every module of this package that defines a module-level
``group = AppGroup(...)`` is registered by `register_cli`. A new family of commands is a
new module beside these; nothing else to edit.
"""

import importlib
import pkgutil

import click


def command_groups():
    """Yield the command group of every module of this package that defines one."""
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        group = getattr(module, "group", None)
        if isinstance(group, click.Group):
            yield group


def register_cli(app):
    for group in command_groups():
        app.cli.add_command(group)
