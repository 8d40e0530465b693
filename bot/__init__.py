"""Saiyai's web side and what it shares with the scheduler (config, LINE client, outbox), plus local mode's
fake LINE API and simulator. Thai dates live with the domain code, in handlers/thaitime/.

This package's top level stays import-light on purpose: handlers import `bot.config`, `bot.outbox` and
`bot.messages`, so importing `bot` must not pull in the handlers in turn.
The app factory lives in bot/app.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app (gunicorn: `bot:create_app()`); see bot.app.build_app."""
    from bot.app import build_app  # the factory needs handlers, which need bot's building blocks

    return build_app(test_config)
