"""Real `python -m scheduler` processes for tests, and a LINE API that fails some of their calls."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.config import PROJECT_ROOT
from bot.fakeline import Fault
from support.testapp import SECRET, TOKEN


def start_scheduler(db_url: str, fake_url: str, log_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": fake_url, "LINE_REQUEST_TIMEOUT": "1",
        "OUTBOX_BATCH": "50", "OUTBOX_LEASE_SECONDS": "8", "OUTBOX_MAX_BACKOFF_SECONDS": "2",
    }
    with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "scheduler"], cwd=PROJECT_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)


def flaky(fake_line) -> None:
    fake_line.state.failure_rate = 0.3
    fake_line.state.failure_kinds = (
        Fault(status=500),                              # refused, nothing delivered
        Fault(status=503, delay=1.5),                   # slow and refused: a client timeout
        Fault(deliver=True, delay=1.5),                 # delivered, answer too late: a client timeout
    )
