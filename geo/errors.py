"""Errors raised by the spatial helpers.

Each error carries the name of the offending input field (or None) and a message in
French meant for the person who typed the value; the web layer turns them into a 422
or 400 response without having to rephrase anything.
"""

from __future__ import annotations


class GeoError(Exception):
    """Report an invalid spatial input or an unavailable spatial service."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}(field={self.field!r}, message={self.message!r})"


class InvalidCoordinates(GeoError):
    """Report a latitude or longitude that is missing, not a number or out of range."""


class OutOfServiceArea(GeoError):
    """Report a valid point that lies outside the territory served."""


class InvalidBBox(GeoError):
    """Report a bounding box that is malformed, inverted or too large."""

    def __init__(self, message: str, *, field: str | None = "bbox") -> None:
        super().__init__(message, field=field)


class InvalidGeoJSON(GeoError):
    """Report a GeoJSON document that cannot be used, with the feature at fault."""

    def __init__(
        self, message: str, *, field: str | None = None, index: int | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.index = index


class GeocoderUnavailable(GeoError):
    """Report that the address search service could not be reached or answered badly."""

    def __init__(
        self,
        message: str = "Le service de géocodage ne répond pas pour le moment. "
        "Veuillez réessayer plus tard ou placer le point sur la carte.",
        *,
        field: str | None = None,
    ) -> None:
        super().__init__(message, field=field)
