"""Settings: every one declared here once, with its type, default and meaning.

`load_config()` reads them from the environment inside `create_app` (never at import);
services and pages read them through `setting(NAME)`, never with a default of their own.
The stable ones are listed in shared API.md ("Configuration").
"""

import ipaddress
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

from geo.points import LE_HAVRE_AREA, ServiceArea

ENVIRONMENTS = ("development", "test", "production")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Development without SECRET_KEY: one key for the checkout, shared by every process (every
# gunicorn worker, every `flask` command), kept out of git (.gitignore) with mode 600.
DEV_SECRET_FILE = os.path.join(ROOT, ".dev", "secret_key")


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def _integer(name, raw):
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} doit être un nombre entier (reçu {raw!r}).") from exc


def _text(name, raw):
    return raw


def _area(name, raw):
    return ServiceArea.parse(raw)


def _speed(name, raw):
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = 0.0
    if not 0.2 <= value <= 3.0:
        raise ConfigError(f"{name} doit être une vitesse de marche en mètres par seconde, "
                          f"entre 0.2 et 3 (reçu {raw!r}).")
    return value


def _timezone(name, raw):
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{name} doit être un fuseau horaire comme Europe/Paris "
                          f"(reçu {raw!r}).") from exc


def _service_url(name, raw):
    """An http(s) address of an outside service, or `none` for none (kept as "")."""
    if raw.lower() == "none":
        return ""
    if not raw.startswith(("http://", "https://")):
        raise ConfigError(f"{name} doit être une adresse http(s) ou « none » (reçu {raw!r}).")
    return raw


def _networks(name, raw):
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False)
                     for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} : adresse ou réseau invalide ({exc}).") from exc


def _one_of(*choices):
    def parse(name, raw):
        if raw not in choices:
            raise ConfigError(f"{name} doit valoir {' ou '.join(choices)} (reçu {raw!r}).")
        return raw
    return parse


@dataclass(frozen=True)
class Setting:
    """One setting read from the environment."""

    name: str
    parse: object  # (name, raw text) -> value
    default: object  # when unset, outside development or where by_env says nothing
    doc: str
    by_env: dict | None = None  # {environment name: default there}

    def default_for(self, environment):
        return (self.by_env or {}).get(environment, self.default)


# Development points at public services so that a fresh `make run` shows streets and finds
# addresses; production chooses its own (OSM's usage policy rules out heavy use of their
# tiles, and typed addresses may be people's), tests use none or a local stub.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = ('© <a href="https://www.openstreetmap.org/copyright">les contributeurs '
                   "d'OpenStreetMap</a>")
GEOPLATEFORME_SEARCH = "https://data.geopf.fr/geocodage/search"


