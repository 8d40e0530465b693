"""District notices and urgent alerts.

`ประกาศ` / `announce` (leaders and up) and `แจ้งเตือนด่วน` / `alert` (staff) are guided conversations in
the 1:1 chat: scope → (network or community) → role filter → text → attachment → send time →
preview → send (an alert skips the role filter and the send time).
The preview counts the people reached, the delivery path and the cost against LINE's remaining
monthly quota; sending only saves the notice: the scheduler queues its recipients page by page into
the outbox (scheduler/notices.py), so a notice to two million people does not hold up a webhook.

Buttons on a notice: `a=ack&n=<id>` (รับทราบ); on an alert `a=alert&n=<id>&v=safe|need_help`. "Need
help" tells staff and the zone chair at once and asks for the person's location (a LINE location
message), which is forwarded to them as soon as it arrives.

`ยกเลิกประกาศ` / `cancel notice` takes back a notice still waiting for its send time (its author, or
staff of its organization): it lists them with a button each, or takes a notice number, and asks
for confirmation with buttons — not a conversation, where a typed `ยกเลิก` would only end the
conversation. Once the scheduler has started queueing a notice it can no longer be cancelled.
"""

from __future__ import annotations

from handlers.notices import flow, targets, compose, card, answers, status, cancel, news
from handlers.notices.flow import NOW_WORDS, SKIP_WORDS
from handlers.notices.card import notice_messages, nudge_messages
from handlers.notices.answers import PROXY_ALERT, answer_alert_for, proxy_alert_kind, proxy_label, tell_offline_leaders

# The modules the registry reads for commands, postbacks and steps, in the order it lists them.
MODULES = (flow, targets, compose, card, answers, status, cancel, news)

__all__ = [
    "NOW_WORDS", "PROXY_ALERT", "SKIP_WORDS", "answer_alert_for", "notice_messages", "nudge_messages",
    "proxy_alert_kind", "proxy_label", "tell_offline_leaders", "MODULES",
]
