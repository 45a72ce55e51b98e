"""`flask --app wsgi deploy nginx`: the nginx site of deploy/nginx/, filled for this server.

The body limit comes from MAX_UPLOAD_MB and the static folder from the installed code, so
that nginx and the app never disagree (docs/deploy.md, step « nginx »).
"""

import os
import re

import click
from flask import current_app
from flask.cli import AppGroup

from .. import ROOT
from ..config import setting

group = AppGroup("deploy", help="Fichiers de déploiement (dossier deploy/).")

NGINX_TEMPLATE = os.path.join(ROOT, "deploy", "nginx", "bienveilleurs.conf")
SERVER_NAMES = re.compile(r"^[A-Za-z0-9.-]+( [A-Za-z0-9.-]+)*$")
SAFE_VALUE = re.compile(r"^[^\s;{}'\"]+$")


def render_nginx(*, server_name, certificate, certificate_key, upstream, static_dir,
                 max_upload_mb, listen_https="443", listen_http="80", log_dir="/var/log/nginx"):
    """Return the nginx site with every {{FIELD}} filled; refuse values nginx would misread.

    A bare port listens on every address, IPv4 and IPv6; an address:port only there.
    """
    values = {"SERVER_NAME": server_name, "TLS_CERTIFICATE": certificate,
              "TLS_CERTIFICATE_KEY": certificate_key, "UPSTREAM": upstream,
              "STATIC_DIR": static_dir.rstrip("/"), "MAX_UPLOAD_MB": int(max_upload_mb),
              "LISTEN_HTTPS": listen_https, "LISTEN_HTTP": listen_http, "LOG_DIR": log_dir}
    if not SERVER_NAMES.match(server_name):
        raise click.BadParameter(f"nom de serveur invalide : {server_name!r}")
    for name, value in values.items():
        if name != "SERVER_NAME" and not SAFE_VALUE.match(str(value)):
            raise click.BadParameter(f"{name} : valeur invalide {value!r}")
    with open(NGINX_TEMPLATE, encoding="utf-8") as handle:
        lines = handle.read().splitlines(keepends=True)
    for name in ("LISTEN_HTTPS", "LISTEN_HTTP"):
        port = str(values[name])
        if port.isdigit():
            values[f"{name}_V6"] = f"[::]:{port}"
        else:
            lines = [line for line in lines if "{{" + name + "_V6}}" not in line]
    text = "".join(lines)
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", str(value))
    left = sorted(set(re.findall(r"\{\{(\w+)\}\}", text)))
    if left:
        raise click.ClickException(f"champs non remplis dans le modèle : {', '.join(left)}")
    return text


@group.command("nginx")
@click.option("--server-name", required=True, help="Nom(s) du site, ex. bienveilleurs.ville.fr")
@click.option("--certificate", help="Certificat TLS (défaut : celui de Let's Encrypt).")
@click.option("--certificate-key", help="Sa clé privée (défaut : celle de Let's Encrypt).")
@click.option("--upstream", default="unix:/run/bienveilleurs/web.sock", show_default=True,
              help="Où écoute gunicorn.")
def nginx(server_name, certificate, certificate_key, upstream):
    """Print the nginx site for this server (MAX_UPLOAD_MB and the static folder filled in)."""
    first = server_name.split()[0]
    live = f"/etc/letsencrypt/live/{first}"
    click.echo(render_nginx(
        server_name=server_name, certificate=certificate or f"{live}/fullchain.pem",
        certificate_key=certificate_key or f"{live}/privkey.pem", upstream=upstream,
        static_dir=current_app.static_folder, max_upload_mb=setting("MAX_UPLOAD_MB")), nl=False)
