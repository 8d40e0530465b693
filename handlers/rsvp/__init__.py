"""Answers to activities (RSVP), answers by proxy, who is coming (`ผู้เข้าร่วม`), and check-in.

The buttons on an activity's card send `a=rsvp&id=<activity id>&v=going|not_going|maybe` (optional
`g=<guests>`) and `a=checkin&id=<activity id>`; the text commands (`ไป K7M2 +2`, `เช็คอิน K7M2`) do the same
for people who type. An answer counts for the person's own community whichever group it comes from.
"""

from __future__ import annotations

from handlers.rsvp import answering, naming, attendees, checkin
from handlers.rsvp.answering import proxy
from handlers.rsvp.naming import managed_person

# The modules the registry reads for commands, postbacks and steps, in the order it lists them.
MODULES = (answering, naming, attendees, checkin)

__all__ = [
    "managed_person", "proxy", "MODULES",
]
