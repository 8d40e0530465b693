"""Choosing one community with buttons when there are more than fit (LINE shows 13 quick replies, one of
them ยกเลิก): first the zone network, then that zone's communities, a page at a time.

A district has about 5 zones of about 8 communities, so two taps reach any of its 38 communities. Typing a
community's name, or part of it, still works at every level (the step matches it as before), and so does
typing a zone's name ("โซน 2"). Where the sender is in the picker is kept in the conversation's data, so
any worker continues it.
"""

from __future__ import annotations

from handlers.catalog import LANGUAGES, text_for
from handlers.context import Context
from handlers.registry import normalize, strip_polite
from handlers.services import registry as reg
from models import Community, Network

QUICK_LIMIT = 12  # LINE's 13 quick replies, less the cancel button
ZONE, PAGE = "pick_zone", "pick_page"
MORE_WORDS = frozenset({normalize(text_for(lang, "picker.more")) for lang in LANGUAGES} | {"ถัดไป", "more", "next"})
ZONES_WORDS = frozenset({normalize(text_for(lang, "picker.other_zones")) for lang in LANGUAGES}
                        | {"เครือข่ายอื่น", "โซนอื่น", "other zones"})


def community_buttons(ctx: Context, communities: list[Community]) -> tuple[list[tuple[str, str]], str | None]:
    """The buttons for a community question, and a line saying where the sender is (None: all fit)."""
    if len(communities) <= QUICK_LIMIT:
        return [(c.name, c.name) for c in communities], None
    page = ctx.data.get(PAGE, 0)
    zone = _chosen_zone(ctx, communities)
    if zone is None:
        zones = _zones(ctx, communities)
        labels = [(ctx.t("picker.zone_label", zone=z.name, count=len(members)), z.name) for z, members in zones]
        return _page(ctx, labels, page, QUICK_LIMIT), ctx.t("picker.choose_zone", count=len(communities))
    members = [c for c in communities if c.zone_id == zone.id]
    back = (ctx.t("picker.other_zones"),) * 2
    return ([*_page(ctx, [(c.name, c.name) for c in members], page, QUICK_LIMIT - 1), back],
            ctx.t("picker.in_zone", zone=zone.name, count=len(members)))


def browse(ctx: Context, communities: list[Community]) -> bool:
    """Whether the answer moved through the picker (a zone, the next page, back to the zones) rather than
    naming a community; the step then asks its question again, with the new buttons."""
    if len(communities) <= QUICK_LIMIT:
        return False
    if ctx.means(MORE_WORDS):
        ctx.data[PAGE] = ctx.data.get(PAGE, 0) + 1
        return True
    if ctx.means(ZONES_WORDS):
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
