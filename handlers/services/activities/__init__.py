"""Activity services: codes, who hosts next (the rotation), answers with waitlist and quotas, check-in,
recurring series. Database only; handlers and scheduler jobs call these.
"""

from __future__ import annotations

from handlers.services.activities.codes import CHECK_IN_OPENS, find_activity, network_communities
from handlers.services.activities.hosts import (
    HostChoice, confirm_host, decline_host, first_proposed_host, host_history, propose_host, rotation, skip_host,
    swap_hosts,
)
from handlers.services.activities.answers import (
    AnswerResult, MAX_GUESTS, answer, answer_count, closed_reason, community_seats_left, counts_by_community,
    managed_community_ids, managed_people_named, people_named, seats_left, sees_names,
)
from handlers.services.activities.checkin import Attendance, attendance, check_in, check_in_open
from handlers.services.activities.visibility import (
    answered_for_offline, interested_contacts, interested_count, interested_people, linked_chats, networks_of_person,
    upcoming_for,
)
from handlers.services.activities.series import (
    SERIES_HORIZON, SERIES_RULES, add_months, generate_next, latest_occurrence, locked_series, next_slot,
    read_series_rule, repeat, slot_start,
)
from handlers.services.activities.planning import (
    DEFAULT_DURATION, awaiting_host_answer, can_change_activity, community_leaders, create_activity,
    default_rsvp_deadline, locked_activity, may_plan_series, propose_chosen_host, suggested_host,
)
from handlers.services.activities.followups import (
    answers_of, cancel_activity, followup_key, followup_topic, reschedule, touch, withdraw_followups,
)
from handlers.services.seats import seats_freed, seats_taken, seats_taken_of

__all__ = [
    "AnswerResult", "Attendance", "CHECK_IN_OPENS", "DEFAULT_DURATION", "HostChoice", "MAX_GUESTS",
    "SERIES_HORIZON", "SERIES_RULES", "add_months", "answer", "answers_of", "attendance", "awaiting_host_answer",
    "can_change_activity", "cancel_activity", "check_in", "check_in_open", "closed_reason", "community_leaders",
    "answer_count", "community_seats_left", "confirm_host", "counts_by_community", "create_activity", "decline_host",
    "default_rsvp_deadline", "find_activity", "first_proposed_host", "followup_key", "followup_topic",
    "answered_for_offline", "generate_next", "host_history", "interested_contacts", "interested_count",
    "interested_people", "latest_occurrence",
    "linked_chats", "locked_activity", "locked_series", "managed_community_ids", "managed_people_named",
    "may_plan_series", "network_communities", "networks_of_person", "next_slot", "people_named",
    "propose_chosen_host", "propose_host", "read_series_rule", "repeat", "reschedule", "rotation", "seats_freed",
    "seats_left", "seats_taken", "seats_taken_of", "sees_names", "skip_host", "slot_start", "suggested_host",
    "swap_hosts", "touch", "upcoming_for", "withdraw_followups",
]
