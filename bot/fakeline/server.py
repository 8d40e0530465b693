"""The fake served over real HTTP on loopback: in a thread for tests, or on its own (`python -m bot.fakeline`)."""

from __future__ import annotations

import argparse
import logging
import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot.fakeline.app import create_fake_app
from bot.fakeline.state import FakeLineState

log = logging.getLogger("fakeline")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """Thousands of requests per test: the state records them, the log need not."""


class FakeLineServer:
    """The fake served over real HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, port: int = 0, access_token: str | None = None) -> None:
        self.state = FakeLineState(access_token=access_token)
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, create_fake_app(self.state), threaded=True,
                                                   request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        # shutdown() waits for serve_forever's next poll: werkzeug's default 0.5 s cost every test that much.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fakeline", daemon=True)

    def __enter__(self) -> FakeLineServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake LINE Messaging API on loopback.")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s fake-LINE %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = FakeLineServer(args.port)
    log.info("fake LINE Messaging API listening on %s", server.url)
    server._server.serve_forever()

