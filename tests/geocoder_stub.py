"""A tiny local address service answering like the Base Adresse Nationale, for tests."""

import contextlib
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextlib.contextmanager
def ban_stub(addresses):
    """Serve BAN-style GeoJSON: `addresses` maps a lower-case word of the query to
    (lon, lat, label); any other query gets no feature. Yields (url, queries received)."""
    queries = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("q", [""])[0]
            queries.append(query)
            features = [
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                 "properties": {"label": label, "score": 0.93, "type": "housenumber"}}
                for word, (lon, lat, label) in addresses.items() if word in query.lower()
            ][:1]
            body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/search/", queries
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def geocoder_url(app, url):
    """Point the app at another address service for the duration of a test."""
    previous = app.config["GEOCODER_URL"]
    app.config["GEOCODER_URL"] = url
    try:
        yield
    finally:
        app.config["GEOCODER_URL"] = previous
