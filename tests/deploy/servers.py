"""Start the shipped gunicorn unit and nginx site on loopback, for the deployment tests."""

import os
import re
import shlex
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

from bienveilleurs import ROOT
from bienveilleurs.cli.deploy import render_nginx

from .conftest import free_port, run, tool

UNITS = Path(ROOT) / "deploy" / "systemd"
INSTALLED = "/opt/bienveilleurs"


def unit_setting(unit, key):
    """Return every value of `key=` in a unit file of deploy/systemd/."""
    text = (UNITS / unit).read_text()
    return [line.split("=", 1)[1].strip() for line in text.splitlines()
            if line.startswith(key + "=")]


def here(command_line):
    """A command line of a unit, with the installed paths pointing at this checkout."""
    venv = os.environ.get("VIRTUAL_ENV") or os.path.join(ROOT, ".venv")
    command_line = command_line.replace(f"{INSTALLED}/.venv", venv)
    return shlex.split(command_line.replace(INSTALLED, ROOT))


def wait_for_port(port, *, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped ({process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {seconds} s")


def stop(process, sig=signal.SIGTERM):
    """Stop a server started in a session of its own, with every process of its group."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Gunicorn:
    """gunicorn started with the web unit's ExecStart and Environment=, on a loopback port."""

    def __init__(self, folder, environment):
        self.port = free_port()
        self.log = folder / "gunicorn.log"
        env = {**os.environ, **environment}
        for assignment in unit_setting("bienveilleurs-web.service", "Environment"):
            name, value = assignment.split("=", 1)
            env[name] = value
        env["PROMETHEUS_MULTIPROC_DIR"] = str(folder / "metrics")  # /run is the unit's
        env["GUNICORN_BIND"] = f"127.0.0.1:{self.port}"
        command = here(unit_setting("bienveilleurs-web.service", "ExecStart")[0])
        self.handle = open(self.log, "w")  # closed in stop()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.handle,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_port(self.port, process=self.process)
            self.wait_until_serving()
        except BaseException:
            self.stop()
            raise

    def wait_until_serving(self, seconds=60):
        """The master listens at once; the workers answer once they have imported the app."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=seconds) as s:
                    s.sendall(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
                    if b" 200 " in s.recv(64).split(b"\r\n", 1)[0]:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn does not answer after {seconds} s")

    def workers(self):
        out = run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)]).stdout
        return sorted(int(pid) for pid in out.split())

    def stop(self):
        stop(self.process)
        self.handle.close()


def certificate(folder):
    """A throwaway certificate for localhost and 127.0.0.1; return (certificate, key)."""
    cert, key = folder / "site.crt", folder / "site.key"
    run([tool("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)])
    return cert, key


class Nginx:
    """Debian's nginx running the shipped site, filled for loopback ports."""

    def __init__(self, folder, *, upstream, static_dir, max_upload_mb):
        self.folder = folder
        self.port, self.http_port = free_port(), free_port()
        self.cert, key = certificate(folder)
        site = render_nginx(server_name="localhost", certificate=str(self.cert),
                            certificate_key=str(key), upstream=upstream, static_dir=static_dir,
                            max_upload_mb=max_upload_mb, listen_https=f"127.0.0.1:{self.port}",
                            listen_http=f"127.0.0.1:{self.http_port}", log_dir=str(folder))
        (folder / "site.conf").write_text(site)
        temp = "\n".join(f"    {kind}_temp_path {folder}/{kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # Root runs the workers as root here, so that they read the checkout's static files.
        user = "user root;" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temp}
    include {folder}/site.conf;
}}
""")
        nginx = tool("nginx")
        run([nginx, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf"),
             "-e", str(folder / "error.log")])
        self.process = subprocess.Popen(
            [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"),
             "-e", str(folder / "error.log")], start_new_session=True)
        try:
            wait_for_port(self.port, process=self.process)
        except BaseException:
            self.stop()
            raise
        self.url = f"https://localhost:{self.port}"

    def alpn(self):
        """The protocol nginx chooses when a client offers HTTP/2 and HTTP/1.1."""
        context = ssl.create_default_context(cafile=str(self.cert))
        context.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", self.port)) as raw, \
                context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.selected_alpn_protocol()

    def access_log(self):
        return (self.folder / "bienveilleurs.access.log").read_text()

    def stop(self):
        stop(self.process, signal.SIGQUIT)


def request_lines(log_path):
    """The JSON lines gunicorn's workers logged, as dicts (other lines left out)."""
    import json
    lines = []
    for line in Path(log_path).read_text().splitlines():
        if re.match(r"^\{.*\}$", line):
            lines.append(json.loads(line))
    return lines
