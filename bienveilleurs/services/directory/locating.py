"""Where things are: an address geocoded into a point, and the point of a row."""

from dataclasses import dataclass

from geo import points
from geo.errors import GeocoderUnavailable
from geo.geocoding import NullGeocoder

NOT_LOCATED = "adresse non localisée"


@dataclass
class Location:
    point: tuple | None  # (lon, lat)
    label: str | None = None
    note: str | None = None  # why there is no point, in French


def locate_address(address, *, geocoder, area):
    """Geocode an address; return a Location whose note says why it has no point, if none.

    Never raises for an unreachable service: the caller decides whether a missing point is
    acceptable (a resource) or not (a relay).
    """
    geocoder = geocoder or NullGeocoder()
    if isinstance(geocoder, NullGeocoder):
        return Location(None, note=f"{NOT_LOCATED} (aucun service de géocodage n'est configuré)")
    try:
        result = geocoder.geocode(address)
    except GeocoderUnavailable:
        return Location(None, note=f"{NOT_LOCATED} (le service de géocodage ne répond pas)")
    if result is None:
        return Location(None, note=f"{NOT_LOCATED} (adresse introuvable)")
    if not area.contains(result.lon, result.lat):
        return Location(None, note=f"{NOT_LOCATED} (l'adresse trouvée, « {result.label} », est "
                        "en dehors du territoire desservi)")
    return Location((result.lon, result.lat), label=result.label)


def one_line_address(address, postal_code, city):
    """ "3 rue X, 76600 Le Havre" from its parts, any of which may be missing (None if all).

    An address that already ends with its postcode or town (imports often give the whole
    line) is not given them twice."""
    town = " ".join(p for p in (postal_code, city) if p)
    if address and town:
        said = address.casefold()
        if (postal_code and postal_code in address) or (city and city.casefold() in said):
            town = ""
    return ", ".join(p for p in (address, town) if p) or None


def lon_lat(model):
    """Return (lon, lat) of a structure's, resource's or relay's point, or None."""
    return points.lon_lat(model.point)
