"""The floor for the webhook benchmark: Flask + the LINE SDK, answering every text, with no database.

Served exactly like Saiyai, with the same gunicorn settings:
    gunicorn -c gunicorn.conf.py 'bench.echo_app:create_app()'
It reads LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN and LINE_API_BASE_URL (the fake LINE API)
and sets up its LINE client the way bot/line.py does. Two replies:

- by default "echo", sent the way a minimal SDK app does it (`ReplyMessageRequest`,
  `MessagingApi.reply_message_with_http_info`);
- with ECHO_REPLY_FILE (a JSON list of LINE message objects), those messages, encoded to JSON once at
  start-up and posted as bytes on the SDK's connection pool with the SDK's headers: per event only
  the reply token is spliced in. The benchmark gives it the very reply Saiyai sends for `help`, so LINE
  (the fake, on the same CPUs) gets the same bytes from both, and the echo app does the least work
  that reply can cost: the difference left is Saiyai's own work per event (routing, the database,
  the outbox).
"""

from __future__ import annotations

import json
import os

import urllib3
from flask import Flask, Response, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, Message, MessagingApi, ReplyMessageRequest, TextMessage
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
    reply_file = os.environ.get("ECHO_REPLY_FILE")
    messages = reply_messages(reply_file)
    # The same messages as LINE's JSON, encoded once: '{"replyToken":"' + token + '","messages":[...]}'.
    encoded = json.dumps([m.to_dict() for m in messages], ensure_ascii=False, separators=(",", ":"))
    tail = ('","messages":' + encoded + "}").encode()
    pool = api.api_client.rest_client.pool_manager
    url = configuration.host + "/v2/bot/message/reply"
    headers = {**api.api_client.default_headers, "Accept": "application/json", "Content-Type": "application/json"}
    timeout = urllib3.Timeout(total=10.0)

    @app.post("/callback")
    def callback() -> Response:
        signature = request.headers.get("X-Line-Signature", "")
        body = request.get_data(as_text=True)
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            return Response("invalid signature\n", status=400, mimetype="text/plain")
        for event in events:
            if not (isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent)):
                continue
            if reply_file:
                body = b'{"replyToken":' + json.dumps(event.reply_token).encode()[:-1] + tail
                answer = pool.request("POST", url, body=body, headers=headers, timeout=timeout)
                if answer.status != 200:
                    return Response(f"LINE answered {answer.status}\n", status=500, mimetype="text/plain")
            else:
                api.reply_message_with_http_info(
                    ReplyMessageRequest(reply_token=event.reply_token, messages=messages),
                    _request_timeout=10.0)
        return Response("OK\n", status=200, mimetype="text/plain")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", status=200, mimetype="text/plain")

    return app



def reply_messages(path: str | None) -> list[Message]:
    """The messages every text is answered with: "echo", or those in the JSON file at `path`."""
    if not path:
        return [TextMessage(text="echo")]
    with open(path, encoding="utf-8") as source:
        return [Message.from_dict(message) for message in json.load(source)]
