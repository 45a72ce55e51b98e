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
