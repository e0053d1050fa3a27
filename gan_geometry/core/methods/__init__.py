"""Metric methods, one module each behind one call: ``METHODS[name](pullback, **options)``.

Options every method accepts (and ignores where irrelevant): ``k`` (iterative methods),
``chunk`` (exact), ``eps`` (lanczos-forward), ``progress``.
"""

from gan_geometry.core.methods import backprop, exact, lanczos, topk

METHODS = {
    "exact": exact.compute,
    "bp": backprop.compute,
    "lanczos-backward": lanczos.compute_backward,
    "lanczos-forward": lanczos.compute_forward,
    "topk": topk.compute,
}
ITERATIVE = ("lanczos-backward", "lanczos-forward", "topk")  # the methods that compute the top k pairs only


def default_k(n: int) -> int:
    """The number of eigenpairs a top-k method computes when none is asked for, in dimension n."""
    return min(20, n - 1)
