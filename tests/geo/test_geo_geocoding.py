"""Address search against a local stand-in for the BAN / Géoplateforme API."""

import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from geo.errors import GeocoderUnavailable
from geo.geocoding import BanGeocoder, Geocoder, GeocodeResult, NullGeocoder, make_geocoder

HOTEL_DE_VILLE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [0.107738, 49.493857]},
            "properties": {"label": "Place de l'Hôtel de Ville 76600 Le Havre", "score": 0.93},
        }
    ],
}


class FakeBan(BaseHTTPRequestHandler):
    """Answer according to the path, and remember the query string received."""

    requests = []

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        FakeBan.requests.append((url.path, urllib.parse.parse_qs(url.query), dict(self.headers)))
        if url.path == "/search":
            self.reply(200, json.dumps(HOTEL_DE_VILLE).encode())
        elif url.path == "/empty":
            self.reply(200, b'{"type": "FeatureCollection", "features": []}')
        elif url.path == "/error":
            self.reply(503, b"maintenance")
        elif url.path == "/bad-request":
            self.reply(400, b'{"code": 400, "message": "q must contain at least 3 chars"}')
        elif url.path == "/not-json":
            self.reply(200, b"<html>proxy error</html>")
        elif url.path == "/wrong-shape":
            self.reply(200, b'{"features": [{"geometry": null}]}')
        elif url.path == "/out-of-range":
            self.reply(200, b'{"features": [{"geometry": {"coordinates": [49.49, 200]},'
                            b' "properties": {"label": "x", "score": 1}}]}')
        elif url.path == "/slow":
            time.sleep(1.0)
            self.reply(200, json.dumps(HOTEL_DE_VILLE).encode())
        else:
            self.reply(404, b"")

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def ban_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBan)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def clear_requests():
    FakeBan.requests.clear()


def test_returns_the_first_match(ban_url):
    result = BanGeocoder(f"{ban_url}/search").geocode("  1 place de l'Hôtel de Ville   Le Havre ")
    assert result == GeocodeResult(
        lon=0.107738, lat=49.493857, label="Place de l'Hôtel de Ville 76600 Le Havre", score=0.93
    )
    ((path, query, headers),) = FakeBan.requests
    assert path == "/search"
    assert query == {"q": ["1 place de l'Hôtel de Ville Le Havre"], "limit": ["1"]}
    assert headers["Accept"] == "application/json"


def test_sends_the_bias_and_keeps_existing_parameters(ban_url):
    geocoder = BanGeocoder(f"{ban_url}/search?index=address", bias=(0.1079, 49.4944))
    assert geocoder.geocode("rue de Paris") is not None
    ((_, query, _),) = FakeBan.requests
    assert query["index"] == ["address"]
    assert query["lon"] == ["0.1079"] and query["lat"] == ["49.4944"]


def test_no_match_is_none(ban_url):
    assert BanGeocoder(f"{ban_url}/empty").geocode("zzzz introuvable") is None


def test_too_short_query_is_none_without_calling_the_service(ban_url):
    assert BanGeocoder(f"{ban_url}/search").geocode(" a ") is None
    assert FakeBan.requests == []


def test_query_the_service_refuses_is_none(ban_url):
    assert BanGeocoder(f"{ban_url}/bad-request").geocode("!!!") is None


@pytest.mark.parametrize(
    "path", ["/error", "/not-json", "/wrong-shape", "/out-of-range", "/missing"]
)
def test_service_failures_raise_unavailable_in_french(ban_url, path):
    with pytest.raises(GeocoderUnavailable) as caught:
        BanGeocoder(f"{ban_url}{path}").geocode("rue de Paris")
    assert caught.value.message.startswith("Le service de géocodage ne répond pas")


def test_timeout_raises_unavailable(ban_url):
    started = time.monotonic()
    with pytest.raises(GeocoderUnavailable):
        BanGeocoder(f"{ban_url}/slow", timeout=0.2).geocode("rue de Paris")
    assert time.monotonic() - started < 0.9


def test_closed_port_raises_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(GeocoderUnavailable):
        BanGeocoder(f"http://127.0.0.1:{port}/search", timeout=1).geocode("rue de Paris")


def test_only_http_urls_are_accepted():
    with pytest.raises(ValueError):
        BanGeocoder("file:///etc/passwd")


@pytest.mark.parametrize("url", [None, "", "   "])
def test_factory_without_url_gives_the_null_geocoder(url):
    geocoder = make_geocoder(url)
    assert isinstance(geocoder, NullGeocoder)
    assert geocoder.geocode("1 place de l'Hôtel de Ville, Le Havre") is None


def test_factory_with_url_gives_a_ban_geocoder(ban_url):
    geocoder = make_geocoder(f" {ban_url}/search ", timeout=1.5)
    assert isinstance(geocoder, BanGeocoder)
    assert isinstance(geocoder, Geocoder)
    assert geocoder.timeout == 1.5
    assert geocoder.geocode("rue de Paris").label.endswith("Le Havre")
