"""`flask --app bot demo load [--seed N] [--force]`: the demo district, for trying Saiyai out."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from bot import demo


@click.group("demo", cls=AppGroup, help="The demo district: a fictional district office to try Saiyai with.")
def demo_group() -> None:
    pass


@demo_group.command("load", help="Create the demo district (nothing happens if it is there already). Refuses a "
                                 "database holding another organization unless --force.")
@click.option("--seed", type=int, default=demo.DEFAULT_SEED, show_default=True,
              help="Same seed, same district (names, roles, groups, codes).")
@click.option("--force", is_flag=True, help="Load it even beside a real organization.")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no organization at all "
                                               "(scripts/run uses this); otherwise say nothing.")
def demo_load(seed: int, force: bool, if_empty: bool) -> None:
    saiyai = current_app.extensions["saiyai"]
    started = time.perf_counter()
    with saiyai.session_factory() as session, session.begin():
        if if_empty and not demo.is_empty(session):
            return
        try:
            report = demo.load(session, saiyai.clock(), seed=seed, force=force)
        except demo.DemoRefused as exc:
            raise click.ClickException(str(exc)) from None
    took = f" in {time.perf_counter() - started:.1f} s" if report.created else ""
    click.echo(report.line() + took)
