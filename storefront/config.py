"""Every setting comes from the environment, with defaults that let a fresh clone run alone."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = REPO_ROOT / "instance"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from None


def _choice(name: str, default: str, choices: set[str]) -> str:
    raw = os.environ.get(name, "").strip() or default
    if raw not in choices:
        raise RuntimeError(f"{name} must be one of {', '.join(sorted(choices))}; got {raw!r}")
    return raw


def _flag(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw not in {"", "0", "1", "false", "true", "no", "yes", "off", "on"}:
        raise RuntimeError(f"{name} must be 1 or 0 (true or false); got {raw!r}")
    return raw in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path) -> str:
    """Use SECRET_KEY when set; otherwise generate one once and keep it in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two gunicorn workers starting together must agree on one key.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def load_config(instance_path: Path) -> dict[str, Any]:
    """Read the settings of one app instance; README.md lists each with its default."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'vitrine.sqlite3'}"
    scheme = _choice("PREFERRED_URL_SCHEME", "http", {"http", "https"})
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "DATABASE_URL": normalize_database_url(database_url),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        "PAYMENT_PROVIDER": os.environ.get("PAYMENT_PROVIDER", "test"),
        "CURRENCY": os.environ.get("CURRENCY", "USD").upper(),
        # The language of a visitor whose browser asks for none we speak (en, pt_BR, zh_Hans_CN).
        "DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "en"),
        # The store's calendar (operators' analytics) and new accounts' time zone until they choose one.
        "STORE_TIME_ZONE": os.environ.get("STORE_TIME_ZONE", "UTC"),
        "ORDER_PAYMENT_TIMEOUT_MINUTES": _int("ORDER_PAYMENT_TIMEOUT_MINUTES", 30),
        "SHIPPING_FLAT_MINOR": _int("SHIPPING_FLAT_MINOR", 990),
        "SHIPPING_FREE_FROM_MINOR": _int("SHIPPING_FREE_FROM_MINOR", 10000),
        "PRODUCTS_PER_PAGE": _int("PRODUCTS_PER_PAGE", 24),
        "SHOP_MAX_ITEMS": _int("SHOP_MAX_ITEMS", 60),
        "ATTRIBUTION_WINDOW_DAYS": _int("ATTRIBUTION_WINDOW_DAYS", 30),
        "ATTRIBUTION_MODEL": _choice("ATTRIBUTION_MODEL", "last_click", {"last_click", "first_click"}),
        "COMMISSION_DEFAULT_BPS": _int("COMMISSION_DEFAULT_BPS", 500),
        "COMMISSION_HOLD_DAYS": _int("COMMISSION_HOLD_DAYS", 30),
        "PAYOUT_MIN_MINOR": _int("PAYOUT_MIN_MINOR", 5000),
        # Notification e-mails: SMTP when set (smtp://user:pass@host:587?starttls=1, smtps://…), else the log.
        "SMTP_URL": os.environ.get("SMTP_URL", ""),
        "SMTP_FROM": os.environ.get("SMTP_FROM", "Vitrine <no-reply@localhost>"),
        # Log-in attempts per account and per client network; sign-ups per client network.
        "LOGIN_ACCOUNT_RATE_LIMIT": os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute"),
        "LOGIN_IP_RATE_LIMIT": os.environ.get("LOGIN_IP_RATE_LIMIT", "30 per minute"),
        "SIGNUP_RATE_LIMIT": os.environ.get("SIGNUP_RATE_LIMIT", "20 per hour"),
        "SHARE_CLICK_RATE_LIMIT": os.environ.get("SHARE_CLICK_RATE_LIMIT", "30 per minute"),
        # PostgreSQL: a click's transaction commits without waiting for the disk (async) or after it (sync); see
        # share/click_statement.py for what async risks.
        "SHARE_CLICK_COMMIT": _choice("SHARE_CLICK_COMMIT", "async", {"async", "sync"}),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # Rendered shop pages: kept this long at most (their keys carry versions, so no entry is ever stale),
        # in Redis when REDIS_URL is set, else in each worker, which keeps at most this many.
        "PAGE_CACHE_SECONDS": _int("PAGE_CACHE_SECONDS", 600),
        "PAGE_CACHE_MAX_ENTRIES": _int("PAGE_CACHE_MAX_ENTRIES", 128),
        # Log lines as plain text, or as one JSON object per line for a log collector.
        "LOG_FORMAT": _choice("LOG_FORMAT", "text", {"text", "json"}),
        # Requests per minute per client network and per token, on every /api/v1 endpoint.
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "300 per minute"),
        # Comma-separated origins allowed to call the API from a browser; empty: CORS is off.
        "API_CORS_ORIGINS": os.environ.get("API_CORS_ORIGINS", ""),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        # Webhooks answer once the signed event is stored, and `flask payments work` applies it (else on arrival).
        "WEBHOOK_QUEUE": _flag("WEBHOOK_QUEUE"),
        "TEST_PAYMENT_WEBHOOK_SECRET": os.environ.get("TEST_PAYMENT_WEBHOOK_SECRET", ""),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_CONNECT_WEBHOOK_SECRET": os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", "").rstrip("/"),
        "STRIPE_PAYMENT_METHODS": os.environ.get("STRIPE_PAYMENT_METHODS", "card"),
        # Behind a reverse proxy: how many proxies' X-Forwarded-For/-Proto/-Host headers to trust.
        "PROXY_FIX_HOPS": _int("PROXY_FIX_HOPS", 0),
        "PREFERRED_URL_SCHEME": scheme,
        "SESSION_COOKIE_SECURE": scheme == "https",
        "SESSION_COOKIE_HTTPONLY": True,
        # A signed-in session ends after this many days even if the browser keeps its cookie.
        "SESSION_MAX_AGE_DAYS": _int("SESSION_MAX_AGE_DAYS", 30),
        # Operators moving money type their password again when they last did longer ago than this.
        "REAUTH_MINUTES": _int("REAUTH_MINUTES", 15),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    }


def normalize_database_url(url: str) -> str:
    """Accept the plain `postgres://` / `postgresql://` URLs hosts hand out; we drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
