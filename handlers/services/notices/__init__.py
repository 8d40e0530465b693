"""Notice service functions: who a notice reaches, how (linked groups or each person), what it costs,
queueing it into the outbox page by page, answers (acknowledged / safe / need help) and their tallies.

Handlers and scheduler jobs call these; they only touch the database. Recipients are never loaded
whole: they are read in keyset pages (`Person.id > last`), and every count is done by the database.
What LINE knows (the monthly quota, its consumption, the member count of each linked group) is
fetched by the scheduler (`scheduler/notices.py`) and kept in `channel_state` for a few minutes,
so every web worker reads the same figures and no handler calls LINE.
"""

from __future__ import annotations

from handlers.services.notices.audience import (
    Audience, DEFAULT_NUDGE_HOURS, NUDGE_CURSOR, PAGE, QUEUE_CURSOR, TEXT_LIMIT, count_recipients, iter_recipients,
    may_answer, nudge_topic_of, recipient_page, recipients_query, topic_of, without_line,
)
from handlers.services.notices.cost import (
    Plan, Quota, cached_quota, group_sizes, plan, stale_group_links, store_group_size, store_quota,
)
from handlers.services.notices.queueing import Queued, create_notice, notices_to_queue, queue_page
from handlers.services.notices.cancelling import cancel_notice, cancellable, may_cancel
from handlers.services.notices.progress import delivery, unsettled
from handlers.services.notices.answers import (
    answer_of, answered_for, answered_themselves, helpers_for, latest_alert_for, need_help, offline_by_leader,
    record_answer, record_location,
)
from handlers.services.notices.tally import (
    CommunityTally, answered_by_phone, count_audience, offline_silent, silent_recipients, tally, unanswered_names,
)
from handlers.services.notices.news import SHOWN, news_for, news_for_link, visible_notices

__all__ = [
    "Audience", "CommunityTally", "answered_by_phone", "DEFAULT_NUDGE_HOURS", "NUDGE_CURSOR", "PAGE", "Plan", "QUEUE_CURSOR", "Queued",
    "Quota", "SHOWN", "TEXT_LIMIT", "answer_of", "answered_for", "answered_themselves", "cached_quota",
    "cancel_notice", "cancellable", "count_audience", "count_recipients", "create_notice", "delivery", "group_sizes", "helpers_for",
    "iter_recipients", "latest_alert_for", "may_answer", "may_cancel", "need_help", "news_for", "news_for_link",
    "notices_to_queue", "nudge_topic_of", "offline_by_leader", "offline_silent", "plan", "queue_page", "recipient_page",
    "recipients_query", "record_answer", "silent_recipients", "record_location", "stale_group_links", "store_group_size", "store_quota",
    "tally", "topic_of", "unanswered_names", "unsettled", "visible_notices", "without_line",
]
