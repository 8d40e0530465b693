"""`flask --app bot richmenu sync | relink | images`: put the menus of handlers/menus.py on LINE.

LINE cannot change a rich menu: a changed page is a new menu (definition, then picture), its alias moved
to it, the old one deleted. Each menu's LINE name carries a hash of its definition and picture
(`saiyai leader-th-1 3f2a…`), so `sync` compares names and leaves an unchanged page alone: running it
twice uploads nothing the second time. The default menu (what strangers, and LINE users Saiyai does not
know, see) is the stranger's in Thai.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click
from flask import current_app
from flask.cli import AppGroup
from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.line import LineClient, SendResult
from bot.richmenu_images import ThaiTextUnavailable, render
from handlers import REGISTRY
from handlers.menus import ALIAS_PREFIX, MenuRole, Page, all_pages, page_key, pages
from handlers.registry import Registry
from handlers.services import menus as menu_links
from models import Person, RichMenu

NAME_PREFIX = "saiyai "
DEFAULT_KEY = page_key(MenuRole.STRANGER, "th")
DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "img"
T = TypeVar("T")


class SyncError(Exception):
    """LINE refused a step of the sync; the message says which and why."""


@dataclass
class Built:
    """A page ready for LINE: its definition under its hashed name, and its picture."""

    page: Page
    image: bytes
    content_type: str
    digest: str

    @property
    def name(self) -> str:
        return f"{NAME_PREFIX}{self.page.key} {self.digest[:16]}"


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)     # page keys uploaded this time
    unchanged: list[str] = field(default_factory=list)
    deleted: int = 0                                      # old menus removed from LINE
    aliases: int = 0                                      # aliases created or moved
    default_set: bool = False
    relinked: int = 0                                     # people queued again because their menu was replaced


def build(page: Page) -> Built:
    """Draw the page and hash what LINE will hold of it (definition without name, and picture)."""
    definition = json.dumps([page.role, page.request(""), [area.hint for area in page.areas]], sort_keys=True,
                            ensure_ascii=False)
    image, content_type = _drawn(definition, page)
    digest = hashlib.sha256(definition.encode() + b"\0" + content_type.encode() + b"\0" + image).hexdigest()
    return Built(page, image, content_type, digest)


_DRAWN: dict[str, tuple[bytes, str]] = {}


def _drawn(definition: str, page: Page) -> tuple[bytes, str]:
    """The page's picture, drawn once per process for a given definition (a picture takes a fifth of a second)."""
    if definition not in _DRAWN:
        _DRAWN[definition] = render(page)
    return _DRAWN[definition]


def _ok(answer: T | SendResult, what: str) -> T:
    if isinstance(answer, SendResult) and not answer.delivered:
        raise SyncError(f"{what}: LINE answered {answer.status or 'nothing'} {answer.detail}".strip())
    return answer  # type: ignore[return-value]


def sync(session: Session, line: LineClient, now: datetime, registry: Registry = REGISTRY) -> SyncReport:
    """Make LINE's rich menus and aliases those of handlers/menus.py, uploading only what changed."""
    report = SyncReport()
    wanted = [build(page) for page in all_pages(registry)]
    existing = _ok(line.rich_menus(), "listing rich menus")
    by_name = {menu.name: menu.rich_menu_id for menu in existing if menu.name.startswith(NAME_PREFIX)}
    ids: dict[str, str] = {}
    for built in wanted:
        menu_id = by_name.get(built.name)
        if menu_id is None:
            menu_id = _ok(line.create_rich_menu(built.page.request(built.name)), f"creating {built.page.key}")
            uploaded = line.upload_rich_menu_image(menu_id, built.image, built.content_type)
            if not uploaded.delivered:  # a menu without a picture must not stay, or the next sync would keep it
                line.delete_rich_menu(menu_id)
                _ok(uploaded, f"uploading the picture of {built.page.key}")
            report.created.append(built.page.key)
        else:
            report.unchanged.append(built.page.key)
        ids[built.page.key] = menu_id

    # Aliases and the default move to the new menus before the old ones go.
    aliases = _ok(line.rich_menu_aliases(), "listing aliases")
    for built in wanted:
        alias, menu_id = built.page.alias, ids[built.page.key]
        if alias not in aliases:
            _ok(line.create_rich_menu_alias(alias, menu_id), f"creating alias {alias}")
            report.aliases += 1
        elif aliases[alias] != menu_id:
            _ok(line.update_rich_menu_alias(alias, menu_id), f"moving alias {alias}")
            report.aliases += 1
    if _ok(line.default_rich_menu(), "reading the default menu") != ids[DEFAULT_KEY]:
        _ok(line.set_default_rich_menu(ids[DEFAULT_KEY]), "setting the default menu")
        report.default_set = True
    wanted_aliases = {built.page.alias for built in wanted}
    for alias in aliases:
        if alias.startswith(ALIAS_PREFIX) and alias not in wanted_aliases:
            _ok(line.delete_rich_menu_alias(alias), f"deleting alias {alias}")
    current = set(ids.values())
    for name, menu_id in by_name.items():
        if menu_id not in current:
            _ok(line.delete_rich_menu(menu_id), f"deleting old menu {name}")
            report.deleted += 1

    stored = {row.key: row for row in session.scalars(select(RichMenu))}
    replaced = {key for key, row in stored.items() if key in ids and row.rich_menu_id != ids[key]}
    session.execute(delete(RichMenu).where(RichMenu.key.not_in(list(ids))))
    for built in wanted:
        row = stored.get(built.page.key)
        if row is None:
            session.add(RichMenu(key=built.page.key, rich_menu_id=ids[built.page.key], content_hash=built.digest,
                                 updated_at=now))
        elif row.rich_menu_id != ids[built.page.key] or row.content_hash != built.digest:
            row.rich_menu_id, row.content_hash, row.updated_at = ids[built.page.key], built.digest, now
    session.flush()
    # LINE drops the links to a deleted menu: whoever had a replaced one gets the new one.
    if replaced:
        for person in session.scalars(select(Person).where(Person.rich_menu.in_(replaced), Person.reachable)):
            person.rich_menu = None  # so refresh queues it again
            report.relinked += menu_links.refresh(session, person, now)
    return report


