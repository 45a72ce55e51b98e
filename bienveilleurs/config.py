"""Settings read from the environment (see shared API.md, "Configuration")."""

import os
import secrets
from datetime import timedelta

from geo.points import LE_HAVRE_AREA, ServiceArea

ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def _int(env, name, default):
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} doit être un nombre entier (reçu {raw!r}).") from exc


def load_config(env=None):
    """Build the Flask config mapping from environment variables."""
    env = os.environ if env is None else env
    name = env.get("BIENVEILLEURS_ENV", "development").strip() or "development"
    if name not in ENVIRONMENTS:
        raise ConfigError(f"BIENVEILLEURS_ENV doit valoir {', '.join(ENVIRONMENTS)} (reçu {name!r}).")
    production = name == "production"

    secret = env.get("SECRET_KEY", "")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY est obligatoire quand BIENVEILLEURS_ENV=production.")
        # A per-process key: sessions do not survive a restart, which is fine outside production.
        secret = secrets.token_hex(32)

    database_url = env.get("DATABASE_URL", "")
    if not database_url:
        raise ConfigError("DATABASE_URL n'est pas défini (make run / make test le fournissent).")
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    area_text = env.get("SERVICE_AREA", "").strip()
    service_area = ServiceArea.parse(area_text) if area_text else LE_HAVRE_AREA

    return {
        "ENV_NAME": name,
        "TESTING": name == "test",
        "DEBUG": False,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10},
        "SERVICE_AREA": service_area,
        "TILE_URL": env.get("TILE_URL", "").strip(),
        "GEOCODER_URL": env.get("GEOCODER_URL", "").strip(),
        "RELAY_MAX_RADIUS_M": _int(env, "RELAY_MAX_RADIUS_M", 5000),
        "MAX_UPLOAD_MB": _int(env, "MAX_UPLOAD_MB", 20),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 20) * 1024 * 1024,
        "RETENTION_DAYS": _int(env, "RETENTION_DAYS", 730),
        "ACCESS_LOG_DAYS": _int(env, "ACCESS_LOG_DAYS", 365),
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        "SMTP_URL": env.get("SMTP_URL", "").strip(),
        "MAIL_FROM": env.get("MAIL_FROM", "").strip() or "bienveilleurs@localhost",
        # Absolute links in e-mails; notification delivery retries (exponential backoff).
        "BASE_URL": (env.get("BASE_URL", "").strip() or "http://127.0.0.1:5000").rstrip("/"),
        "NOTIFY_MAX_ATTEMPTS": _int(env, "NOTIFY_MAX_ATTEMPTS", 8),
        "NOTIFY_BACKOFF_S": _int(env, "NOTIFY_BACKOFF_S", 60),
        "SMTP_TIMEOUT_S": _int(env, "SMTP_TIMEOUT_S", 15),
        # Sessions: cookie hardening; __Host- requires Secure and no Domain, so production only.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "bv_session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int(env, "SESSION_ABSOLUTE_HOURS", 12)),
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 120),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "HSTS": production,
        # Login throttling: failures allowed before delays start, and the longest delay.
        "LOGIN_FREE_ATTEMPTS": _int(env, "LOGIN_FREE_ATTEMPTS", 5),
        "LOGIN_MAX_DELAY_S": _int(env, "LOGIN_MAX_DELAY_S", 900),
        # Referrals: when a referral nobody moved is shown as waiting, and when a referral
        # with no answer from the resource is sent back by `flask referrals expire`.
        "STALE_UNASSIGNED_HOURS": _int(env, "STALE_UNASSIGNED_HOURS", 48),
        "STALE_NO_CONTACT_DAYS": _int(env, "STALE_NO_CONTACT_DAYS", 7),
        "STALE_NO_ANSWER_DAYS": _int(env, "STALE_NO_ANSWER_DAYS", 10),
        "REFERRAL_EXPIRY_DAYS": _int(env, "REFERRAL_EXPIRY_DAYS", 14),
    }
