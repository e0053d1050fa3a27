"""Exact metric for squared feature distances: H = 2 J^T J.

With D(x0, x) = ||psi(x) - psi(x0)||^2 the residual psi(G(z)) - psi(G(z0)) vanishes at z0, so
the Gauss-Newton term is the whole Hessian: H(z0) = 2 J^T J with J = d psi(G(z)) / dz (F, n).
J is built from batched forward-mode products (``vmap`` over ``jvp``: one column per basis
vector) when F >= n, else from batched reverse-mode products (``vmap`` over ``vjp``: one row
per feature), ``chunk`` at a time to bound memory.

PyTorch keeps forward-mode AD levels in process-global state, so two threads running ``jvp``
at once corrupt each other ("invalid forward AD level"); ``_TRANSFORMS`` serialises them (a
server answering several clients stays correct; on a CPU they would share the cores anyway).
"""

from __future__ import annotations

import threading
import warnings

import torch
from torch.func import jvp, vjp, vmap

from geometry.core.methods.common import MethodOutput, full_output
from geometry.core.pullback import Pullback
from geometry.progress import Progress, report

_TRANSFORMS = threading.Lock()


def jacobian(pb: Pullback, chunk: int, progress: Progress | None = None) -> torch.Tensor:
    """J = d psi(G(z)) / dz at z0, shape (F, n)."""
    n, F = pb.n, pb.feature_dim()
    if F >= n:
        basis = torch.eye(n, dtype=pb.z0.dtype, device=pb.z0.device)
        push = vmap(lambda v: jvp(pb.features, (pb.z0,), (v,))[1])  # (c, n) -> (c, F)
        columns = []
        for start in range(0, n, chunk):
            columns.append(push(basis[start:start + chunk]))
            report(progress, min(start + chunk, n) / n, f"forward-mode columns {min(start + chunk, n)}/{n}")
        return torch.cat(columns).T
    _, pull_fn = vjp(pb.features, pb.z0)
    pull = vmap(lambda u: pull_fn(u)[0])  # (c, F) -> (c, n)
    basis = torch.eye(F, dtype=pb.z0.dtype, device=pb.z0.device)
    rows = []
    for start in range(0, F, chunk):
        rows.append(pull(basis[start:start + chunk]))
        report(progress, min(start + chunk, F) / F, f"reverse-mode rows {min(start + chunk, F)}/{F}")
    return torch.cat(rows)


def compute(pb: Pullback, *, chunk: int, progress: Progress | None = None, **_) -> MethodOutput:
    with _TRANSFORMS, warnings.catch_warnings():
        # torch's own forward-AD decompositions call the deprecated torch.jit.script on first use
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*is deprecated", category=FutureWarning)
        J = jacobian(pb, chunk, progress).to(torch.float64)
    return full_output(2 * J.T @ J)
