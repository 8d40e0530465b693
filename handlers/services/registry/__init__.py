"""Registry service functions: people, roles and their scopes, name matching, invites, linked chats.

Handlers and scheduler jobs call these; they only touch the database (no LINE, no Flask).
"""

from __future__ import annotations

from handlers.services.registry.people import (
    CONSENT_VERSION, INVITE_ALPHABET, INVITE_TTL, NAME_LIMIT, ROLE_RANK, can_manage_community, can_manage_network,
    community_networks, find_person, highest_role, is_registered, load_profile, memberships, organizations_of,
)
from handlers.services.registry.names import (
    NameMatch, THAI_DIGITS, community_matcher, given_name_key, match_community, match_network, name_key, name_refusal, person_key,
    person_name, phone_answer,
)
from handlers.services.registry.membership import (
    ensure_person, grant, join_community, member_communities, member_community, member_community_in, register_person,
)
from handlers.services.registry.invites import (
    InviteError, create_invite, find_invite, invite_by_code, redeem_invite, take_invite,
)
from handlers.services.registry.offline import create_link_code, link_line, merge_offline, namesakes_without_line
from handlers.services.registry.chats import (
    chat_link, end_chat_link, link_chat, match_chat_target, member_counts, zone_networks,
)
from handlers.services.registry.forgetting import forget_person, forget_user
from handlers.services.registry.bootstrap import (
    CommunityRow, can_invite_chair, can_invite_leader, chaired_communities, create_organization, find_organization,
    import_communities, networks_of, organization_communities,
)
from handlers.services.registry.directory import (
    ROLES_BY_RANK, RosterEntry, command_log_count, managed_communities, member_networks, network_communities,
    set_language,
)

__all__ = [
    "CONSENT_VERSION", "CommunityRow", "INVITE_ALPHABET", "INVITE_TTL", "InviteError", "NAME_LIMIT", "NameMatch",
    "ROLES_BY_RANK", "ROLE_RANK", "RosterEntry", "THAI_DIGITS", "can_invite_chair", "can_invite_leader",
    "can_manage_community", "can_manage_network", "chaired_communities", "chat_link", "command_log_count",
    "community_matcher", "community_networks", "create_invite", "create_link_code", "create_organization", "end_chat_link",
    "ensure_person", "find_invite", "find_organization", "find_person", "forget_person", "forget_user",
    "given_name_key", "grant", "highest_role", "import_communities", "invite_by_code", "is_registered",
    "join_community", "link_chat", "link_line", "load_profile", "managed_communities", "match_chat_target",
    "match_community", "match_network", "member_communities", "member_community", "member_community_in", "member_counts",
    "member_networks", "memberships", "merge_offline", "name_key", "name_refusal", "namesakes_without_line",
    "network_communities", "networks_of", "organization_communities", "organizations_of", "person_key",
    "person_name", "phone_answer", "redeem_invite", "register_person", "set_language", "take_invite",
    "zone_networks",
]
