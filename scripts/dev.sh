#!/usr/bin/env bash
# Set up everything a fresh Debian machine lacks, then run or test the app.
#   scripts/dev.sh system   Debian packages (PostgreSQL, PostGIS, Chromium for the browser tests)
#   scripts/dev.sh venv     the virtualenv with the project and its test tools
#   scripts/dev.sh db       start the local PostGIS cluster (unless DATABASE_URL is set)
#   scripts/dev.sh run      all of the above, migrate, load demo data if empty, serve
#   scripts/dev.sh test     all of the above, then the whole test suite
#   scripts/dev.sh wait-apt wait while another apt or dpkg holds apt's locks
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(…) stops the script too

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=${VENV:-$ROOT/.venv}
STATE=$ROOT/.dev
mkdir -p "$STATE"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- Debian packages --------------------------------------------------------
# apt stops at once ("Error 100") while another apt or dpkg holds its locks (an automatic
# update, another terminal): wait for them, saying so. /proc/locks is read, never a lock taken.
APT_LOCKS=${APT_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}
APT_WAIT_S=${APT_WAIT_S:-600}
APT_WAIT_STEP_S=${APT_WAIT_STEP_S:-5}

apt_busy() {
    local lock inode
    for lock in $APT_LOCKS; do
        [ -e "$lock" ] || continue
        inode=$(stat -c %i "$lock")
        # A line of /proc/locks: "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF".
        awk -v inode="$inode" '{ n = split($6, f, ":"); if (f[n] == inode) held = 1 }
                               END { exit !held }' /proc/locks && return 0
    done
    return 1
}

wait_for_apt() {
    apt_busy || return 0
    local waited=0
    say "Un autre programme d'installation (apt ou dpkg) est en cours : attente de sa fin (au plus $((APT_WAIT_S / 60)) min)"
    while apt_busy; do
        if [ "$waited" -ge "$APT_WAIT_S" ]; then
            echo "L'autre installation occupe toujours apt après $((APT_WAIT_S / 60)) min :" \
                 "relancez la commande quand elle sera finie." >&2
            exit 1
        fi
        sleep "$APT_WAIT_STEP_S"
        waited=$((waited + APT_WAIT_STEP_S))
        if [ $((waited % 60)) -eq 0 ]; then echo "    … toujours en attente ($((waited / 60)) min)" >&2; fi
    done
    say "apt est libre : l'installation continue"
}

apt_get() {
    wait_for_apt
    # The lock timeout covers another apt starting between the wait and this command.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_WAIT_S" "$@"
}

