"""Replies leave the webhook request on a thread pool: LINE gets its 200 within a time budget, whatever
LINE's reply API does; replies still under way then finish in the background.

Why this keeps "nothing lost" and "exactly once" (docs/operations.md, "Exactly once"):
- every reply is already a committed outbox row (bot/outbox.enqueue_reply) before it is handed here,
  due only after REPLY_GRACE: until then the dispatcher leaves it alone, so one party at a time holds
  the reply token;
- a reply is started only while it can still finish (its HTTP timeout) and be recorded well inside that
  grace; a reply that could not start in time (a saturated pool) is handed to the dispatcher at once,
  unsent, to be pushed;
- if the worker dies with replies in flight, their rows are pushed when the grace ends.
Replies to one chat keep their order (each waits for the one before it); different chats go in parallel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

from sqlalchemy import Engine

from bot import outbox
from bot.line import LineClient

log = logging.getLogger(__name__)

# Time kept between a reply's latest start plus its HTTP timeout and the end of REPLY_GRACE, for
# recording the outcome and for clock differences between the web worker and the scheduler.
MARGIN = 5.0


class ReplySender:
    """One per web worker: the thread pool that sends replies, shared by its requests."""

    def __init__(self, line: LineClient, engine: Engine, clock: Callable[[], datetime], *, budget: float,
                 concurrency: int, request_timeout: float, start_within: float | None = None) -> None:
        self.line, self.clock, self.budget = line, clock, budget
        self.engine = engine
        # On PostgreSQL a reply's outcome is one UPDATE, atomic on its own: in autocommit it costs one
        # round trip instead of three (BEGIN, UPDATE, COMMIT). The pool resets the level on return.
        self._settle_on = (engine if engine.dialect.name == "sqlite"
                           else engine.execution_options(isolation_level="AUTOCOMMIT"))
        if start_within is None:
            start_within = outbox.REPLY_GRACE.total_seconds() - request_timeout - MARGIN
        if start_within <= 0:
            raise ValueError("LINE_REQUEST_TIMEOUT leaves no time to reply inside the outbox's reply grace")
        self.start_within = start_within
        # Threads are started on demand, so building this before gunicorn forks costs nothing.
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="reply")
        self._running: set[Future[None]] = set()
        self._lock = threading.Lock()

    def batch(self) -> ReplyBatch:
        """The replies of one webhook request; its budget starts now."""
        return ReplyBatch(self, time.monotonic())

    def drain(self, timeout: float) -> bool:
        """Wait for every reply under way (tests, shutdown); whether they all finished."""
        with self._lock:
            running = list(self._running)
        _done, not_done = wait(running, timeout=timeout)
        return not not_done

    def _finished(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _deliver(self, pending: outbox.PendingReply, before: Future[None] | None, started: float) -> None:
        if before is not None:  # the chat's previous reply: submitted earlier, so already running
            wait([before])
        if time.monotonic() - started > self.start_within:
            # Too late to be sure the reply and its record finish before the dispatcher may take the
            # row over: leave it unsent to the dispatcher, which pushes it now.
            log.warning("reply for outbox row %s not started within %.1f s; it will be pushed",
                        pending.row_id, self.start_within)
            outbox.hand_over_reply(self._settle_on, pending.row_id, self.clock(), "reply not started in time")
            return
        outbox.send_reply(self._settle_on, self.line, pending, self.clock, fresh=self.engine)


class ReplyBatch:
    """The replies of one request: sent as soon as each event is committed, awaited up to the budget."""

    def __init__(self, sender: ReplySender, started: float) -> None:
        self._sender = sender
        self._started = started
        self._last: dict[str, Future[None]] = {}  # chat → its latest reply in this request
        self._futures: list[Future[None]] = []

    def send(self, chat: str, pending: outbox.PendingReply | None) -> None:
        """Send this committed reply after the chat's earlier ones; never raises for LINE or the database."""
        if pending is None:
            return
        sender = self._sender
        future = sender._pool.submit(_logged, sender._deliver, pending, self._last.get(chat), self._started)
        with sender._lock:
            sender._running.add(future)
        future.add_done_callback(sender._finished)
        self._last[chat] = future
        self._futures.append(future)

    def wait(self) -> None:
        """Return when every reply is sent and recorded, or when the budget is spent (they go on)."""
        if not self._futures:
            return
        left = self._started + self._sender.budget - time.monotonic()
        _done, not_done = wait(self._futures, timeout=max(0.0, left))
        if not_done:
            log.info("%s repl(ies) still under way after the %.1f s budget; answering LINE now",
                     len(not_done), self._sender.budget)


def _logged(deliver: Callable[..., None], pending: outbox.PendingReply, *args: object) -> None:
    try:
        deliver(pending, *args)
    except Exception:  # the row is recorded: unsettled, the dispatcher pushes it when REPLY_GRACE ends
        log.exception("could not record the reply for outbox row %s; it will be pushed after the grace",
                      pending.row_id)
