"""Activities: create (`สร้างกิจกรรม` / `new event`), list (`กิจกรรม` / `events`), edit and cancel.

Creating is a guided conversation; in a group it continues in the sender's 1:1 chat:

    title → when (typed, or the datetime picker; a date alone asks for the time; shown back)
          → place (text or a LINE location; "เปลี่ยนวันเวลา" goes back to when)
          → network (asked only when the sender may choose; a leader may pick their own community,
            staff any community of their district and a chair one of their network's, typed by name)
          → host (the rotation's suggestion with its reason, or another community of the network)
          → capacity → seats per community (networks only) → preview card → confirm

`ยกเลิก` ends it at any step (the dispatcher does that). Editing asks the field, then its value, then
shows the change (old → new, a date in full with its weekday) and who will be told, and saves and tells
only on `ยืนยัน` (`เปลี่ยน` asks the value again; `ยกเลิก` leaves everything as it was).
Announcements to groups, host requests and change notices go through the outbox; the reply to the
person acting carries their own card, which is free. The groups an activity was announced in are told
when it moves, changes place or is cancelled (`tell_groups`), as well as those who answered and the
leaders of its host community (`_tell_host`).
"""

from __future__ import annotations

from handlers.events import flow, reading, prompts, create, telling, listing, edit, cancel
from handlers.events.flow import CHANGE_TIME_WORDS, FIELDS, GROUP_LANG, SKIP_WORDS, YES_WORDS
from handlers.events.telling import announce_in_groups, ask_host_later, tell_groups

# The modules the registry reads for commands, postbacks and steps, in the order it lists them.
MODULES = (flow, reading, prompts, create, telling, listing, edit, cancel)

__all__ = [
    "CHANGE_TIME_WORDS", "FIELDS", "GROUP_LANG", "SKIP_WORDS", "YES_WORDS", "announce_in_groups", "ask_host_later",
    "tell_groups", "MODULES",
]
