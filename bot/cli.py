"""Operator commands on the app factory: `flask --app bot <command>`."""

from __future__ import annotations

import time

import click
import requests
from flask import Flask, current_app
from sqlalchemy import func, select

from bot import outbox, simulate
from models import OutboxMessage


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(outbox_group)
    app.cli.add_command(say)


@click.command("say", help="Local mode: send TEXT to the running bot as a LINE user and print its answers.")
@click.argument("text")
@click.option("--user", default="U" + "0" * 31 + "1", show_default=True, help="LINE user id of the sender.")
@click.option("--group", default=None, help="Send it in this group (C...) instead of a 1:1 chat.")
@click.option("--url", default="http://127.0.0.1:5000/callback", show_default=True, help="The bot's webhook.")
def say(text: str, user: str, group: str | None, url: str) -> None:
    config = current_app.config["SAIYAI"]
    if not config.local_mode:
        raise click.ClickException("`say` is for local mode only: it would sign with the real channel secret.")
    fake = config.line_api_base_url
    seen = len(_fake_requests(fake))
    payload = simulate.body(simulate.text(text, user=user, group=group))
    response = requests.post(url, data=payload, timeout=10, headers={
        "Content-Type": "application/json", "X-Line-Signature": simulate.sign(config.channel_secret, payload)})
    if response.status_code != 200:
        raise click.ClickException(f"the webhook answered {response.status_code}: {response.text.strip()}")
    time.sleep(0.3)  # the reply is sent right after the webhook answers
    for request in _fake_requests(fake)[seen:]:
        for message in request["body"].get("messages", []):
            click.echo(message.get("text") or message.get("altText") or f"[{message.get('type')}]")


def _fake_requests(fake_url: str) -> list[dict]:
    try:
        return requests.get(f"{fake_url}/__fake__/requests", timeout=5).json()
    except requests.RequestException as exc:
        raise click.ClickException(f"the fake LINE API at {fake_url} is not answering ({exc}); start scripts/run first")


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
