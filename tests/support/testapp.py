"""What tests share about the app under test: its channel secret and token, the PostgreSQL server, and
a client that posts signed webhook bodies. Here rather than in conftest.py, so that test modules import
them by a name no other conftest.py (tests/web/) can shadow."""

from __future__ import annotations

import os

from support import events as ev

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
PG_URL = os.environ.get("SAIYAI_TEST_PG_URL", "")


class WebhookClient:
    """Posts signed webhook bodies to /callback, as LINE does."""

    def __init__(self, flask_client, secret: str) -> None:
        self.client = flask_client
        self.secret = secret

    def post(self, *events: dict, signature: str | None = None, raw: bytes | None = None):
        payload = raw if raw is not None else ev.body(*events)
        headers = {"Content-Type": "application/json",
                   "X-Line-Signature": signature if signature is not None else ev.sign(self.secret, payload)}
        response = self.client.post("/callback", data=payload, headers=headers)
        # LINE gets its answer after at most the reply budget; replies still under way then (a slow,
        # shared test machine) finish in the background. A test asserts on all of them.
        assert self.client.application.extensions["saiyai.replies"].drain(timeout=30)
        return response
