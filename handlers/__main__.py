"""`python -m handlers`: print the README's command table from the registry (keep them in step)."""

from __future__ import annotations

from handlers import REGISTRY
from handlers.registry import ChatKind, Role

WHO = {Role.ANYONE: "everyone", Role.MEMBER: "members", Role.PARTNER: "partners",
       Role.COMMUNITY_LEADER: "leaders", Role.NETWORK_CHAIR: "chairs", Role.STAFF: "staff"}


def where(chats: frozenset[ChatKind]) -> str:
    """Where a command works: 1:1, groups, or both."""
    if chats == frozenset({ChatKind.USER}):
        return "1:1"
    if ChatKind.USER not in chats:
        return "groups"
    return "1:1, groups"


def table() -> str:
    """The markdown table: Thai keywords, English keywords, lowest role, where, what (Thai / English)."""
    lines = ["| Thai | English | who (and above) | where | what |", "|---|---|---|---|---|"]
    for spec in REGISTRY.commands:
        thai = ", ".join(f"`{k}`" for k in spec.keywords if k == spec.keyword_for("th") or not k.isascii())
        english = ", ".join(f"`{k}`" for k in spec.keywords if k.isascii())
        lines.append(f"| {thai} | {english} | {WHO[spec.min_role]} | {where(spec.chats)} | "
                     f"{spec.help_th} / {spec.help_en} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
