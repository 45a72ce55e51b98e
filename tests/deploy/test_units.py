"""The systemd units of deploy/systemd/ pass `systemd-analyze verify` (with their paths
pointing at this checkout), without a single warning, and agree with the code."""

import re
from datetime import timedelta

from bienveilleurs import ROOT
from bienveilleurs.services.jobs.registry import DEFAULT_LEASE

from .conftest import run, tool
from .servers import INSTALLED, UNITS, unit_setting

ENV_FILE = "/etc/bienveilleurs/bienveilleurs.env"


def test_the_units_pass_systemd_analyze_verify_without_a_warning(tmp_path):
    verify = tool("systemd-analyze")
    env = tmp_path / "bienveilleurs.env"
    env.write_text((UNITS.parent / "bienveilleurs.env.example").read_text())
    names = []
    for unit in sorted(UNITS.iterdir()):
        text = unit.read_text().replace(f"{INSTALLED}/.venv", f"{ROOT}/.venv")
        text = text.replace(INSTALLED, ROOT).replace(ENV_FILE, str(env))
        (tmp_path / unit.name).write_text(text)
        names.append(unit.name)
    assert {"bienveilleurs-web.service", "bienveilleurs-web.socket", "bienveilleurs-jobs.service",
            "bienveilleurs-jobs.timer", "bienveilleurs-mail.service"} <= set(names)
    result = run([verify, "verify", "--man=no", *names], cwd=tmp_path)
    assert result.stderr.strip() == "" and result.stdout.strip() == ""


def test_the_units_agree_with_the_code():
    for unit in UNITS.glob("*.service"):
        assert unit_setting(unit.name, "EnvironmentFile") == [ENV_FILE], unit.name
        assert unit_setting(unit.name, "User") == ["bienveilleurs"], unit.name
    web = unit_setting("bienveilleurs-web.service", "ExecStart")[0]
    assert f"--config {INSTALLED}/deploy/gunicorn.conf.py wsgi:app" in web
    assert unit_setting("bienveilleurs-web.service", "ExecReload") == ["/bin/kill -s HUP $MAINPID"]
    socket = unit_setting("bienveilleurs-web.socket", "ListenStream")
    assert socket == ["/run/bienveilleurs/web.sock"]
    # The timer runs the jobs every minute; a pass is stopped before a job's lease runs out.
    assert unit_setting("bienveilleurs-jobs.timer", "OnCalendar") == ["*-*-* *:*:00"]
    assert unit_setting("bienveilleurs-jobs.service", "ExecStart")[0].endswith("jobs run")
    timeout = unit_setting("bienveilleurs-jobs.service", "TimeoutStartSec")[0]
    assert timedelta(minutes=int(re.fullmatch(r"(\d+)min", timeout).group(1))) < DEFAULT_LEASE
    run(["sh", "-n", str(UNITS.parent / "bienveilleurs")])
