"""Metric methods, one module each behind one call, ``METHODS[name].compute(pullback, **options)``,
with what each can do declared on its entry (as captum gives every algorithm its own module behind
one uniform call).

Options every method accepts (and ignores where irrelevant): ``k`` (top-k methods), ``chunk``
(exact), ``eps`` (lanczos-forward), ``feature_dim``, ``compiled``, ``progress``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gan_geometry.core.methods import backprop, exact, lanczos, topk


@dataclass(frozen=True)
class MethodEntry:
    """A metric method and its capabilities.

    ``top_k``: computes the top k eigenpairs only (takes k; H is not formed). ``forms_H``: returns
    the whole metric H. ``needs_features``: applies to squared feature distances only (LPIPS, MSE,
    the sound distances); elsewhere ``fallback`` runs instead. ``compiles``: may use the compiled
    forward-mode product (``core.compiled``). ``summary``: one line for menus and help."""

    name: str
    compute: Callable
    summary: str
    top_k: bool = False
    forms_H: bool = True
    needs_features: bool = False
    fallback: str | None = None
    compiles: bool = False


METHODS: dict[str, MethodEntry] = {entry.name: entry for entry in (
    MethodEntry("exact", exact.compute, "all eigenpairs from batched Jacobian products (2 JᵀJ, or Jᵀ K J): the "
                "fastest full spectrum", compiles=True),
    MethodEntry("bp", backprop.compute, "the paper's double back-propagation, one row of H per backward pass"),
    MethodEntry("lanczos-backward", lanczos.compute_backward, "top k by Lanczos (ARPACK) on the autograd "
                "Hessian-vector product", top_k=True, forms_H=False),
    MethodEntry("lanczos-forward", lanczos.compute_forward, "top k by Lanczos on the finite-difference "
                "Hessian-vector product", top_k=True, forms_H=False),
    MethodEntry("topk", topk.compute, "top k by block Krylov iteration on batched Jacobian products",
                top_k=True, forms_H=False, needs_features=True, fallback="lanczos-backward"),
)}
ITERATIVE = tuple(name for name, entry in METHODS.items() if entry.top_k)  # the methods that compute the top k only
FULL_METHODS = tuple(name for name, entry in METHODS.items() if entry.forms_H)


def default_k(n: int) -> int:
    """The number of eigenpairs a top-k method computes when none is asked for, in dimension n."""
    return min(20, n - 1)


def method_that_runs(name: str, has_features: bool) -> MethodEntry:
    """The entry of method ``name``, or of its fallback where it needs a feature distance and the
    distance has none."""
    entry = METHODS[name]
    return METHODS[entry.fallback] if entry.needs_features and not has_features else entry