SETTINGS = (
    Setting("SERVICE_AREA", _area, LE_HAVRE_AREA,
            "minlon,minlat,maxlon,maxlat of the territory served; points outside are refused"),
    Setting("TILE_URL", _service_url, "", "map tile URL template; none = no tiles "
            "(markers on a plain background)", by_env={"development": OSM_TILES}),
    Setting("TILE_ATTRIBUTION", _text, "", "attribution shown with the tiles (HTML); empty = "
            "OpenStreetMap's with the default tiles"),
    Setting("GEOCODER_URL", _service_url, "", "address search endpoint (Géoplateforme / BAN "
            "compatible); none = no geocoding", by_env={"development": GEOPLATEFORME_SEARCH}),
    Setting("RELAY_MAX_RADIUS_M", _integer, 5000, "largest action radius a relay may declare"),
    Setting("MAX_UPLOAD_MB", _integer, 20, "largest upload through the web (the CLI has none)"),
    Setting("API_MAX_BODY_KB", _integer, 64, "largest JSON body the API reads (413 past it)"),
    Setting("HSDS_COUNT_TTL_S", _integer, 60,
            "the number of active services /hsds gives is counted again after this long",
            by_env={"test": 0}),
    Setting("RETENTION_DAYS", _integer, 730, "personal data kept after the last contact"),
    Setting("ACCESS_LOG_DAYS", _integer, 365, "access log kept"),
    Setting("TRUSTED_PROXIES", _integer, 0, "reverse proxies that set X-Forwarded-For"),
    Setting("SMTP_URL", _text, "", "outgoing mail server; empty = notifications stored, not sent"),
    Setting("MAIL_FROM", _text, "bienveilleurs@localhost", "sender of the e-mails"),
    Setting("ACCESSIBILITY_CONTACT", _text, "",
            "where people report an accessibility problem (e-mail); empty = MAIL_FROM"),
    Setting("BASE_URL", _text, "http://127.0.0.1:5000", "public address, for links in e-mails"),
    Setting("NOTIFY_MAX_ATTEMPTS", _integer, 8, "delivery attempts of one e-mail"),
    Setting("NOTIFY_BACKOFF_S", _integer, 60, "first wait after a failed delivery (doubled)"),
    Setting("SMTP_TIMEOUT_S", _integer, 15, "time-out of one conversation with the mail server"),
    Setting("SESSION_ABSOLUTE_HOURS", _integer, 12, "a session ends this long after sign-in"),
    Setting("SESSION_IDLE_MINUTES", _integer, 120, "a session ends after this long unused"),
    Setting("LOGIN_FREE_ATTEMPTS", _integer, 5, "failed sign-ins before delays start"),
    Setting("LOGIN_MAX_DELAY_S", _integer, 900, "longest delay after failed sign-ins"),
    Setting("DEVICE_COOKIE_DAYS", _integer, 180,
            "a browser that signed in is known this long (its own sign-in failures only)"),
    Setting("PASSWORD_RESET_MINUTES", _integer, 120, "validity of a password reset link"),
    Setting("RESET_FREE_REQUESTS", _integer, 3, "reset requests per address before delays"),
    Setting("CANDIDACY_FREE_REQUESTS", _integer, 3,
            "candidacies per e-mail recipient (four times as many per client address) before "
            "delays"),
    Setting("STALE_UNASSIGNED_HOURS", _integer, 48, "a reported referral nobody took is waiting"),
    Setting("STALE_NO_CONTACT_DAYS", _integer, 7,
            "an assigned referral without contact is waiting"),
    Setting("STALE_NO_ANSWER_DAYS", _integer, 10, "a referred referral without answer is waiting"),
    Setting("FOLLOW_UP_DAYS", _integer, 30, "days after a closure when the relay calls back"),
    Setting("STATS_MIN_CELL", _integer, 5,
            "smallest count an indicator may show; smaller non-zero counts are suppressed"),
    Setting("REFERRAL_EXPIRY_DAYS", _integer, 14,
            "a referral the resource never answered is sent back (flask referrals expire)"),
    Setting("STRUCTURE_LINK_DAYS", _integer, 21,
            "how long a structure's one-time link to a referral stays valid"),
    Setting("CAMPAIGN_MAX_ATTEMPTS", _integer, 3,
            "unanswered calls before a check-in is escalated to the coordinators"),
    Setting("CAMPAIGN_MAX_CHECKS_PER_RELAY", _integer, 15,
            "most checks one relay is given when a campaign starts"),
    Setting("COVERAGE_CELL_M", _integer, 250, "side of a cell of the coverage map"),
    Setting("COVERAGE_SRID", _integer, 2154, "metric projection of the coverage grid (Lambert-93)"),
    Setting("TERRITORY_MAX_POINTS", _integer, 20_000,
            "most points in one territory's outline (a longer one is refused, never simplified)"),
    Setting("TERRITORIES_PER_IMPORT", _integer, 1000, "most territories in one GeoJSON file"),
    Setting("TERRITORIES_MAX", _integer, 1000, "most territories in all (an import past it is "
            "refused)"),
    Setting("IMPORT_WEB_MAX_RECORDS", _integer, 20_000,
            "most records of one import through the web page (the CLI has no limit)"),
    Setting("IMPORT_WEB_MAX_GEOCODED", _integer, 200,
            "most addresses geocoded by one import through the web page (others: no position)"),
    Setting("ROUTING", _one_of("walk", "none"), "walk",
            "walk = walking times on the imported street network (when there is one); "
            "none = straight-line distances"),
    Setting("WALK_SPEED_M_S", _speed, 1.1, "walking speed for walk_s, in metres per second"),
    Setting("CITY_TIMEZONE", _timezone, ZoneInfo("Europe/Paris"),
            "time zone of opening hours (open now, opens at)"),
    Setting("IMPORT_UPLOAD_DIR", _text, "", "where uploaded imports wait for confirmation; "
            "empty = a folder in the system's temporary directory"),
    # --- operations (docs/deploy.md)
    Setting("DATABASE_REPLICA_URL", _text, "",
            "read-only PostGIS standby used by read-only requests; empty = none"),
    Setting("REPLICA_MAX_LAG_S", _integer, 5,
            "a standby further behind than this is not read; reads go to the primary"),
    Setting("DATABASE_POOLER", _one_of("", "pgbouncer"), "",
            "pgbouncer = connections go through PgBouncer in transaction pooling mode "
            "(the driver's automatic prepared statements are turned off)"),
    Setting("LOG_FORMAT", _one_of("text", "json"), "text",
            "json = one JSON object per line, with the request id"),
    Setting("METRICS_TOKEN", _text, "", "bearer token that may read /metrics; empty = none"),
    Setting("METRICS_ALLOW", _networks, (),
            "addresses or networks (comma-separated) that may read /metrics without a token"),
    Setting("DATABASE_DIRECT_URL", _text, "", "PostgreSQL itself when DATABASE_URL goes through "
            "PgBouncer: backups (pg_dump) connect there; empty = DATABASE_URL"),
    Setting("BACKUP_DIR", _text, "", "where backups and the journal of erasures are kept; "
            "empty = no journal job"),
    Setting("BACKUP_AGE_RECIPIENTS", _text, "",
            "age public keys (comma-separated) backups are encrypted to; empty = not encrypted"),
)
DECLARED = {s.name: s for s in SETTINGS}


