"""Operator commands on the app factory: `flask --app bot <command>`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from bot import outbox
from models import OutboxMessage


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(outbox_group)


@click.group("outbox", help="Inspect and steer the outgoing-message queue.")
def outbox_group() -> None:
    pass


@outbox_group.command("status", help="Count outbox rows by state and show a quota stop, if any.")
def outbox_status() -> None:
    saiyai = current_app.extensions["saiyai"]
    with saiyai.session_factory() as session:
        rows = session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
        for state, count in sorted(rows):
            click.echo(f"{state}: {count}")
        until = outbox.quota_blocked_until(session, saiyai.clock())
        if until is not None:
            click.echo(f"pushing stopped until {until.isoformat()} (LINE monthly quota reached)")


@outbox_group.command("resume", help="Lift the monthly-quota stop, e.g. after upgrading the LINE plan.")
def outbox_resume() -> None:
    saiyai = current_app.extensions["saiyai"]
    with saiyai.session_factory() as session, session.begin():
        lifted = outbox.resume_after_quota(session)
    click.echo("quota stop lifted" if lifted else "no quota stop was in force")
