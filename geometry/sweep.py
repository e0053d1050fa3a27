"""Metric tensors at many latent positions, written incrementally so a killed sweep resumes.

A sweep directory holds

    sweep.json                 settings (generator, space, options, distance, method, k, n, seed)
    positions.npy              (N, n) the latent codes, written before any metric
    shards/pos-00000.npz ...   one metric per position (z, eigvals, eigvecs, H?, seconds), atomic
    eigvals.npy                (N, n)      } written once every shard exists, streamed from the
    eigvecs.npy                (N, n, n)   } shards into memory-mapped files, so memory stays
    H.npy                      (N, n, n)   } bounded by one position at a time

Running the same settings again computes only the positions whose shard is missing, truncated
or corrupt (zip CRC, shapes, finiteness and the stored code are checked); different settings in
the same directory are refused. Every position's metric is a pure function of its code, so a
resumed sweep equals an uninterrupted one bit for bit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from geometry.distances import Distance
from geometry.errors import GeometryError
from geometry.generators import Generator
from geometry.metric import metric_tensor
from geometry.progress import Progress, report
from geometry.storage import atomic_path, load_arrays, load_json, save_arrays, save_json

STACKS = ("eigvals", "eigvecs", "H")


@dataclass
class Sweep:
    """A completed sweep: settings and memory-mapped stacks (float64).

    ``positions`` (N, n); ``eigvals`` (N, n) descending per position; ``eigvecs`` (N, n, n) with
    eigenvectors in columns; ``H`` (N, n, n) or None for Lanczos sweeps; ``n_computed`` pairs
    computed per position.
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


def sweep_settings(G: Generator, D: Distance, method: str, k: int | None, positions: np.ndarray,
                   seed: int | None, generator_options: dict) -> dict:
    return {
        "generator": G.name, "space": G.space, "generator_options": generator_options, "distance": D.name,
        "method": method, "k": k, "n_positions": int(positions.shape[0]), "latent_dim": G.latent_dim,
        "seed": seed, "positions_sha256": hashlib.sha256(np.ascontiguousarray(positions).tobytes()).hexdigest(),
    }


def shard_path(directory: Path, i: int) -> Path:
    return directory / "shards" / f"pos-{i:05d}.npz"


def _valid_shard(path: Path, z: np.ndarray) -> bool:
    """True when the shard reads back completely and belongs to code ``z``."""
    try:
        arrays = load_arrays(path)
    except GeometryError:
        return False
    n = z.shape[0]
    expected = {"z": (n,), "eigvals": (n,), "eigvecs": (n, n), "n_computed": ()}
    return (all(key in arrays and arrays[key].shape == shape for key, shape in expected.items())
            and np.array_equal(arrays["z"], z)
            and all(np.isfinite(a).all() for a in arrays.values()))


def run_sweep(
    directory: str | Path,
    G: Generator,
    D: Distance,
    n: int | None = None,
    seed: int = 0,
    positions: np.ndarray | torch.Tensor | None = None,
    method: str = "exact",
    k: int | None = None,
    generator_options: dict | None = None,
    progress: Progress | None = None,
) -> Sweep:
    """Compute (or finish) the metric at ``n`` positions sampled with ``seed`` from the
    generator's latent distribution, or at the given ``positions`` (N, latent_dim), into
    ``directory``. ``generator_options`` records how ``G`` was built (for provenance and the
    settings check). Returns the completed ``Sweep``.
    """
    directory = Path(directory)
    if positions is None:
        if n is None or n < 1:
            raise GeometryError(f"a sweep needs n >= 1 positions or explicit positions; got n={n}")
        positions = G.sample(n, seed=seed)
        recorded_seed = seed
    else:
        recorded_seed = None
    positions = torch.as_tensor(positions).detach().cpu().double().numpy()
    if positions.ndim != 2 or positions.shape[1] != G.latent_dim:
        raise GeometryError(f"positions must have shape (N, {G.latent_dim}); got {positions.shape}")
    if not np.isfinite(positions).all():
        raise GeometryError("positions contain NaN or inf entries")
    settings = sweep_settings(G, D, method, k, positions, recorded_seed, generator_options or {})

    settings_file = directory / "sweep.json"
    if settings_file.exists():
        previous = {key: value for key, value in load_json(settings_file).items() if key in settings}
        if previous != settings:
            different = sorted(key for key in settings if previous.get(key) != settings[key])
            raise GeometryError(
                f"{directory} holds a sweep with other settings ({', '.join(different)} differ: "
                + "; ".join(f"{key} was {previous.get(key)!r}, now {settings[key]!r}" for key in different)
                + "). Use another output directory, or the same settings to resume."
            )
    else:
        save_json(settings_file, settings)
    if not (directory / "positions.npy").exists():
        with atomic_path(directory / "positions.npy") as tmp, open(tmp, "wb") as handle:
            np.save(handle, positions)

    N = positions.shape[0]
    todo = [i for i in range(N) if not _valid_shard(shard_path(directory, i), positions[i])]
    report(progress, (N - len(todo)) / N, f"{N - len(todo)}/{N} positions already done")
    for done, i in enumerate(todo, start=N - len(todo) + 1):
        result = metric_tensor(G, D, torch.from_numpy(positions[i]).to(G.dtype), method=method, k=k)
        arrays = {"z": positions[i], "eigvals": result.eigvals, "eigvecs": result.eigvecs,
                  "seconds": np.array(result.provenance["seconds"]), "n_computed": np.array(result.n_computed)}
        if result.H is not None:
            arrays["H"] = result.H
        save_arrays(shard_path(directory, i), arrays)
        report(progress, done / N, f"position {done}/{N}")
    return _consolidate(directory, settings, positions)


def _consolidate(directory: Path, settings: dict, positions: np.ndarray) -> Sweep:
    """Stream the shards into the stacked ``.npy`` files (memory-mapped), then load the sweep."""
    N, n = positions.shape
    first = load_arrays(shard_path(directory, 0))
    has_H = "H" in first
    shapes = {"eigvals": (N, n), "eigvecs": (N, n, n), "H": (N, n, n)}
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


def load_sweep(directory: str | Path) -> Sweep:
    """Open a completed sweep directory; arrays are memory-mapped read-only."""
    directory = Path(directory)
    if not (directory / "sweep.json").is_file():
        raise GeometryError(f"{directory} is not a sweep directory (no sweep.json)")
    settings = load_json(directory / "sweep.json")
    if not settings.get("complete"):
        raise GeometryError(f"the sweep in {directory} is incomplete; run the same sweep command again to resume it")
    try:
        positions = np.load(directory / "positions.npy", allow_pickle=False)
        stacks = {name: np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                  for name in STACKS if (directory / f"{name}.npy").exists()}
    except (ValueError, OSError) as err:
        raise GeometryError(f"the sweep in {directory} is damaged ({err}); delete its .npy stacks and resume") from err
    N, n = positions.shape
    if stacks["eigvals"].shape != (N, n) or stacks["eigvecs"].shape != (N, n, n):
        raise GeometryError(f"the sweep in {directory} has stacks of the wrong shape; delete them and resume")
    return Sweep(directory, settings, positions, stacks["eigvals"], stacks["eigvecs"], stacks.get("H"))
