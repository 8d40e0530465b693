"""Gunicorn settings shared by the Procfile, local mode and the benchmark."""

import os
import sys

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# LINE waits 2 s for the webhook; anything slower is a bug to find, not to wait for.
timeout = 30
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") else None


def on_starting(server):
    """Stop with one clear line, before any worker boots, when the configuration is wrong."""
    from bot.config import ConfigError, load_config

    try:
        load_config()
    except ConfigError as exc:
        print(f"saiyai web: {exc}", file=sys.stderr)
        sys.exit(2)
