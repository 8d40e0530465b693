"""Choosing one community with buttons when there are more than fit (LINE shows 13 quick replies, one of
them ยกเลิก): first the zone network, then that zone's communities, a page at a time.

A district has about 5 zones of about 8 communities, so two taps reach any of its 38 communities. Typing a
community's name, or part of it, still works at every level (the step matches it as before), and so does
typing a zone's name ("โซน 2"). Where the sender is in the picker is kept in the conversation's data, so
any worker continues it.

Typing part of a name held by several communities ("บางนา": 16 of 38) narrows the question to those
(`narrow`): as buttons when they fit, else through the same zones and pages. The narrowing (their ids and
the text) is kept in the conversation's data too, until the next typed answer replaces or ends it; typing
"◂ เครือข่ายอื่น" at its zones goes back to every community.
"""

from __future__ import annotations

from handlers.catalog import LANGUAGES, text_for
from handlers.context import BUTTON_LABEL_LIMIT, Context, button_label, graphemes
from handlers.registry import normalize, strip_polite
from handlers.services import registry as reg
from models import Community, Network

QUICK_LIMIT = 12  # LINE's 13 quick replies, less the cancel button
DISTRICT_AT_LEAST = 8  # clusters of a district's name on a button, however long the community's
ZONE, PAGE = "pick_zone", "pick_page"
ONLY, ONLY_TEXT = "pick_only", "pick_only_text"  # the communities a typed part of a name narrowed to
MORE_WORDS = frozenset({normalize(text_for(lang, "picker.more")) for lang in LANGUAGES} | {"ถัดไป", "more", "next"})
ZONES_WORDS = frozenset({normalize(text_for(lang, "picker.other_zones")) for lang in LANGUAGES}
                        | {"เครือข่ายอื่น", "โซนอื่น", "other zones"})


def button(community: Community, among: list[Community]) -> tuple[str, str]:
    """A community's button (label, text): its name, or, when another of `among` has the same name (one Saiyai
    serving two districts, each with a ชุมชนวัดทองนพคุณ), the district first in the label and after the
    name in the text, so the answer names one of them."""
    if sum(1 for c in among if c.name == community.name) < 2:
        return community.name, community.name
    district = community.organization.name
    # LINE takes 20 clusters: "เขตคลองสาน วัดทองนพคุณ" keeps what tells them apart. The community's name is
    # kept whole where it can be, and a long district name cut to what is left ("เขตบางสาย… วัดทองนพคุณ"),
    # or a long district would push out the name that was asked for.
    name = community.name.removeprefix("ชุมชน")
    room = max(BUTTON_LABEL_LIMIT - len(graphemes(name)) - 1, DISTRICT_AT_LEAST)
    label = button_label(f"{button_label(district.removeprefix('สำนักงาน'), room)} {name}")
    return label, f"{community.name} ({district})"


def picked(ctx: Context, communities: list[Community]) -> Community | None:
    """The community whose district-labelled `button` the answer is, among those the question offers."""
    offered = _narrowed(ctx, communities)
    text = ctx.args.strip()
    return next((c for c in offered if c.name != text and button(c, offered)[1] == text), None)


def community_buttons(ctx: Context, communities: list[Community]) -> tuple[list[tuple[str, str]], str | None]:
    """The buttons for a community question, and a line saying where the sender is (None: all fit)."""
    communities, text = _narrowed(ctx, communities), ctx.data.get(ONLY_TEXT)
    if len(communities) <= QUICK_LIMIT:
        where = ctx.t("picker.matching", count=len(communities), text=text) if text else None
        return [button(c, communities) for c in communities], where
    page = ctx.data.get(PAGE, 0)
    zone = _chosen_zone(ctx, communities)
    if zone is None:
        zones = _zones(ctx, communities)
        labels = [(ctx.t("picker.zone_label", zone=z.name, count=len(members)), z.name) for z, members in zones]
        where = (ctx.t("picker.matching_zones", count=len(communities), text=text) if text
                 else ctx.t("picker.choose_zone", count=len(communities)))
        return _page(ctx, labels, page, QUICK_LIMIT), where
    members = [c for c in communities if c.zone_id == zone.id]
    back = (ctx.t("picker.other_zones"),) * 2
    where = (ctx.t("picker.matching_in_zone", zone=zone.name, count=len(members), text=text) if text
             else ctx.t("picker.in_zone", zone=zone.name, count=len(members)))
    return [*_page(ctx, [button(c, members) for c in members], page, QUICK_LIMIT - 1), back], where


