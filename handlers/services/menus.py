"""Which rich menu a person sees, kept in step with their role and language through the outbox.

Called where a role or the language changes: registration, an invite code, a LINE link code, `english` /
`thai`, `forget me`, staff granted by `flask org grant-staff`. `person.rich_menu` remembers the menu last
queued, so an unchanged menu is not linked again; a change queues one outbox row (models.OutboxKind
MENU_LINK / MENU_UNLINK), retried like a push until LINE takes it. Before the first `richmenu sync` there
is no menu to link: nothing is queued, and `richmenu relink` links everyone afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import outbox
from handlers.menus import person_menu
from handlers.services.registry import highest_role, memberships
from models import Person, RichMenu


def menu_of(session: Session, person: Person) -> str | None:
    """The menu (its first page's key) the person should see now; None for the default (a stranger's)."""
    return person_menu(highest_role(memberships(session, person)), person.language)


def refresh(session: Session, person: Person | None, now: datetime) -> bool:
    """Queue linking the person to the menu of their role and language, if it is not the one last queued;
    True when something was queued."""
    if person is None or person.line_user_id is None:
        return False
    menu = menu_of(session, person)
    if menu == person.rich_menu:
        return False
    if menu is not None and session.get(RichMenu, menu) is None:
        return False  # no menus on LINE yet (see the module's docstring)
    outbox.enqueue_menu(session, [person.line_user_id], menu, now=now)
    person.rich_menu = menu
    return True


def forgotten(session: Session, line_user_id: str, had_menu: bool, now: datetime) -> bool:
    """After `forget me`: back to the default menu, if they had another. Call it after the erasure,
    which deletes every row queued for the user."""
    if not had_menu:
        return False
    outbox.enqueue_menu(session, [line_user_id], None, now=now)
    return True


def relink_all(session: Session, now: datetime) -> dict[str | None, int]:
    """Queue every person's menu again (bulk, 500 a row): after the first sync, or to repair. Returns how many
    people per menu (None: unlinked, the default)."""
    synced = set(session.scalars(select(RichMenu.key)))
    people = session.scalars(select(Person).where(Person.reachable).options(selectinload(Person.memberships))
                             .order_by(Person.id))
    wanted: dict[str | None, list[str]] = defaultdict(list)
    for person in people:
        menu = person_menu(highest_role(person.memberships), person.language)
        if menu is not None and menu not in synced:
            continue
        wanted[menu].append(person.line_user_id)
        person.rich_menu = menu
    for menu, users in wanted.items():
        outbox.enqueue_menu(session, users, menu, now=now)
    return {menu: len(users) for menu, users in wanted.items()}
