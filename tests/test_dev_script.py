"""`make run` on a machine where another apt or dpkg is running: scripts/dev.sh waits for
apt's locks, saying so in French, instead of stopping at once with apt's « Error 100 »."""

import fcntl
import os
import pathlib
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def wait_apt(lock, **env):
    return subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "dev.sh"), "wait-apt"], cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "APT_LOCKS": str(lock), "APT_WAIT_STEP_S": "1", **env})


def held(path):
    path.touch()
    descriptor = os.open(path, os.O_RDWR)
    fcntl.lockf(descriptor, fcntl.LOCK_EX)  # as apt and dpkg take theirs
    return descriptor


def test_the_script_waits_while_apt_is_busy_then_goes_on(tmp_path):
    lock = tmp_path / "lock-frontend"
    descriptor = held(lock)
    waiting = wait_apt(lock, APT_WAIT_S="60")
    time.sleep(2.5)
    assert waiting.poll() is None  # still waiting
    os.close(descriptor)
    _, said = waiting.communicate(timeout=15)
    assert waiting.returncode == 0
    assert "Un autre programme d'installation (apt ou dpkg) est en cours" in said
    assert "apt est libre" in said


def test_the_script_gives_up_with_a_clear_message_when_apt_stays_busy(tmp_path):
    lock = tmp_path / "lock-frontend"
    descriptor = held(lock)
    try:
        waiting = wait_apt(lock, APT_WAIT_S="2")
        _, said = waiting.communicate(timeout=15)
    finally:
        os.close(descriptor)
    assert waiting.returncode == 1
    assert "relancez la commande quand elle sera finie" in said


def test_a_free_apt_is_not_waited_for(tmp_path):
    lock = tmp_path / "lock-frontend"
    lock.touch()
    started = time.monotonic()
    waiting = wait_apt(lock)
    _, said = waiting.communicate(timeout=15)
    assert waiting.returncode == 0 and said == ""
    assert time.monotonic() - started < 2


def test_a_cluster_whose_port_another_holds_starts_on_the_next_free_one(tmp_path):
    """Two checkouts whose paths give the same port: the second cluster takes the next free
    one, remembers it, and the URL it prints reaches it (it once went on with a dead one)."""
    import errno
    import re
    import shutil
    import socket

    import psycopg

    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "dev.sh", checkout / "scripts" / "dev.sh")
    checksum = subprocess.run(["cksum"], input=str(checkout), capture_output=True, text=True,
                              check=True).stdout.split()[0]
    derived = 55000 + int(checksum) % 1000
    holder = socket.socket()
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BV_PGPORT"}}
    pgdata = None
    try:
        try:
            holder.bind(("127.0.0.1", derived))
            holder.listen()
        except OSError as taken:  # another process of this machine holds it already: as good
            if taken.errno != errno.EADDRINUSE:
                raise
        run = subprocess.run(["bash", str(checkout / "scripts" / "dev.sh"), "db"], cwd=checkout,
                             capture_output=True, text=True, env=environment, timeout=180)
        created = re.search(r"Création du cluster PostGIS local \((\S+)\)", run.stderr)
        pgdata = created and created.group(1)
        assert run.returncode == 0, run.stderr
        url = run.stdout.strip().splitlines()[-1]
        port = int(re.search(r"@127\.0\.0\.1:(\d+)/", url).group(1))
        assert port != derived
        assert pathlib.Path(pgdata + ".port").read_text() == str(port)
        with psycopg.connect(url.replace("+psycopg", "")) as connection:
            assert connection.execute("select 1").fetchone() == (1,)
    finally:
        holder.close()
        if pgdata:
            runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            version = max(pathlib.Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name))
            subprocess.run([*runner, str(version / "bin" / "pg_ctl"), "-D", pgdata, "-m",
                            "immediate", "stop"], capture_output=True)
            subprocess.run(["rm", "-rf", pgdata, pgdata + ".password", pgdata + ".port"])
