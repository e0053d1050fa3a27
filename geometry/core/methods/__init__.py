"""Metric methods, one module each behind one call: ``METHODS[name](pullback, **options)``.

Options every method accepts (and ignores where irrelevant): ``k`` (iterative methods),
``chunk`` (exact), ``eps`` (lanczos-forward), ``progress``.
"""

from geometry.core.methods import backprop, exact, lanczos

METHODS = {
    "exact": exact.compute,
    "bp": backprop.compute,
    "lanczos-backward": lanczos.compute_backward,
    "lanczos-forward": lanczos.compute_forward,
}
ITERATIVE = ("lanczos-backward", "lanczos-forward")
