"""Exceptions a user can cause. Each message names the problem and the fix.

All derive from ``GeometryError`` (a ``ValueError``), so the app and the command line
catch one type and show its message instead of a traceback.
"""


class GeometryError(ValueError):
    """A request the engine refuses: bad names, shapes, values or files."""


class WeightsUnavailableError(GeometryError):
    """A model's weights are neither installed, cached, nor downloadable here."""


class ResourceError(GeometryError):
    """A request whose estimated memory exceeds what this machine allows."""