def write_images(folder: Path = DOCS_IMAGES, lang: str = "th", registry: Registry = REGISTRY) -> list[Path]:
    """The pictures of each role's pages, for the documentation (docs/img/richmenu-<role>[-<page>].png), at
    half LINE's size: the same drawing, lighter in the repository."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for role in MenuRole:
        role_pages = pages(registry, role, lang)
        for page in role_pages:
            suffix = "" if page.index == 1 else f"-{page.index}"
            path = folder / f"richmenu-{role}{suffix}.png"
            image, _ = render(page)
            with Image.open(io.BytesIO(image)) as picture:
                half = picture.resize((page.size[0] // 2, page.size[1] // 2), Image.Resampling.LANCZOS)
                half.quantize(64).save(path, "PNG")  # 64 colours: a third of the bytes, the same to the eye
            written.append(path)
    return written


@click.group("richmenu", cls=AppGroup, help="The rich menus under the chat: put them on LINE, link people to theirs.")
def richmenu_group() -> None:
    pass


@richmenu_group.command("sync", help="Create or update every role's menus and aliases on LINE (unchanged ones are "
                                     "left alone), set the stranger's as default, delete old ones.")
def sync_command() -> None:
    saiyai = current_app.extensions["saiyai"]
    try:
        with saiyai.session_factory() as session, session.begin():
            report = sync(session, saiyai.line, saiyai.clock())
    except (SyncError, ThaiTextUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"menus: {len(report.created)} uploaded, {len(report.unchanged)} unchanged, {report.deleted} old "
               f"deleted; aliases changed: {report.aliases}; default {'set' if report.default_set else 'unchanged'}")
    if report.relinked:
        click.echo(f"{report.relinked} people queued for their replaced menu")


@richmenu_group.command("relink", help="Queue every person's menu again (500 per LINE call): after the first sync, "
                                       "or to repair.")
def relink_command() -> None:
    saiyai = current_app.extensions["saiyai"]
    with saiyai.session_factory() as session, session.begin():
        synced = session.scalar(select(RichMenu.key).limit(1)) is not None
        counts = menu_links.relink_all(session, saiyai.clock())
    if not synced:
        raise click.ClickException("no menus on LINE yet: run `flask --app bot richmenu sync` first")
    if not counts:
        click.echo("nobody to link yet")
    for menu, count in sorted(counts.items(), key=lambda item: item[0] or ""):
        click.echo(f"{menu or 'default (unlinked)'}: {count}")


@richmenu_group.command("images", help="Draw each role's Thai menu into docs/img (the pictures in docs/richmenus.md).")
@click.option("--lang", default="th", show_default=True, type=click.Choice(["th", "en"]))
@click.option("--folder", default=str(DOCS_IMAGES), show_default=True, type=click.Path(file_okay=False))
def images_command(lang: str, folder: str) -> None:
    try:
        paths = write_images(Path(folder), lang)
    except ThaiTextUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    for path in paths:
        click.echo(str(path))
