"""The district's web desk: staff, network chairs and community leaders see their numbers, activities,
reports with photos and notices, and export them (docs/desk.md).

Sign-in is a one-time link from the LINE chat (`เข้าเว็บ` / `dashboard`); the pages are one blueprint,
every query scoped by bot/desk/scope.py.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Blueprint, Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.config import Config

blueprint = Blueprint("desk", __name__, url_prefix="/desk", template_folder="templates",
                      static_folder="static", static_url_path="/static")


def session_secret(config: Config) -> str:
    """The key that signs session cookies: SAIYAI_SECRET_KEY, or one derived from the channel secret (which
    every worker already shares) so that a deployment without the setting still works across workers."""
    if config.secret_key:
        return config.secret_key
    return hmac.new(config.channel_secret.encode(), b"saiyai-desk-session", hashlib.sha256).hexdigest()


def init_app(app: Flask, config: Config) -> None:
    """Register the desk on the app: session cookie settings, CSRF on the desk's forms, the blueprint."""
    from bot.desk import auth, exports, pages  # noqa: F401  (their routes register on the blueprint)
    from bot.desk.commands import desk_group

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = session_secret(config)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not config.local_mode,
        SESSION_COOKIE_NAME="saiyai_desk",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.desk_idle_minutes),
    )
    app.config["DESK_IDLE"] = timedelta(minutes=config.desk_idle_minutes)
    if config.proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops, x_proto=config.proxy_hops,
                                x_host=config.proxy_hops)
    app.register_blueprint(blueprint)
    app.cli.add_command(desk_group)
