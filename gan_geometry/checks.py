"""Input checks, one style for every surface: a value as given (a number, or text from the command
line or the app's API) is returned as the type it must be, or refused with one ``GeometryError``
naming the field, the allowed range and what was given. The command line wraps them as argparse
types (``cli.options.argument``), the app's handlers and the engine call them directly.

    whole(value, "sample index", 0, 7)     -> int           "sample index must be a whole number in 0..7; got 8"
    number(value, "largest step", positive=True) -> float   "largest step must be a finite positive number; got 'big'"
    seed(value)                            -> int in 0..2**63 - 1
"""

from __future__ import annotations

import math

from gan_geometry.errors import GeometryError

MAX_SEED = 2**63 - 1


def _refuse(what: str | None, rule: str, value) -> GeometryError:
    return GeometryError(f"{what + ' ' if what else ''}must be {rule}; got {value!r}")


def whole(value, what: str | None = None, minimum: int = 0, maximum: int | None = None) -> int:
    """``value`` as an int in minimum..maximum (integral floats and text such as "1e3" accepted;
    booleans refused)."""
    try:
        number_ = float(value) if isinstance(value, str) else value
        integral = not isinstance(value, bool) and float(number_) == int(number_)
        result = int(number_)
    except (TypeError, ValueError, OverflowError):
        integral, result = False, 0
    if not integral or result < minimum or (maximum is not None and result > maximum):
        bound = f"in {minimum}..{maximum}" if maximum is not None else f"of at least {minimum}"
        raise _refuse(what, f"a whole number {bound}", value)
    return result


def number(value, what: str | None = None, positive: bool = False, minimum: float | None = None,
           maximum: float | None = None) -> float:
    """``value`` as a finite float (> 0 when ``positive``; within [minimum, maximum] where given;
    text accepted, booleans refused)."""
    try:
        result = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError, OverflowError):
        result = math.nan
    if not math.isfinite(result) or (positive and result <= 0):
        raise _refuse(what, f"a finite{' positive' if positive else ''} number", value)
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        if maximum is None:
            rule = f"a number of at least {minimum:g}"
        else:
            rule = f"a number of at most {maximum:g}" if minimum is None else f"a number in {minimum:g}..{maximum:g}"
        raise _refuse(what, rule, value)
    return result


def seed(value) -> int:
    """A random seed: a whole number in 0..2**63 - 1."""
    return whole(value, "seed", 0, MAX_SEED)
