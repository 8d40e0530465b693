"""`flask desk ...`: maintenance commands of the web desk."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from bot.storage import DatabaseStorage, migrate_photos

desk_group = AppGroup("desk", help="The web desk: move report photos into the database.")


@desk_group.command("migrate-photos", help="Move report photos saved as files (SAIYAI_STORAGE_DIR, before the "
                                           "desk) into the database, where the web desk can serve them.")
def migrate_photos_command() -> None:
    saiyai = current_app.extensions["saiyai"]
    with saiyai.session_factory() as session, session.begin():
        moved, problems = migrate_photos(session, DatabaseStorage(), saiyai.clock())
    for problem in problems:
        click.echo(f"skipped {problem}", err=True)
    click.echo(f"moved {moved} photo{'s' if moved != 1 else ''} into the database"
               + (f"; {len(problems)} could not be read and stay as they were" if problems else ""))
