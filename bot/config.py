"""Configuration read from the environment, validated once at start-up."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Bangkok")
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Local mode talks to the fake LINE API started by `scripts/run` (bot/fakeline.py);
# these stand-in credentials only ever sign requests on loopback.
LOCAL_CHANNEL_SECRET = "saiyai-local-channel-secret"
LOCAL_ACCESS_TOKEN = "saiyai-local-access-token"
LOCAL_FAKE_LINE_PORT = 8765  # FAKE_LINE_PORT moves it, so that two local copies can run side by side
PRODUCTION_LINE_URL = "https://api.line.me"
PRODUCTION_LINE_DATA_URL = "https://api-data.line.me"
LINE_WEBHOOK_DEADLINE = 2.0  # seconds LINE waits for the webhook's answer
MAX_REQUEST_TIMEOUT = 20.0   # a reply started late must still end inside the outbox's 30 s reply grace


def bangkok_now() -> datetime:
    """The current time, tz-aware, in Asia/Bangkok."""
    return datetime.now(TIMEZONE)


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line meant for the operator."""


@dataclass(frozen=True)
class Config:
    """Everything the web app, the scheduler and the CLI need to know about their surroundings."""

    channel_secret: str
    access_token: str
    line_api_base_url: str
    line_data_base_url: str
    database_url: str
    local_mode: bool
    request_timeout: float = 10.0
    outbox_batch: int = 200
    outbox_concurrency: int = 8
    outbox_lease: float = 60.0        # seconds before a claimed row is taken over
    outbox_max_backoff: float = 300.0  # seconds; the longest wait between two attempts
    storage_dir: Path = PROJECT_ROOT / "instance"  # where report photos were kept before the database (migrate-photos)
    multicast_rate: float = 200.0  # requests/s this process sends at most (LINE's per-channel limit)
    push_rate: float = 2000.0
    followup_interval: float = 0.0  # seconds; 0 = each follow-up job's own interval (minutes to an hour)
    # The webhook answers LINE (which waits 2 s) at most this long after it starts replying; replies
    # still under way finish in the background (bot/replies.py).
    reply_budget: float = 1.0
    reply_concurrency: int = 16  # reply threads per web worker
    public_url: str = "http://127.0.0.1:5000"  # where the web desk is reached; sign-in links start with it
    secret_key: str = ""  # signs the desk's session cookies; "" = derived from the channel secret
    desk_idle_minutes: float = 30.0  # a desk session unused this long is signed out
    proxy_hops: int = 0  # reverse proxies in front of the web process whose X-Forwarded-* headers are trusted


