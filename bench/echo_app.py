"""The floor for the webhook benchmark: Flask + the LINE SDK, replying "echo", with no database.

Served exactly like Saiyai, with the same gunicorn settings:
    gunicorn -c gunicorn.conf.py 'bench.echo_app:create_app()'
It reads LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN and LINE_API_BASE_URL (the fake LINE API)
and sets up its LINE client the way bot/line.py does, so the only difference left is Saiyai's own
work per event: routing, the database, the outbox.
"""

from __future__ import annotations

import os

import urllib3
from flask import Flask, Response, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import MessageEvent, TextMessageContent


def create_app() -> Flask:
    """Build the echo app; one LINE client per worker process, shared by its threads."""
    app = Flask(__name__)
    parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])
    configuration = Configuration(access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
                                  host=os.environ["LINE_API_BASE_URL"].rstrip("/"))
    # Same client settings as bot/line.py's LineClient: a pool of 16, no urllib3 retries.
    configuration.connection_pool_maxsize = 16
    configuration.retries = urllib3.Retry(total=0, connect=0, read=0, redirect=0, status=0)
    api = MessagingApi(ApiClient(configuration))

    @app.post("/callback")
    def callback() -> Response:
        signature = request.headers.get("X-Line-Signature", "")
        body = request.get_data(as_text=True)
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            return Response("invalid signature\n", status=400, mimetype="text/plain")
        for event in events:
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                api.reply_message_with_http_info(
                    ReplyMessageRequest(reply_token=event.reply_token, messages=[TextMessage(text="echo")]),
                    _request_timeout=10.0)
        return Response("OK\n", status=200, mimetype="text/plain")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", status=200, mimetype="text/plain")

    return app
