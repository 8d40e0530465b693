"""A fake LINE Messaging API on loopback, for tests and for local mode (`python -m bot.fakeline`).

It behaves like LINE where Saiyai depends on it: bodies are validated with the SDK's own request
models (400 with LINE's error shape), a reply token works once, a retry key already accepted is
answered 409, the monthly quota ends in LINE's 429, rate limits per endpoint end in 429 "Too many
requests". Tests can make it fail: 5xx, slow answers after delivering (a client timeout), 429,
or answer every call to an endpoint slowly (`latency`).

Rich menus are kept as LINE keeps them (menus, their pictures, aliases, the default, each user's link),
with LINE's rules on sizes and pictures; `FakeLineState.current_menu_for(user_id)` is the menu a user
sees, for tests and a simulator.

Modules: state.py (what it holds), app.py (the message endpoints and /__fake__), richmenus.py (rich menus),
responses.py (LINE's answer shapes), server.py (served on loopback).
"""

from bot.fakeline.app import create_fake_app, validate
from bot.fakeline.server import FakeLineServer, main
from bot.fakeline.state import DUMMY_TOKENS, MONTHLY_LIMIT, FakeLineState, Fault, Recorded

__all__ = ["DUMMY_TOKENS", "MONTHLY_LIMIT", "FakeLineServer", "FakeLineState", "Fault", "Recorded",
           "create_fake_app", "main", "validate"]