def default_database_url() -> str:
    """SQLite file under instance/, the embedded default."""
    return f"sqlite:///{PROJECT_ROOT / 'instance' / 'saiyai.sqlite3'}"


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Read the environment; no LINE credentials at all means local mode against the fake LINE API."""
    env = os.environ if env is None else env
    secret = env.get("LINE_CHANNEL_SECRET", "").strip()
    token = env.get("LINE_CHANNEL_ACCESS_TOKEN", "").strip()
    mode = env.get("SAIYAI_MODE", "").strip().lower()
    if mode not in ("", "local", "production"):
        raise ConfigError(f"SAIYAI_MODE must be 'local' or 'production', not {mode!r}.")

    local = mode == "local" or (mode == "" and not secret and not token)
    if not local:
        missing = [name for name, value in (("LINE_CHANNEL_SECRET", secret),
                                            ("LINE_CHANNEL_ACCESS_TOKEN", token)) if not value]
        if missing:
            raise ConfigError(
                "Saiyai cannot start in production mode: set " + " and ".join(missing)
                + " (from the LINE Developers console), or unset both for local mode."
            )
    local_fake = f"http://127.0.0.1:{_positive_int(env, 'FAKE_LINE_PORT', LOCAL_FAKE_LINE_PORT)}" if local else ""
    base = env.get("LINE_API_BASE_URL", "").strip() or (local_fake if local else PRODUCTION_LINE_URL)
    data_base = env.get("LINE_DATA_API_BASE_URL", "").strip() or (base if local else PRODUCTION_LINE_DATA_URL)
    for name, url in (("LINE_API_BASE_URL", base), ("LINE_DATA_API_BASE_URL", data_base)):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{name} must start with http:// or https://, got {url!r}.")
    request_timeout = _positive_float(env, "LINE_REQUEST_TIMEOUT", 10.0)
    if request_timeout > MAX_REQUEST_TIMEOUT:
        raise ConfigError(f"LINE_REQUEST_TIMEOUT must be at most {MAX_REQUEST_TIMEOUT:g} seconds: a reply must "
                          "end well inside the 30 seconds the outbox waits before pushing it instead.")
    reply_budget = _positive_float(env, "WEBHOOK_REPLY_BUDGET_SECONDS", 1.0)
    if reply_budget >= LINE_WEBHOOK_DEADLINE:
        raise ConfigError(f"WEBHOOK_REPLY_BUDGET_SECONDS must be under LINE's {LINE_WEBHOOK_DEADLINE:g}-second "
                          f"wait for the webhook, got {reply_budget:g}.")
    return Config(
        channel_secret=secret or LOCAL_CHANNEL_SECRET,
        access_token=token or LOCAL_ACCESS_TOKEN,
        line_api_base_url=base.rstrip("/"),
        line_data_base_url=data_base.rstrip("/"),
        database_url=env.get("DATABASE_URL", "").strip() or default_database_url(),
        local_mode=local,
        request_timeout=request_timeout,
        outbox_batch=_positive_int(env, "OUTBOX_BATCH", 200),
        outbox_concurrency=_positive_int(env, "OUTBOX_CONCURRENCY", 8),
        outbox_lease=_positive_float(env, "OUTBOX_LEASE_SECONDS", 60.0),
        outbox_max_backoff=_positive_float(env, "OUTBOX_MAX_BACKOFF_SECONDS", 300.0),
        storage_dir=Path(env.get("SAIYAI_STORAGE_DIR", "").strip() or PROJECT_ROOT / "instance"),
        multicast_rate=_positive_float(env, "LINE_MULTICAST_PER_SECOND", 200.0),
        push_rate=_positive_float(env, "LINE_PUSH_PER_SECOND", 2000.0),
        followup_interval=_positive_float(env, "SAIYAI_FOLLOWUP_INTERVAL_SECONDS", 0.0),
        reply_budget=reply_budget,
        reply_concurrency=_positive_int(env, "WEBHOOK_REPLY_THREADS", 16),
        public_url=_public_url(env, local),
        secret_key=env.get("SAIYAI_SECRET_KEY", "").strip(),
        desk_idle_minutes=_positive_float(env, "SAIYAI_DESK_IDLE_MINUTES", 30.0),
        proxy_hops=_proxy_hops(env),
    )


def _proxy_hops(env: Mapping[str, str]) -> int:
    """How many proxies' X-Forwarded-For to believe: the desk limits failed sign-ins per client address, and
    behind a proxy every request would otherwise come from the proxy's."""
    raw = env.get("SAIYAI_PROXY_HOPS", "").strip()
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 5:
        raise ConfigError(f"SAIYAI_PROXY_HOPS must be a whole number from 0 to 5, got {raw!r}.")
    return int(raw)


def _public_url(env: Mapping[str, str], local: bool) -> str:
    """The web desk's address as people's browsers reach it (sign-in links from LINE point there)."""
    raw = env.get("SAIYAI_PUBLIC_URL", "").strip()
    if not raw:
        return f"http://127.0.0.1:{env.get('PORT', '').strip() or 5000}" if local else ""
    if not raw.startswith(("http://", "https://")):
        raise ConfigError(f"SAIYAI_PUBLIC_URL must start with http:// or https://, got {raw!r}.")
    return raw.rstrip("/")


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}.") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {raw!r}.")
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero, got {raw!r}.")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero, got {raw!r}.")
    return value
