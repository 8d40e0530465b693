"""One CSRF protection for every form the web process serves (the desk, the simulator).

Every POST must carry the session's token, except LINE's webhook, which LINE signs instead. Set up once by
the app factory, so no blueprint can switch the check off for another (Flask-WTF keeps one setting per app).
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Check the token on every POST, PUT, PATCH and DELETE; exempt the webhook."""
    from bot import webhook

    app.config["WTF_CSRF_CHECK_DEFAULT"] = True
    # A page stays open for hours while people work: its token lasts as long as its session (the desk's
    # session ends when idle).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    csrf.exempt(webhook.blueprint)