def setting(name):
    """Return the value of a declared setting: the application's, or its default outside one."""
    declared = DECLARED[name]  # KeyError: declare it in SETTINGS first
    if has_app_context():
        return current_app.config[name]
    return declared.default


def load_config(env=None):
    """Build the Flask config mapping from environment variables."""
    env = os.environ if env is None else env
    name = env.get("BIENVEILLEURS_ENV", "development").strip() or "development"
    if name not in ENVIRONMENTS:
        raise ConfigError(f"BIENVEILLEURS_ENV doit valoir {', '.join(ENVIRONMENTS)} "
                          f"(reçu {name!r}).")
    production = name == "production"

    secret = env.get("SECRET_KEY", "")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY est obligatoire quand BIENVEILLEURS_ENV=production.")
        # Tests give their own key; a per-process one is enough for a lone test process.
        secret = (development_secret(DEV_SECRET_FILE) if name == "development"
                  else secrets.token_hex(32))

    database_url = env.get("DATABASE_URL", "")
    if not database_url:
        raise ConfigError("DATABASE_URL n'est pas défini (make run / make test le fournissent).")
    if database_url.startswith(("postgresql://", "postgres://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    config = {}
    for declared in SETTINGS:
        raw = env.get(declared.name, "").strip()
        config[declared.name] = (declared.parse(declared.name, raw) if raw
                                 else declared.default_for(name))
    config["BASE_URL"] = config["BASE_URL"].rstrip("/")
    config["ACCESSIBILITY_CONTACT"] = config["ACCESSIBILITY_CONTACT"] or config["MAIL_FROM"]
    if not config["TILE_ATTRIBUTION"] and config["TILE_URL"] == OSM_TILES:
        config["TILE_ATTRIBUTION"] = OSM_ATTRIBUTION
    config["CONFIG_WARNINGS"] = []
    if production and not env.get("TILE_URL", "").strip():
        config["CONFIG_WARNINGS"].append(
            "TILE_URL n'est pas défini : les cartes s'affichent sans fond de plan. Indiquez le "
            "serveur de tuiles choisi par la ville (TILE_URL=https://…/{z}/{x}/{y}.png), ou "
            "TILE_URL=none pour s'en passer.")
    config.update(flask_settings(config, name=name, secret=secret, database_url=database_url))
    return config


def development_secret(path):
    """Read the key kept in `path`, or create it (mode 600) if nobody has yet.

    Several processes may start at once: the key is written to a private temporary file,
    then linked into place, which fails if another process got there first; the loser
    reads the winner's key. A key file readable by others is made private again.
    """
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return _read_secret(path)


def _read_secret(path):
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)
    with open(path, encoding="ascii") as handle:
        secret = handle.read().strip()
    if len(secret) < 32:
        raise ConfigError(f"La clé de session de développement ({path}) est trop courte : "
                          "supprimez le fichier pour qu'une nouvelle soit créée.")
    return secret


def engine_options(config):
    """SQLAlchemy's engine options: the pool, and what PgBouncer needs."""
    connect = {"connect_timeout": 10}
    if config["DATABASE_POOLER"] == "pgbouncer":
        # Transaction pooling hands each transaction any server connection: a statement
        # prepared on one is unknown on the next (PgBouncer 1.18 does not track them).
        connect["prepare_threshold"] = None
    # hide_parameters: an error's text never repeats the values (names, phones, points).
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10, "hide_parameters": True,
            "connect_args": connect}


def flask_settings(config, *, name, secret, database_url):
    """Return the settings Flask and its extensions read, derived from ours."""
    production = name == "production"
    return {
        "ENV_NAME": name,
        "TESTING": name == "test",
        "DEBUG": False,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(config),
        "MAX_CONTENT_LENGTH": config["MAX_UPLOAD_MB"] * 1024 * 1024,
        # Sessions: cookie hardening; __Host- requires Secure and no Domain, so production only.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "bv_session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "HSTS": production,
    }
