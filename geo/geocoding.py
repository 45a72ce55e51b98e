"""Turn a postal address into a point through a pluggable geocoder.

The app talks to the Base Adresse Nationale search API (api-adresse.data.gouv.fr, now
served by the Géoplateforme at data.geopf.fr/geocodage/search); tests and installs
without network use NullGeocoder.
"""

from __future__ import annotations

import http.client
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from geo.errors import GeocoderUnavailable

# The BAN refuses queries shorter than 3 characters and longer than 200 (HTTP 400).
_MIN_QUERY_LENGTH = 3
_MAX_QUERY_LENGTH = 200
# A one-result answer is a few kilobytes; a much larger body is not the service we expect.
_MAX_RESPONSE_BYTES = 1_000_000


@dataclass(frozen=True)
class GeocodeResult:
    """Hold the best match for an address: position, label and confidence (0 to 1)."""

    lon: float
    lat: float
    label: str
    score: float


@runtime_checkable
class Geocoder(Protocol):
    """Find the position of an address."""

    def geocode(self, query: str) -> GeocodeResult | None:
        """Return the best match for ``query``, or None when nothing matches."""
        ...


class NullGeocoder:
    """Answer that nothing matches, for installs without an address service."""

    def geocode(self, query: str) -> GeocodeResult | None:
        """Return None: no address can be found without a service."""
        return None


class BanGeocoder:
    """Query a Base Adresse Nationale / Géoplateforme compatible search endpoint."""

    def __init__(
        self,
        url: str,
        timeout: float = 3.0,
        *,
        bias: tuple[float, float] | None = None,
        user_agent: str = "Bienveilleurs (geocodage d'adresses)",
    ) -> None:
        """Configure the endpoint; ``bias`` is a (lon, lat) to prefer nearby matches."""
        scheme = urllib.parse.urlsplit(url).scheme
        # urllib would happily open file:// or ftp:// URLs; a misconfigured setting must
        # not turn the geocoder into a local file reader.
        if scheme not in ("http", "https"):
            raise ValueError(f"geocoder URL must be http or https, got {url!r}")
        self.url = url
        self.timeout = timeout
        self.bias = bias
        self.user_agent = user_agent

    def geocode(self, query: str) -> GeocodeResult | None:
        """Return the best match for ``query`` or None; raise GeocoderUnavailable on failure."""
        query = " ".join(query.split())[:_MAX_QUERY_LENGTH]
        if len(query) < _MIN_QUERY_LENGTH:
            return None
        request = urllib.request.Request(
            self._request_url(query),
            headers={"Accept": "application/json", "User-Agent": self.user_agent},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(_MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            # 400 is the service saying the query itself is unusable (e.g. only
            # punctuation): for the person that is "no address found", not an outage.
            if exc.code == 400:
                return None
            raise GeocoderUnavailable() from exc
        except (OSError, http.client.HTTPException) as exc:
            # OSError covers refused connections, DNS failures and timeouts (URLError and
            # socket.timeout are subclasses); HTTPException covers truncated answers.
            raise GeocoderUnavailable() from exc
        if len(body) > _MAX_RESPONSE_BYTES:
            raise GeocoderUnavailable()
        return _first_result(body)

    def _request_url(self, query: str) -> str:
        """Add q, limit and the optional bias to the configured URL."""
        params = {"q": query, "limit": "1"}
        if self.bias is not None:
            params["lon"] = repr(float(self.bias[0]))
            params["lat"] = repr(float(self.bias[1]))
        separator = "&" if urllib.parse.urlsplit(self.url).query else "?"
        return self.url + separator + urllib.parse.urlencode(params)


def make_geocoder(url: str | None, *, timeout: float = 3.0) -> Geocoder:
    """Return a BanGeocoder for ``url``, or a NullGeocoder when it is empty."""
    if url is None or not url.strip():
        return NullGeocoder()
    return BanGeocoder(url.strip(), timeout=timeout)


def _first_result(body: bytes) -> GeocodeResult | None:
    """Read the first feature of a BAN answer; raise GeocoderUnavailable if malformed."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise GeocoderUnavailable() from exc
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise GeocoderUnavailable()
    if not document["features"]:
        return None
    feature = document["features"][0]
    try:
        lon, lat = feature["geometry"]["coordinates"][:2]
        properties = feature.get("properties") or {}
        label = properties.get("label")
        score = properties.get("score", 0.0)
        values_ok = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in (lon, lat, score)
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GeocoderUnavailable() from exc
    if not values_ok or not isinstance(label, str):
        raise GeocoderUnavailable()
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise GeocoderUnavailable()
    return GeocodeResult(lon=float(lon), lat=float(lat), label=label, score=float(score))
