"""`/simulator`: chat with Saiyai in a browser as any person of the district (local mode only).

The page is a LINE look-alike over the real pipeline: what a person types or taps is built into a LINE
webhook event, signed with the local channel secret and posted by the browser to the real
`POST /callback`; what the page shows is what the bot sent to the fake LINE API (bot/fakeline.py),
replies and pushes alike, read from the fake's record of requests. A clock control moves the product's
clock (bot/simulator/clock.py) and runs the scheduler's jobs that became due.

`register` is called by the app factory in local mode only: with real LINE credentials none of this
exists (tests/bot/test_simulator.py).
"""

from __future__ import annotations

import hashlib

from flask import Flask

from bot.config import LOCAL_CHANNEL_SECRET


def register(app: Flask) -> None:
    """Add the simulator's blueprint (its forms are CSRF-protected like every form, bot/csrf.py)."""
    from bot.simulator.views import blueprint

    # A fixed key in local mode (loopback only), so every gunicorn worker accepts every worker's token.
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = hashlib.sha256(f"simulator:{LOCAL_CHANNEL_SECRET}".encode()).hexdigest()
    app.register_blueprint(blueprint)
