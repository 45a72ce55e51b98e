"""schemathesis over the served OpenAPI document, once per role, on the live server.

Every check (`--checks all`: no server error, status codes, content types, headers and
bodies as documented, schema-valid data accepted and schema-invalid data refused, the
stateful walk along the document's links, authentication…), a fixed seed and a bounded
number of examples per operation, so that the run is the same each time and fits in about
two minutes of `make test`. Any finding fails the test, with schemathesis's report (and a
curl command to reproduce it). What the tool cannot know (rules that depend on the data,
the time or a grammar) is said with its reason in tests/schemathesis_hooks.py.

`make fuzz` runs the same, deeper and unseeded (FUZZ_EXAMPLES, FUZZ_SEED).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bienveilleurs.services import accounts, demo

ROOT = Path(__file__).resolve().parents[1]
ROLES = {
    "admin": "admin@demo.bienveilleurs.fr",
    "coordinator": "coordination@demo.bienveilleurs.fr",
    "relay": "relais@demo.bienveilleurs.fr",
    "social_worker": "social@demo.bienveilleurs.fr",
    "anonymous": None,
}
SEED = int(os.environ.get("FUZZ_SEED", "20261207") or 0) or None
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
# The coverage phase (every boundary of every value: about 2,000 requests a role, whatever
# EXAMPLES says; two thirds of the run's time) runs for the role that may write the most in
# `make test`, for all in `make fuzz` (FUZZ_COVERAGE=all), for none with FUZZ_COVERAGE=none.
COVERAGE_ROLES = {"all": list(ROLES), "none": []}.get(os.environ.get("FUZZ_COVERAGE", ""),
                                                      ["coordinator"])


@pytest.fixture(scope="module")
def demo_world(app, live_server):
    """The demonstration data, committed (the live server reads it), and one token a role."""
    from .conftest import truncate_all
    truncate_all(app)
    with app.app_context():
        demo.load()
        tokens = {role: accounts.issue_token(email, label="fuzz") if email else None
                  for role, email in ROLES.items()}
        tokens["operations"] = sum(
            method in {"get", "post", "put", "patch", "delete"}
            for item in app.test_client().get("/api/v1/openapi.json").get_json()["paths"].values()
            for method in item)
    yield tokens
    truncate_all(app)


def schemathesis_command(url, token, *, coverage):
    command = [str(Path(sys.executable).with_name("st")),
               "--config-file", str(ROOT / "tests" / "schemathesis.toml"), "--no-color",
               "run", f"{url}/api/v1/openapi.json", "--checks", "all",
               "--max-examples", str(EXAMPLES), "--phases",
               "examples,coverage,fuzzing,stateful" if coverage else "examples,fuzzing,stateful",
               "--request-timeout", "20",
               "--suppress-health-check", "all", "--workers", "1"]
    if SEED is not None:
        command += ["--seed", str(SEED), "--generation-deterministic"]
    else:
        command += ["--generation-database", "none"]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    return command


@pytest.mark.committed
@pytest.mark.parametrize("role", list(ROLES))
def test_schemathesis_finds_nothing(role, demo_world, live_server, tmp_path):
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
           "PYTHONPATH": str(ROOT), "FUZZ_DROPPED_LOG": str(tmp_path / "dropped.jsonl")}
    started = time.monotonic()
    command = schemathesis_command(live_server.url, demo_world[role],
                                   coverage=role in COVERAGE_ROLES)
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=1800)
    elapsed = time.monotonic() - started
    report = run.stdout[-20_000:] + run.stderr[-5_000:]
    print(f"schemathesis ({role}) : {elapsed:.0f} s\n{report[-3000:]}")
    assert run.returncode == 0, report
    # every operation of the served document was exercised
    assert f"Tested: {demo_world['operations']}" in run.stdout
