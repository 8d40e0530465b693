"""The desk's settings: where sign-in links point, the proxy hops, and a production without a public URL."""

from __future__ import annotations

import dataclasses

import pytest

from bot.config import ConfigError, load_config
from support.registry import USERS

PRODUCTION = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}


@pytest.mark.parametrize(("env", "public_url", "hops"), [
    ({}, "http://127.0.0.1:5000", 0),
    ({"PORT": "5100"}, "http://127.0.0.1:5100", 0),           # a second local copy (scripts/run with PORT)
    (PRODUCTION, "", 0),                                       # production: only what the operator sets
    ({**PRODUCTION, "SAIYAI_PUBLIC_URL": " https://saiyai.example.go.th/ "}, "https://saiyai.example.go.th", 0),
    ({**PRODUCTION, "SAIYAI_PROXY_HOPS": "1"}, "", 1),
])
def test_settings(env, public_url, hops) -> None:
    config = load_config(env)
    assert (config.public_url, config.proxy_hops) == (public_url, hops)


@pytest.mark.parametrize(("env", "message"), [
    ({"SAIYAI_PUBLIC_URL": "saiyai.example"},
     "SAIYAI_PUBLIC_URL must start with http:// or https://, got 'saiyai.example'."),
    ({"SAIYAI_PROXY_HOPS": "-1"}, "SAIYAI_PROXY_HOPS must be a whole number from 0 to 5, got '-1'."),
    ({"SAIYAI_PROXY_HOPS": "๑"}, "SAIYAI_PROXY_HOPS must be a whole number from 0 to 5, got '๑'."),
    ({"SAIYAI_DESK_IDLE_MINUTES": "0"}, "SAIYAI_DESK_IDLE_MINUTES must be greater than zero, got '0'."),
])
def test_bad_settings_are_one_clear_line(env, message) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(env)
    assert str(error.value) == message


def test_without_a_public_url_the_command_says_so_and_makes_no_link(config, clock, district, fake_line) -> None:
    from sqlalchemy import select

    from bot import create_app
    from models import DeskLink
    from support.testapp import WebhookClient
    from support.dialog import Dialog

    app = create_app({"SAIYAI_CONFIG": dataclasses.replace(config, public_url=""), "CLOCK": clock})
    try:
        dialog = Dialog(fake_line, WebhookClient(app.test_client(), config.channel_secret))
        dialog.run([(USERS["staff"], "เข้าเว็บ",
                     "ขออภัยครับ หน้าเว็บของสายใยยังไม่ได้ตั้งค่า (SAIYAI_PUBLIC_URL) กรุณาแจ้งผู้ดูแลระบบครับ")])
        with app.extensions["saiyai"].session_factory() as session:
            assert session.scalars(select(DeskLink)).all() == []
    finally:
        app.extensions["saiyai"].line.close()
        app.extensions["saiyai.engine"].dispose()
