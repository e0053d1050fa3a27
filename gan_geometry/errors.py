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


def unknown(kind: str, name, choices) -> GeometryError:
    """The one message for a name that is not one of ``choices`` (a generator, distance, method,
    mode...): "unknown generator 'x'; choose one of: a, b, c"."""
    return GeometryError(f"unknown {kind} '{name}'; choose one of: {', '.join(map(str, choices))}")
