"""A sweep's folder: what it holds, how its shards become stacks, and how it is read back.

    sweep.json                 settings (generator, space, options, distance, method, k, n, seed, threads, compiled)
    positions.npy              (N, n) the latent codes, written before any metric
    shards/pos-00000.npz ...   one metric per position (z, eigvals, eigvecs, H?, seconds), atomic
    eigvals.npy                (N, K)      } written once every shard exists, streamed from the
    eigvecs.npy                (N, n, K)   } shards into memory-mapped files, so memory stays
    H.npy                      (N, n, n)   } bounded by one position at a time

K is the number of eigenpairs computed per position: n for the full methods, k for the top-k
ones (nothing beyond what was computed is stored). Stacks are read back checked: shapes, dtype
(float64, as written), finiteness.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan_geometry.analysis.statistics import SweepSummary, summarise
from gan_geometry.analysis.sweeps.shards import shard_path
from gan_geometry.core.methods import FULL_METHODS, default_k
from gan_geometry.errors import GeometryError
from gan_geometry.io.storage import atomic_path, load_arrays, load_json, save_json

STACKS = ("eigvals", "eigvecs", "H")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+=-]{0,127}")  # generator, space and distance names, and sweep names


@dataclass
class Sweep:
    """A completed sweep: settings and memory-mapped stacks (float64).

    ``positions`` (N, n); ``eigvals`` (N, K) descending per position; ``eigvecs`` (N, n, K) with
    eigenvectors in columns; ``H`` (N, n, n) or None for top-k sweeps; ``n_computed`` = K pairs
    computed per position (top-k sweeps written before stacks were compact hold n columns, the
    last n - K completing the basis; ``summary`` reads the computed pairs only).
    """

    directory: Path
    settings: dict
    positions: np.ndarray
    eigvals: np.ndarray
    eigvecs: np.ndarray
    H: np.ndarray | None

    @property
    def n_positions(self) -> int:
        return self.positions.shape[0]

    @property
    def latent_dim(self) -> int:
        return self.positions.shape[1]

    @property
    def n_computed(self) -> int:
        return self.settings["n_computed"]

    def summary(self, n_boot: int = 1000) -> SweepSummary:
        """Every statistic of this sweep (``statistics.summarise``): what the command line, the
        app and the report show."""
        return summarise(self.eigvals, self.eigvecs, self.H, self.n_computed, n_boot=n_boot)


def shard_shapes(n: int, method: str, k: int | None) -> dict[str, tuple[int, ...]]:
    """The arrays every sweep shard holds, with their shapes, for latent dimension n: K = n
    eigenpairs for the full methods (which also store H), K = k for the top-k ones."""
    has_H = method in FULL_METHODS
    K = n if has_H else k if k is not None else default_k(n)
    return {"eigvals": (K,), "eigvecs": (n, K), "n_computed": ()} | ({"H": (n, n)} if has_H else {})


def consolidate(directory: Path, settings: dict, positions: np.ndarray) -> Sweep:
    """Stream the shards into the stacked ``.npy`` files (memory-mapped), then load the sweep."""
    N, n = positions.shape
    first = load_arrays(shard_path(directory, 0))
    has_H = "H" in first
    shapes = {name: (N, *first[name].shape) for name in STACKS if name in first}
    for name in STACKS[:3 if has_H else 2]:
        target = directory / f"{name}.npy"
        with atomic_path(target) as tmp:
            stack = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float64, shape=shapes[name])
            for i in range(N):
                stack[i] = load_arrays(shard_path(directory, i))[name]
            stack.flush()
            del stack
    save_json(directory / "sweep.json", {**settings, "n_computed": int(first["n_computed"]), "complete": True})
    return load_sweep(directory)


def load_sweep(directory: str | Path, verify: bool = True) -> Sweep:
    """Open a completed sweep directory; arrays are memory-mapped read-only. Settings are checked
    for types and ranges, and positions and eigenvalues for finiteness; with ``verify`` (what the
    statistics read) the eigenvectors and H too, in one pass over the stacks."""
    directory = Path(directory)
    if not (directory / "sweep.json").is_file():
        raise GeometryError(f"{directory} is not a sweep directory (no sweep.json)")
    settings = _settings(directory)
    if not settings.get("complete"):
        raise GeometryError(f"the sweep in {directory} is incomplete; run the same sweep command again to resume it")
    try:
        positions = np.load(directory / "positions.npy", allow_pickle=False)
        stacks = {name: np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                  for name in STACKS if (directory / f"{name}.npy").exists()}
    except (ValueError, OSError) as err:
        raise GeometryError(f"the sweep in {directory} is damaged ({err}); delete its .npy stacks and resume") from err
    missing = [f"{name}.npy" for name in STACKS[:2] if name not in stacks]
    if settings.get("method") in FULL_METHODS and "H" not in stacks:
        missing.append("H.npy")
    if missing:
        raise GeometryError(f"the sweep in {directory} is marked complete but lacks {', '.join(missing)}; "
                            f"run the same sweep command again to rebuild it from its shards")
    foreign = [f"{name}.npy ({array.dtype})" for name, array in {"positions": positions, **stacks}.items()
               if array.dtype != np.float64]
    if foreign:  # every stack is written as float64: another dtype is a file replaced by something else
        raise GeometryError(f"the sweep in {directory} is damaged: {', '.join(foreign)} is not the float64 the sweep "
                            f"wrote; delete its .npy stacks and run the same sweep command to rebuild them")
    N, n = positions.shape
    H = stacks.get("H")
    K = stacks["eigvals"].shape[1] if stacks["eigvals"].ndim == 2 else 0
    if (stacks["eigvals"].shape != (N, K) or stacks["eigvecs"].shape != (N, n, K)
            or not 1 <= settings.get("n_computed", K) <= K <= n or (H is not None and H.shape != (N, n, n))):
        raise GeometryError(f"the sweep in {directory} has stacks of the wrong shape; delete them and resume")
    checked = {"positions": positions, **(stacks if verify else {"eigvals": stacks["eigvals"]})}
    for name, stack in checked.items():
        bad = sorted({int(i) for i in np.nonzero(~np.isfinite(stack.reshape(N, -1)).all(axis=1))[0]})
        if bad:
            raise GeometryError(f"the sweep in {directory} is damaged: {name} holds NaN or inf at positions "
                                f"{bad[:5]}; delete its .npy stacks and run the same sweep command to rebuild them")
    return Sweep(directory, settings, positions, stacks["eigvals"], stacks["eigvecs"], H)


def _settings(directory: Path) -> dict:
    """``sweep.json`` of ``directory``, refused unless it is a JSON object whose fields have their
    types and ranges (a name that is a name, whole numbers where counts are)."""
    settings = load_json(directory / "sweep.json")
    if not isinstance(settings, dict):
        raise GeometryError(f"{directory / 'sweep.json'} is not a sweep's settings (a JSON object); "
                            f"it holds a {type(settings).__name__}")
    checks = {"generator": lambda v: isinstance(v, str) and NAME.fullmatch(v) is not None,
              "space": lambda v: isinstance(v, str) and NAME.fullmatch(v) is not None,
              "distance": lambda v: isinstance(v, str) and NAME.fullmatch(v) is not None,
              "n_positions": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
              "latent_dim": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
              "n_computed": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1}
    wrong = [key for key, ok in checks.items() if key in settings and not ok(settings[key])]
    if wrong:
        raise GeometryError(f"{directory / 'sweep.json'} is damaged: {wrong[0]} = {settings[wrong[0]]!r} is not a "
                            f"valid {wrong[0].replace('_', ' ')}")
    return settings


