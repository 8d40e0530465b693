"""The app factory: wires configuration, database, LINE client, handlers and blueprints."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect
from linebot.v3 import SignatureValidator

from bot import cli, csrf, desk, webhook
from bot.config import Config, bangkok_now, load_config
from bot.line import LineClient
from bot.pipeline import Saiyai
from bot.replies import ReplySender
from handlers import REGISTRY
from handlers.dispatcher import Dispatcher
from handlers.services.registry import load_profile
from models.db import make_engine, make_session_factory


def build_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app. `test_config` may carry a ready Config, a clock or a dispatcher."""
    test_config = dict(test_config or {})
    config: Config = test_config.pop("SAIYAI_CONFIG", None) or load_config()
    # bot/static holds what every page shares: the icon, at /static/favicon.png and where browsers look unasked.
    app = Flask(__name__, instance_relative_config=False, static_folder="static")
    app.config.update(
        MAX_CONTENT_LENGTH=1024 * 1024,  # LINE's bodies are small; anything over 1 MB is refused (413)
        SAIYAI=config,
    )
    app.config.update(test_config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    engine = make_engine(config.database_url)
    app.extensions["saiyai.engine"] = engine
    clock = test_config.get("CLOCK") or (_simulated_clock(engine) if config.local_mode else bangkok_now)
    app.extensions["saiyai.signature"] = SignatureValidator(config.channel_secret)
    saiyai = Saiyai(
        session_factory=make_session_factory(engine),
        line=LineClient(config),
        dispatcher=test_config.get("DISPATCHER") or Dispatcher(REGISTRY, load_profile,
                                                               {"public_url": config.public_url}),
        clock=clock,
    )
    app.extensions["saiyai"] = saiyai
    app.extensions["saiyai.replies"] = ReplySender(
        saiyai.line, engine, saiyai.clock, budget=config.reply_budget, concurrency=config.reply_concurrency,
        request_timeout=config.request_timeout)
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.png"))
    # The address people open first: in local mode the simulator, the product's face for newcomers; in
    # production the desk, whose page without a session explains the sign-in from LINE.
    app.add_url_rule("/", "home", lambda: redirect("/simulator/" if config.local_mode else "/desk/"))
    app.register_blueprint(webhook.blueprint)
    desk.init_app(app, config)
    csrf.init_app(app)
    cli.register(app)
    if config.local_mode:  # the simulator, its clock control and its CSRF protection exist only here
        from bot import simulator

        simulator.register(app)
        app.logger.info("local mode: no LINE credentials, talking to the fake LINE API at %s",
                        config.line_api_base_url)
    return app


def _simulated_clock(engine):
    """Local mode's clock: real time plus the offset the simulator's clock control sets."""
    from bot.simulator.clock import SimulatedClock

    return SimulatedClock(engine)