def narrow(ctx: Context, matches: list[Community], text: str) -> bool:
    """Keep the question to these communities (those whose name holds the typed `text`) when there are
    several, and say so; otherwise end any earlier narrowing. Every typed answer that names no community
    outright comes here, so an old narrowing never outlives the text that made it."""
    matches = list(dict.fromkeys(matches))
    if len(matches) < 2:
        if ONLY in ctx.data:
            _start_over(ctx)
        return False
    _start_over(ctx)
    # "บางนาค่ะ" is echoed as what the names hold: บางนา.
    ctx.data[ONLY], ctx.data[ONLY_TEXT] = [c.id for c in matches], strip_polite(text) or text
    return True


def _start_over(ctx: Context) -> None:
    for key in (ONLY, ONLY_TEXT, ZONE):
        ctx.data.pop(key, None)
    ctx.data[PAGE] = 0


def _narrowed(ctx: Context, communities: list[Community]) -> list[Community]:
    """The communities the question is narrowed to (any removed meanwhile left out), or all of them."""
    if ONLY not in ctx.data:
        return communities
    found = (ctx.session.get(Community, community_id) for community_id in ctx.data[ONLY])
    return [c for c in found if c is not None]


def browse(ctx: Context, communities: list[Community]) -> bool:
    """Whether the answer moved through the picker (a zone, the next page, back to the zones) rather than
    naming a community; the step then asks its question again, with the new buttons."""
    communities = _narrowed(ctx, communities)
    if len(communities) <= QUICK_LIMIT:
        return False
    if ctx.means(MORE_WORDS):
        ctx.data[PAGE] = ctx.data.get(PAGE, 0) + 1
        return True
    if ctx.means(ZONES_WORDS):
        if ZONE not in ctx.data and ONLY in ctx.data:
            _start_over(ctx)  # already at the narrowed zones: back to every community's
        ctx.data.pop(ZONE, None)
        ctx.data[PAGE] = 0
        return True
    zones = {z.id: z for z, _ in _zones(ctx, communities)}
    match = reg.match_network(ctx.session, strip_polite(ctx.args), {z.organization_id for z in zones.values()})
    if match.found is None or match.found.id not in zones:
        return False
    ctx.data[ZONE], ctx.data[PAGE] = match.found.id, 0
    return True


def _chosen_zone(ctx: Context, communities: list[Community]) -> Network | None:
    zone_id = ctx.data.get(ZONE)
    if zone_id is None or all(c.zone_id != zone_id for c in communities):
        return None
    return ctx.session.get(Network, zone_id)


def _zones(ctx: Context, communities: list[Community]) -> list[tuple[Network, list[Community]]]:
    """The zones of these communities, with theirs, by zone name (as `zone_networks` orders them)."""
    grouped: dict[int, list[Community]] = {}
    for community in communities:
        grouped.setdefault(community.zone_id, []).append(community)
    zones = [(ctx.session.get(Network, zone_id), members) for zone_id, members in grouped.items()]
    return sorted(zones, key=lambda pair: (pair[0].name, pair[0].id))


def _page(ctx: Context, buttons: list[tuple[str, str]], page: int, room: int) -> list[tuple[str, str]]:
    """One page of the buttons, with a "more" button when they do not all fit (after the last page, the first)."""
    if len(buttons) <= room:
        return buttons
    size = room - 1
    start = page % -(-len(buttons) // size) * size
    return [*buttons[start:start + size], (ctx.t("picker.more"),) * 2]
