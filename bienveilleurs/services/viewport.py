"""What a map page asks for: a box (`zone`: ouest,sud,est,nord) and a zoom, read by the
field rules (a 400 for a word where a number is expected, a 422 for a box upside down)."""

from geo.viewport import MAX_ZOOM, Viewport

from .fields import QueryFields


def read_zone(args):
    """The box `zone` of a query string (a list limited to what the map shows), or None."""
    fields = QueryFields(args)
    zone = fields.zone()
    fields.done()
    return zone


def read_viewport(args):
    """The Viewport a map fetches its points for: `zone` and `zoom`, both required."""
    fields = QueryFields(args)
    zone = fields.zone(required=True)
    zoom = fields.integer("zoom", label="Le niveau de zoom", minimum=0, maximum=MAX_ZOOM,
                          required=True)
    fields.done()
    return Viewport(*zone, zoom)
