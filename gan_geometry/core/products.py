"""Jacobian and Hessian products at a latent code: the one place every metric method, the layer
analysis and the compiled path take their derivatives from (as hessian-eigenthings keeps one
operator for its products).

For a map f: (n,) -> (F,) at z0, with J = d f(z) / dz |_{z0} (F, n):

    JacobianProducts(f, z0).push(V)   = V J^T          (c, n) -> (c, F)   forward mode, vmap(jvp)
                           .pull(U)   = U J            (c, F) -> (c, n)   reverse mode, vmap(vjp) on one
                                                                          linearisation of f at z0
                           .gram(V)   = V J^T J        (c, n) -> (c, n)   a block of Gauss-Newton products
                           .matrix()  = J              (F, n)             n pushes or F pulls, whichever is fewer

For a scalar s: (n,) -> () at z0, with H = d^2 s / dz^2 |_{z0} (n, n):

    HessianProducts(s, z0).hvp(v)     = H v            (n,) -> (n,)       double back-propagation on one
                                                                          graph of g = ds/dz, reused
                          .rows()     = H, row by row  (n, n)             the paper's "BP": one backward pass
                                                                          per row, not symmetrised
                          .batched(V) = V H            (c, n) -> (c, n)   forward over reverse, vmap(jvp(grad))

Products run on z0's device and dtype. Forward-mode AD state is process-global, so every forward
product runs under ``forward_mode.FORWARD_MODE_LOCK`` (taken per product: threads may interleave
products, never the inside of one). With ``compile_for=(G, D)`` pushes run the compiled product
of ``core.compiled`` (traced once per block size, checked against eager on first use).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch.func import grad, jvp, vjp, vmap

from gan_geometry.core.compiled import compiled_push, eager_push
from gan_geometry.core.forward_mode import FORWARD_MODE_LOCK, quiet_transforms
from gan_geometry.progress import Progress, report


class JacobianProducts:
    """Products with J = d f / dz at ``z0`` (n,) for f: (n,) -> (F,) (see the module docstring).
    ``out_dim``: F when known (else one forward finds it); ``compile_for``: the (generator,
    distance) whose compiled forward-mode product ``push`` uses."""

    def __init__(self, f: Callable[[torch.Tensor], torch.Tensor], z0: torch.Tensor, out_dim: int | None = None,
                 compile_for: tuple[torch.nn.Module, torch.nn.Module] | None = None):
        self.f, self.z0, self.compile_for = f, z0, compile_for
        self._out_dim = out_dim

    @property
    def n(self) -> int:
        return self.z0.shape[0]

    @functools.cached_property
    def out_dim(self) -> int:
        """F, the dimension of f's output."""
        if self._out_dim is not None:
            return self._out_dim
        with torch.no_grad():
            return self.f(self.z0).numel()

    @functools.cached_property
    def _pull_fn(self) -> Callable:
        """f linearised at z0 for reverse-mode products (its graph kept for every pull)."""
        return vjp(self.f, self.z0)[1]

    def push(self, V: torch.Tensor) -> torch.Tensor:
        """V J^T: forward-mode products of the rows of V (c, n) -> (c, F)."""
        V = V.to(self.z0.dtype)
        compiled = self.compile_for is not None  # a build takes the lock itself while it traces
        product = compiled_push(*self.compile_for, self.f, self.z0, V.shape[0]) if compiled else eager_push(self.f)
        with FORWARD_MODE_LOCK, quiet_transforms():
            return product(self.z0, V)

    def pull(self, U: torch.Tensor) -> torch.Tensor:
        """U J: reverse-mode products of the rows of U (c, F) -> (c, n)."""
        pull_fn = self._pull_fn
        with quiet_transforms():
            return vmap(lambda u: pull_fn(u)[0])(U.to(self.z0.dtype))

    def gram(self, V: torch.Tensor) -> torch.Tensor:
        """V J^T J (c, n) -> (c, n): one batched push and one batched pull."""
        return self.pull(self.push(V))

    def matrix(self, chunk: int, progress: Progress | None = None, label: str = "") -> torch.Tensor:
        """J (F, n), ``chunk`` products at a time: n forward-mode columns where F >= n, else F
        reverse-mode rows."""
        n, F = self.n, self.out_dim
        forward = F >= n
        size, product = (n, self.push) if forward else (F, self.pull)
        basis = torch.eye(size, dtype=self.z0.dtype, device=self.z0.device)
        blocks = []
        for start in range(0, size, chunk):
            blocks.append(product(basis[start:start + chunk]))
            done = min(start + chunk, size)
            report(progress, done / size, f"{label}{'forward-mode columns' if forward else 'reverse-mode rows'} "
                                          f"{done}/{size}")
        J = blocks[0] if len(blocks) == 1 else torch.cat(blocks)
        return J.T if forward else J


class HessianProducts:
    """Products with the Hessian H of a scalar s at ``z0`` (n,) (see the module docstring)."""

    def __init__(self, s: Callable[[torch.Tensor], torch.Tensor], z0: torch.Tensor):
        self.s, self.z0 = s, z0

    @property
    def n(self) -> int:
        return self.z0.shape[0]

    @functools.cached_property
    def _graph(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(g, z): the gradient g = ds/dz at z0 with its graph, and the leaf it was taken against."""
        z = self.z0.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(self.s(z), z, create_graph=True)
        return g, z

    def hvp(self, v: torch.Tensor) -> torch.Tensor:
        """H v (n,) by back-propagating v^T g through the kept graph."""
        g, z = self._graph
        return torch.autograd.grad(g, z, grad_outputs=v.to(self.z0.dtype), retain_graph=True)[0]

    def rows(self, progress: Progress | None = None) -> torch.Tensor:
        """H (n, n), row i = d g_i / dz (one backward pass each); symmetric only up to rounding."""
        g, z = self._graph
        rows = []
        for i in range(self.n):
            rows.append(torch.autograd.grad(g[i], z, retain_graph=True)[0])
            report(progress, (i + 1) / self.n, f"backward rows {i + 1}/{self.n}")
        return torch.stack(rows)

    def batched(self, V: torch.Tensor, chunk: int) -> torch.Tensor:
        """V H (c, n) -> (c, n) by forward-over-reverse products, ``chunk`` at a time (no graph kept)."""
        gradient = grad(self.s)
        product = vmap(lambda v: jvp(gradient, (self.z0,), (v,))[1])
        with FORWARD_MODE_LOCK, quiet_transforms():
            return torch.cat([product(V[start:start + chunk]) for start in range(0, V.shape[0], chunk)])
