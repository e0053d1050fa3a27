"""What a sweep will do, decided before anything is computed: the positions, the settings that
determine its numbers (recorded in ``sweep.json``; a resumed sweep must have the same), and the
executor that runs the positions still to do.

Defaults (each measured by ``python -m bench.sweep --sizes``): compiled products from
``COMPILE_FROM`` positions (compiling pays even on a cold cache), or from ``KEPT_FROM`` where the
compiled product is already kept on disk (``core.compiled.kept``: loaded in about a second), run in
this process with every core's threads (``InProcess``); otherwise eager products from
``PARALLEL_FROM`` positions of a registered CPU generator whose options are known run in worker
processes, one torch thread each (``LocalWorkers``); anything else in this process with its own
threads. Whether a sweep is compiled is decided once, before its first position, and recorded in
its settings (a resumed sweep keeps it): a position's bits depend on its code and the settings
(method, k, threads, compiled) only, never on timing, the executor or the number of workers.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import numpy as np
import torch

from gan_geometry import checks
from gan_geometry.analysis.sweeps.executors import Executor, InProcess, SweepPlan
from gan_geometry.analysis.sweeps.folder import shard_shapes
from gan_geometry.analysis.sweeps.local import LocalWorkers
from gan_geometry.analysis.sweeps.shards import pending
from gan_geometry.core.compiled import kept
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.core.methods import FULL_METHODS, METHODS
from gan_geometry.errors import GeometryError, unknown
from gan_geometry.io.storage import check_space, load_json
from gan_geometry.registry import REGISTRY

MAX_POSITIONS = 1_000_000
COMPILE_FROM = 300  # positions from which a sweep compiles its products by default: pays even on a cold cache
KEPT_FROM = 16  # positions from which a sweep uses a compiled product already kept on disk
PARALLEL_FROM = 32  # positions from which an eager sweep runs in worker processes by default (their start pays)


def sweep_settings(G: Generator, D: Distance, method: str, k: int | None, positions: np.ndarray,
                   seed: int | None, generator_options: dict, threads: int, compiled: bool) -> dict:
    """What determines a sweep's numbers: a resumed sweep must have the same."""
    return {
        "generator": G.name, "space": G.space, "generator_options": generator_options, "distance": D.name,
        "method": method, "k": k, "n_positions": int(positions.shape[0]), "latent_dim": G.latent_dim,
        "seed": seed, "positions_sha256": hashlib.sha256(np.ascontiguousarray(positions).tobytes()).hexdigest(),
        "threads": threads, "compiled": compiled,
    }


def sweep_positions(G: Generator, n: int | None, seed: int, positions) -> tuple[np.ndarray, int | None]:
    """The positions (N, n) float64 (``n`` samples of ``seed``, or the given ones, checked) and the
    seed to record (None for given positions)."""
    if positions is None:
        if n is None:
            raise GeometryError("a sweep needs n, the number of positions, or explicit positions")
        n = checks.whole(n, "the number of positions n", 1, MAX_POSITIONS)
        return G.sample(n, seed=seed).detach().cpu().double().numpy(), seed
    positions = torch.as_tensor(positions).detach().cpu().double().numpy()
    if positions.ndim != 2 or positions.shape[1] != G.latent_dim:
        raise GeometryError(f"positions must have shape (N, {G.latent_dim}); got {positions.shape}")
    if not np.isfinite(positions).all():
        raise GeometryError("positions contain NaN or inf entries")
    return positions, None


def recorded_compiled(directory: Path) -> bool | None:
    """What a sweep already started in ``directory`` recorded for ``compiled`` (a resume keeps
    it, whatever is kept on disk now); None for a new sweep."""
    settings_file = directory / "sweep.json"
    if not settings_file.is_file():
        return None
    with contextlib.suppress(GeometryError):  # a damaged file is refused, with its reason, by ``record``
        recorded = load_json(settings_file)
        if isinstance(recorded, dict) and isinstance(recorded.get("compiled"), bool):
            return recorded["compiled"]
    return None


def default_compiled(G: Generator, D: Distance, method: str, N: int) -> bool:
    """Whether a sweep of ``N`` positions compiles its products by default: from ``COMPILE_FROM``
    positions, or from ``KEPT_FROM`` where the product (all n tangents in one block) is kept on
    disk; only methods that use the compiled product, with a feature distance."""
    if not (METHODS[method].compiles and D.has_features and N >= KEPT_FROM):
        return False
    return N >= COMPILE_FROM or kept(G, D, torch.zeros(G.latent_dim, dtype=G.dtype, device=G.device), G.latent_dim)


def default_executor(G: Generator, N: int, compiled: bool, generator_options: dict | None) -> Executor:
    """Worker processes for eager sweeps of ``PARALLEL_FROM`` positions or more of a registered
    CPU generator built with known options (workers rebuild it from them); else this process."""
    parallel = (G.device.type == "cpu" and G.name in REGISTRY and generator_options is not None
                and N >= PARALLEL_FROM and not compiled)
    return LocalWorkers() if parallel else InProcess()


def plan_sweep(directory: str | Path, G: Generator, D: Distance, n: int | None = None, seed: int = 0,
               positions=None, method: str = "exact", k: int | None = None, generator_options: dict | None = None,
               threads: int | None = None, compiled: bool | None = None, executor: Executor | None = None
               ) -> SweepPlan:
    """The ``SweepPlan`` of a sweep (see ``run_sweep`` for the arguments); refuses, before
    anything is written, an unknown method, bad positions or counts, and a disk too small."""
    if method not in METHODS:
        raise unknown("method", method, METHODS)
    directory = Path(directory)
    positions, recorded_seed = sweep_positions(G, n, seed, positions)
    N = positions.shape[0]
    check_space(directory, 2 * N * (2 + (method in FULL_METHODS)) * G.latent_dim ** 2 * 8,
                f"a sweep of {N} positions in {G.latent_dim} dimensions")  # shards and stacks, with headroom
    if compiled is None:
        compiled = recorded_compiled(directory)
    if compiled is None:
        compiled = default_compiled(G, D, method, N)
    executor = executor if executor is not None else default_executor(G, N, compiled, generator_options)
    threads = checks.whole(threads if threads is not None else executor.default_threads(), "threads", 1, 1024)
    settings = sweep_settings(G, D, method, k, positions, recorded_seed, generator_options or {}, threads,
                              bool(compiled))
    todo = pending(directory, positions, shard_shapes(G.latent_dim, method, k)) if directory.is_dir() else \
        list(range(N))
    return SweepPlan(directory, positions, settings, todo, executor)