system() {
    local missing=()
    ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
    ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing+=(postgresql-postgis)
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
    # WeasyPrint (booklets in PDF) needs Pango and HarfBuzz's subsetter, and a font.
    ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
    ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || missing+=(libharfbuzz-subset0)
    ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
    if [ "${1:-}" = test ]; then
        command -v chromium >/dev/null || missing+=(chromium)
        command -v pdftoppm >/dev/null || missing+=(poppler-utils)
        # The deployment tests (tests/deploy/): nginx in front of gunicorn, PgBouncer, the
        # units checked by systemd-analyze, backups encrypted with age, a throwaway certificate.
        [ -x /usr/sbin/nginx ] || missing+=(nginx)
        [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
        command -v systemd-analyze >/dev/null || missing+=(systemd)
        command -v age >/dev/null || missing+=(age)
        command -v openssl >/dev/null || missing+=(openssl)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        say "Installation des paquets Debian : ${missing[*]}"
        apt_get update -qq
        # postgresql-postgis pulls the extension built for Debian's default server version.
        apt_get install -y -qq "${missing[@]}" >/dev/null
        # The tests start nginx and PgBouncer of their own: not the services Debian enables.
        for service in nginx pgbouncer; do
            if [[ " ${missing[*]} " == *" $service "* ]] && [ -d /run/systemd/system ]; then
                as_root systemctl disable --now "$service" >/dev/null 2>&1 || true
            fi
        done
    fi
    # pgRouting (walking times on the street network), built for the server installed.
    local version
    version=$(pg_version)
    if [ -n "$version" ] && [ ! -f "/usr/share/postgresql/$version/extension/pgrouting.control" ]; then
        say "Installation de pgRouting (postgresql-$version-pgrouting)"
        [ ${#missing[@]} -gt 0 ] || as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            "postgresql-$version-pgrouting" >/dev/null
    fi
}

pg_version() {
    ls -d /usr/lib/postgresql/*/bin/pg_ctl | sed -E 's#.*/postgresql/([0-9]+)/bin/pg_ctl#\1#' | sort -n | tail -1
}

# --- virtualenv -------------------------------------------------------------
venv() {
    local stamp=$VENV/.installed
    if [ ! -x "$VENV/bin/python" ]; then
        say "Création de l'environnement Python ($VENV)"
        python3 -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        say "Installation des dépendances Python (journal : .dev/pip.log)"
        "$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
        # pip's and setuptools' own warnings go to the log, shown only when something fails.
        if ! "$VENV/bin/pip" install -q -e ".[test]" >"$STATE/pip.log" 2>&1 \
                || ! "$VENV/bin/python" -c 'import bienveilleurs, flask_migrate, geoalchemy2, playwright' \
                    2>>"$STATE/pip.log"; then
            tail -n 30 "$STATE/pip.log" >&2
            echo "L'installation des dépendances a échoué (journal complet : .dev/pip.log)." >&2
            exit 1
        fi
        touch "$stamp"
    fi
}

# --- local PostGIS cluster --------------------------------------------------
# The first port from $1 on that nothing listens on (127.0.0.1), up to 200 further.
free_port() {
    python3 - "$1" <<'PY'
import socket, sys
start = int(sys.argv[1])
for port in range(start, start + 200):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit(f"Aucun port libre entre {start} et {start + 199}.")
PY
}

# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# `postgres` system user; its data directory must be reachable by that user,
# which a checkout under /root is not.
db() {
    if [ -n "${DATABASE_URL:-}" ]; then
        echo "$DATABASE_URL"
        return
    fi
    local bin runner=() owner pgdata port sock
    bin=/usr/lib/postgresql/$(pg_version)/bin
    port=${BV_PGPORT:-$(( 55000 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 1000 ))}
    if [ "$(id -u)" -eq 0 ]; then
        owner=postgres
        runner=(runuser -u postgres -- env --chdir=/)
        if runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
            pgdata=$ROOT/.pgdata
        else
            pgdata=/var/lib/postgresql/bienveilleurs/$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
        fi
    else
        owner=$(id -un)
        pgdata=$ROOT/.pgdata
    fi
    sock=$pgdata/run
    # The password lives beside the cluster (mode 600), so that a fresh clone of the same
    # folder finds the cluster it left outside the checkout usable again.
    local pwstore=$pgdata.password
    if [ ! -s "$pwstore" ] && [ -s "$STATE/pg_password" ] && [ -f "$pgdata/PG_VERSION" ]; then
        (umask 077; cp "$STATE/pg_password" "$pwstore")  # clusters made before this layout
    fi
    if [ -f "$pgdata/PG_VERSION" ] && [ ! -s "$pwstore" ]; then
        if [ "${pgdata#"$ROOT"/}" = "$pgdata" ]; then
            say "Cluster local sans mot de passe connu ($pgdata) : il est recréé"
            "${runner[@]}" "$bin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true
            rm -rf "$pgdata"
        else
            echo "Le cluster $pgdata existe mais son mot de passe ($pwstore) est perdu :" \
                 "supprimez ce dossier pour le recréer." >&2
            exit 1
        fi
    fi
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        say "Création du cluster PostGIS local ($pgdata)"
        mkdir -p "$pgdata"
        [ "$owner" = postgres ] && chown postgres: "$pgdata"
        chmod 700 "$pgdata"
        # A random password, so that a dev cluster on a shared machine is not open to
        # every local user; initdb (run as the cluster owner) reads it from a short-lived file.
        local pw pwfile
        pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
        pwfile=$(mktemp /tmp/bv-pw.XXXXXX)
        printf '%s\n' "$pw" > "$pwfile"
        [ "$owner" = postgres ] && chown postgres: "$pwfile"
        "${runner[@]}" "$bin/initdb" -D "$pgdata" -U bienveilleurs --pwfile="$pwfile" \
            --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwfile"
        (umask 077; printf '%s' "$pw" > "$pwstore")
        "${runner[@]}" mkdir -p "$sock"
    fi
    # The port the cluster was last started on lives beside it too (another checkout's
    # cluster may hold the one derived from the path: then the next free one is taken).
    local portstore=$pgdata.port
    if [ -z "${BV_PGPORT:-}" ] && [ -s "$portstore" ]; then
        port=$(cat "$portstore")
    fi
    if ! "${runner[@]}" "$bin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        if [ -z "${BV_PGPORT:-}" ]; then
            port=$(free_port "$port")
        fi
        say "Démarrage de PostgreSQL (port $port)"
        if ! "${runner[@]}" "$bin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 \
            -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null; then
            echo "PostgreSQL n'a pas pu démarrer (port $port) ; fin de son journal" \
                 "($pgdata/server.log) :" >&2
            "${runner[@]}" tail -n 15 "$pgdata/server.log" >&2 || true
            exit 1
        fi
        printf '%s' "$port" > "$portstore"
    fi
    # Kept for the tools and colleagues that read it there.
    cp "$pwstore" "$STATE/pg_password" && chmod 600 "$STATE/pg_password"
    local pw url
    pw=$(cat "$pwstore")
    url="postgresql+psycopg://bienveilleurs:$pw@127.0.0.1:$port"
    if ! PGPASSWORD=$pw psql -h 127.0.0.1 -p "$port" -U bienveilleurs -d postgres -Atqc \
            "select 1 from pg_database where datname='bienveilleurs'" | grep -q 1; then
        PGPASSWORD=$pw psql -h 127.0.0.1 -p "$port" -U bienveilleurs -d postgres -qc \
            "create database bienveilleurs" >/dev/null
    fi
    echo "$url/bienveilleurs"
}

# The same file the app itself reads or creates in development without SECRET_KEY
# (bienveilleurs/config.py, development_secret): one key for the checkout, mode 600.
dev_secret() {
    if [ ! -f "$STATE/secret_key" ]; then
        (umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' > "$STATE/secret_key")
    fi
    chmod 600 "$STATE/secret_key"
    cat "$STATE/secret_key"
}

flask_() { "$VENV/bin/flask" --app wsgi "$@"; }

run() {
    system
    venv
    DATABASE_URL=${DATABASE_URL:-$(db)}
    export DATABASE_URL
    export SECRET_KEY=${SECRET_KEY:-$(dev_secret)}
    export BIENVEILLEURS_ENV=${BIENVEILLEURS_ENV:-development}
    local port=${PORT:-5000}
    export BASE_URL=${BASE_URL:-http://127.0.0.1:$port}
    say "Migration du schéma"
    # Alembic logs each step: kept in .dev/migrate.log, shown only when the migration fails.
    if ! flask_ db upgrade >"$STATE/migrate.log" 2>&1; then
        cat "$STATE/migrate.log" >&2
        echo "La migration du schéma a échoué (journal : .dev/migrate.log)." >&2
        exit 1
    fi
    say "Données de démonstration"
    flask_ demo load --if-empty
    flask_ demo accounts
    say "Bienveilleurs sur http://127.0.0.1:$port (Ctrl-C pour arrêter)"
    exec "$VENV/bin/gunicorn" --bind "127.0.0.1:$port" --workers 2 --threads 4 \
        --access-logformat '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms' \
        --access-logfile - wsgi:app
}

test_() {
    system test
    venv
    DATABASE_URL=${DATABASE_URL:-$(db)}
    export DATABASE_URL
    export BIENVEILLEURS_ENV=test
    unset SECRET_KEY
    say "Vérification du code (ruff)"
    "$VENV/bin/ruff" check --quiet . || { echo "ruff a trouvé des problèmes : corrigez-les avant les tests." >&2; exit 1; }
    "$VENV/bin/python" -m pytest "$@"
}

case "${1:-}" in
    system) system "${2:-}" ;;
    wait-apt) wait_for_apt ;;
    venv) venv ;;
    db) system; db ;;
    run) run ;;
    test) shift; test_ "$@" ;;
    *) echo "usage: $0 system|venv|db|run|test [pytest args]|wait-apt" >&2; exit 2 ;;
esac
