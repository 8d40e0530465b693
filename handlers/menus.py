"""Rich menus: which commands each role finds under the chat, laid out as LINE's tappable areas.

Every command area is a message action that sends the command's keyword, exactly as if typed: the same
dispatcher, the same permission check, the same answer (tests/handlers/test_menus.py checks each area of
each role). A role with more than one page has a tab bar on top; a tab is a `richmenuswitch` action to the
other page's alias, and LINE switches the menu itself: its postback (`a=menu`) needs no answer.

The labels come from the catalogues (`menu.*`), so the pictures (bot/richmenu_images.py) and the menu
definitions LINE receives (bot/richmenus.py) are made from the same text, in Thai and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from linebot.v3.messaging import Message

from handlers.catalog import LANGUAGES, text_for
from handlers.context import Context, button_label
from handlers.registry import Registry, Role, postback

MENU_ACTION = "menu"  # the postback data of a tab: a=menu&p=<page>
FULL_SIZE = (2500, 1686)
COMPACT_SIZE = (2500, 843)
TAB_HEIGHT = 236
COLUMNS = 3
ALIAS_PREFIX = "saiyai-"


class MenuRole(StrEnum):
    STRANGER = "stranger"
    MEMBER = "member"
    LEADER = "leader"
    CHAIR = "chair"
    STAFF = "staff"


def menu_role(role: Role) -> MenuRole:
    """Whose menu a role gets: a partner has the member's."""
    if role >= Role.STAFF:
        return MenuRole.STAFF
    if role >= Role.NETWORK_CHAIR:
        return MenuRole.CHAIR
    if role >= Role.COMMUNITY_LEADER:
        return MenuRole.LEADER
    if role >= Role.MEMBER:
        return MenuRole.MEMBER
    return MenuRole.STRANGER


# What most people do most: see what is on, read the news, who hosts next, report, their data, help.
EVERYDAY = ("events", "news", "host_next", "report", "me", "help")

# Per role, its pages: (tab name, command names). The first page is the one linked to the person.
MENUS: dict[MenuRole, tuple[tuple[str, tuple[str, ...]], ...]] = {
    MenuRole.STRANGER: (("start", ("register", "join", "events", "help")),),
    MenuRole.MEMBER: (("everyday", EVERYDAY),),
    MenuRole.LEADER: (
        ("leader", ("new_event", "announce", "members", "proxy", "add_member", "notice_status")),
        ("everyday", EVERYDAY),
    ),
    # Staff and chairs report upward from the web desk: its sign-in link is one tap away.
    MenuRole.CHAIR: (
        ("chair", ("new_event", "announce", "invite", "repeat", "notice_status", "dashboard")),
        ("everyday", ("events", "news", "host_next", "communities", "me", "help")),
    ),
    MenuRole.STAFF: (
        ("staff", ("announce", "alert", "notice_status", "alert_status", "invite", "dashboard")),
        ("everyday", ("events", "news", "new_event", "members", "communities", "help")),
    ),
}


@dataclass(frozen=True)
class Area:
    """One tappable rectangle: a command (its keyword sent as a message) or a tab."""

    x: int
    y: int
    width: int
    height: int
    action: dict[str, Any]   # LINE's JSON of the action
    title: str               # what the picture shows
    hint: str = ""           # the typed form, shown small under the title
    command: str | None = None  # the registry's command name; None for a tab
    current: bool = False    # the tab of the page itself

    def bounds(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class Page:
    """One rich menu on LINE: a role's page in one language."""

    role: MenuRole
    lang: str
    index: int               # 1-based page (tab) number
    size: tuple[int, int]
    chat_bar: str
    areas: tuple[Area, ...]

    @property
    def key(self) -> str:
        return page_key(self.role, self.lang, self.index)

    @property
    def alias(self) -> str:
        return alias_id(self.key)

    def request(self, name: str) -> dict[str, Any]:
        """The body of LINE's create-rich-menu request (RichMenuRequest), under the given name."""
        return {"size": {"width": self.size[0], "height": self.size[1]}, "selected": True, "name": name,
                "chatBarText": self.chat_bar,
                "areas": [{"bounds": area.bounds(), "action": area.action} for area in self.areas]}


def page_key(role: MenuRole | str, lang: str, index: int = 1) -> str:
    """The key of a role's page, e.g. `leader-th-1`: the rich_menu table's key and, prefixed, its alias."""
    return f"{role}-{lang}-{index}"


def alias_id(key: str) -> str:
    """LINE's alias of a page (`[a-z0-9_-]{1,32}`)."""
    return ALIAS_PREFIX + key


def person_menu(role: Role, lang: str | None) -> str | None:
    """The key of the menu to link to someone; None for a stranger, who sees the default menu."""
    kind = menu_role(role)
    if kind == MenuRole.STRANGER:
        return None
    return page_key(kind, lang if lang in LANGUAGES else "th")


def pages(registry: Registry, role: MenuRole, lang: str) -> list[Page]:
    """Every page of a role's menu in one language, laid out in LINE's sizes."""
    tabs = MENUS[role]
    result = []
    for index, (_tab, names) in enumerate(tabs, start=1):
        top = TAB_HEIGHT if len(tabs) > 1 else 0
        areas = _tab_areas(role, lang, tabs, index) if top else []
        rows = 1 if len(names) <= 4 and top == 0 else 2
        size = COMPACT_SIZE if rows == 1 else FULL_SIZE
        columns = len(names) if rows == 1 else COLUMNS
        for position, name in enumerate(names):
            row, column = divmod(position, columns)
            x, width = _span(column, columns, size[0])
            y, height = _span(row, rows, size[1] - top)
            spec = next(spec for spec in registry.commands if spec.name == name)
            keyword = spec.keyword_for(lang)
            title = text_for(lang, f"menu.label.{name}")
            areas.append(Area(x, top + y, width, height, {"type": "message", "label": button_label(title),
                                                           "text": keyword},
                              title, text_for(lang, "menu.hint", keyword=keyword), command=name))
        result.append(Page(role, lang, index, size, text_for(lang, "menu.chat_bar"), tuple(areas)))
    return result


def all_pages(registry: Registry) -> list[Page]:
    """Every page of every role in every language: what `richmenu sync` puts on LINE."""
    return [page for role in MenuRole for lang in LANGUAGES for page in pages(registry, role, lang)]


def _tab_areas(role: MenuRole, lang: str, tabs: tuple[tuple[str, tuple[str, ...]], ...], index: int) -> list[Area]:
    areas = []
    for number, (tab, _names) in enumerate(tabs, start=1):
        x, width = _span(number - 1, len(tabs), FULL_SIZE[0])
        title = text_for(lang, f"menu.tab.{tab}")
        action = {"type": "richmenuswitch", "label": button_label(title),
                  "richMenuAliasId": alias_id(page_key(role, lang, number)), "data": f"a={MENU_ACTION}&p={number}"}
        areas.append(Area(x, 0, width, TAB_HEIGHT, action, title, current=number == index))
    return areas


def _span(index: int, count: int, total: int) -> tuple[int, int]:
    """Start and length of the index-th of `count` equal parts of `total` pixels (the last takes the rest)."""
    start = total * index // count
    return start, total * (index + 1) // count - start


@postback(MENU_ACTION)
def menu_tab(ctx: Context) -> list[Message]:
    """A tab of the rich menu was tapped: LINE has switched the menu, there is nothing to say."""
    return []
