"""Metric tensors at many latent positions, written incrementally so a killed sweep resumes.

A sweep directory holds

    sweep.json                 settings (generator, space, options, distance, method, k, n, seed, threads)
    positions.npy              (N, n) the latent codes, written before any metric
    shards/pos-00000.npz ...   one metric per position (z, eigvals, eigvecs, H?, seconds), atomic
    eigvals.npy                (N, K)      } written once every shard exists, streamed from the
    eigvecs.npy                (N, n, K)   } shards into memory-mapped files, so memory stays
    H.npy                      (N, n, n)   } bounded by one position at a time

K is the number of eigenpairs computed per position: n for the full methods, k for the top-k
ones (nothing beyond what was computed is stored).

Running the same settings again computes only the positions whose shard is missing, truncated
or corrupt (zip CRC, shapes, finiteness and the stored code are checked); different settings in
the same directory are refused. Every position's metric is a pure function of its code, so a
resumed sweep equals an uninterrupted one bit for bit.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan_geometry import checks
from gan_geometry.analysis.shards import pending, record, shard_path
from gan_geometry.analysis.statistics import SweepSummary, summarise
from gan_geometry.analysis.sweep_task import write_position
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.core.methods import default_k
from gan_geometry.errors import GeometryError, unknown
from gan_geometry.io.storage import atomic_path, check_space, load_arrays, load_json, save_json
from gan_geometry.progress import Progress, report
from gan_geometry.registry import REGISTRY

STACKS = ("eigvals", "eigvecs", "H")
FULL_METHODS = ("exact", "bp")  # methods that form H, so every shard holds it
log = logging.getLogger(__name__)


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


MAX_POSITIONS = 1_000_000


def check_disk(directory: Path, N: int, n: int, has_H: bool) -> None:
    """Refuse a sweep that would not fit on the disk holding ``directory``: it needs about
    2 N (2 + has_H) n^2 float64 values, the shards and the stacks each holding every position's
    eigenvectors and H (n^2 values each), with n^2 values per position of headroom."""
    check_space(directory, 2 * N * (2 + has_H) * n * n * 8, f"a sweep of {N} positions in {n} dimensions")


def sweep_settings(G: Generator, D: Distance, method: str, k: int | None, positions: np.ndarray,
                   seed: int | None, generator_options: dict, threads: int, compiled: bool) -> dict:
    """What determines a sweep's numbers: a resumed sweep must have the same."""
    return {
        "generator": G.name, "space": G.space, "generator_options": generator_options, "distance": D.name,
        "method": method, "k": k, "n_positions": int(positions.shape[0]), "latent_dim": G.latent_dim,
        "seed": seed, "positions_sha256": hashlib.sha256(np.ascontiguousarray(positions).tobytes()).hexdigest(),
        "threads": threads, "compiled": compiled,
    }


COMPILE_FROM = 300  # positions from which a sweep compiles its products by default: pays even on a cold cache
PARALLEL_FROM = 32  # positions from which an eager sweep runs in worker processes by default (their start pays)


def shard_shapes(n: int, method: str, k: int | None) -> dict[str, tuple[int, ...]]:
    """The arrays every sweep shard holds, with their shapes, for latent dimension n: K = n
    eigenpairs for the full methods (which also store H), K = k for the top-k ones."""
    has_H = method in FULL_METHODS
    K = n if has_H else k if k is not None else default_k(n)
    return {"eigvals": (K,), "eigvecs": (n, K), "n_computed": ()} | ({"H": (n, n)} if has_H else {})


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
    threads: int | None = None,
    workers: int | None = None,
    compiled: bool | None = None,
    backend: str = "local",
    address: str | None = None,
    cpus_per_task: float | None = None,
    gpus_per_task: float = 0,
) -> Sweep:
    """Compute (or finish) the metric at ``n`` positions sampled with ``seed`` from the
    generator's latent distribution, or at the given ``positions`` (N, latent_dim), into
    ``directory``. ``generator_options`` records how ``G`` was built (for provenance, the
    settings check, and to rebuild it on Ray workers). Returns the completed ``Sweep``.

    ``threads``: torch threads per position. It is part of the settings because floating-point
    reductions depend on it: the same threads give the same bits on any backend and with any
    number of workers. ``backend``: ``local`` (this machine) or ``ray`` (one Ray task per position;
    ``address`` joins a running cluster, else a local Ray with this machine's cores is started;
    ``cpus_per_task`` defaults to ``threads``; ``gpus_per_task``). ``workers``: processes of the
    local backend (``process_pool``); by default, for an eager sweep from ``PARALLEL_FROM``
    positions of a registered generator on the CPU built with the given ``generator_options``
    (workers rebuild it from them: ``{}`` for the defaults), one thread per position and as many
    workers as cores; otherwise this process alone, with its own threads. ``compiled``: compute
    ``exact`` with the compiled forward-mode product (``core.compiled``; within 1e-5 of eager, part
    of the settings; by default from ``COMPILE_FROM`` positions on). A compiled sweep runs in this
    process with every core's threads unless ``workers`` says otherwise: measured on dcgan-face64
    with LPIPS, 1,000 positions in 2.56 min against 2.93 min on two one-thread workers that each
    compile (``bench/sweep.py``); a cold compilation (23 s) is repaid from about 280 positions.
    Every backend writes the same atomic shards, so any resumes another's sweep.
    """
    if backend not in BACKENDS:
        raise unknown("sweep backend", backend, BACKENDS)
    directory = Path(directory)
    if positions is None:
        if n is None:
            raise GeometryError("a sweep needs n, the number of positions, or explicit positions")
        n = checks.whole(n, "the number of positions n", 1, MAX_POSITIONS)
        check_disk(directory, n, G.latent_dim, method in FULL_METHODS)
        positions = G.sample(n, seed=seed)
        recorded_seed = seed
    else:
        recorded_seed = None
    positions = torch.as_tensor(positions).detach().cpu().double().numpy()
    if positions.ndim != 2 or positions.shape[1] != G.latent_dim:
        raise GeometryError(f"positions must have shape (N, {G.latent_dim}); got {positions.shape}")
    if not np.isfinite(positions).all():
        raise GeometryError("positions contain NaN or inf entries")
    if compiled is None:
        compiled = positions.shape[0] >= COMPILE_FROM and method == "exact" and D.has_features
    parallel = (G.device.type == "cpu" and G.name in REGISTRY and generator_options is not None
                and backend == "local" and positions.shape[0] >= PARALLEL_FROM and not compiled)
    threads = checks.whole(threads if threads is not None else 1 if parallel else torch.get_num_threads(), "threads",
                          1, 1024)
    settings = sweep_settings(G, D, method, k, positions, recorded_seed, generator_options or {}, threads,
                              bool(compiled))

    record(directory / "sweep.json", settings, positions)

    N = positions.shape[0]
    todo = pending(directory, positions, shard_shapes(G.latent_dim, method, k))
    report(progress, (N - len(todo)) / N, f"{N - len(todo)}/{N} positions already done")
    if backend == "ray":
        from gan_geometry.analysis.ray_backend import run_positions

        run_positions(directory, positions, todo, G, D, settings, progress, address=address,
                      cpus_per_task=cpus_per_task if cpus_per_task is not None else threads,
                      gpus_per_task=gpus_per_task)
    elif (processes := local_workers(workers, threads, parallel, len(todo))) > 1:
        from gan_geometry.analysis.process_pool import run_positions

        run_positions(directory, positions, todo, G, D, settings, progress, processes)
    else:
        for done, i in enumerate(todo, start=N - len(todo) + 1):
            write_position(directory, i, positions[i], G, D, method, k, threads, settings["compiled"])
            report(progress, done / N, f"position {done}/{N}")
    return _consolidate(directory, settings, positions)


def local_workers(workers: int | None, threads: int, parallel: bool, todo: int) -> int:
    """Worker processes for ``todo`` positions: as asked (at most one per position), else, for a
    ``parallel`` sweep, as many as the cores allow at ``threads`` each."""
    if workers is None:
        workers = max(1, len(os.sched_getaffinity(0)) // threads) if parallel else 1
    return min(checks.whole(workers, "workers", 1, 1024), max(todo, 1))


BACKENDS = ("local", "ray")


def _consolidate(directory: Path, settings: dict, positions: np.ndarray) -> Sweep:
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


# ---- sweeps addressed by name inside a results folder (the app, the report CLI) ----------------
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")


def list_sweeps(root: str | Path) -> list[str]:
    """Names of the completed, readable sweeps directly inside ``root``, newest first. Folders
    that are not readable sweeps are skipped with a log line (one bad folder never hides the
    others)."""
    root = Path(root)
    found = []
    for folder in root.glob("*/sweep.json") if root.is_dir() else []:
        folder = folder.parent
        try:
            load_sweep(folder, verify=False)
        except GeometryError as err:
            log.warning("skipping %s: %s", folder, err)
            continue
        found.append((folder.joinpath("sweep.json").stat().st_mtime, folder.name))
    return [name for _, name in sorted(found, reverse=True)]


def sweep_folder(root: str | Path, name: str) -> Path:
    """The folder of the sweep called ``name`` in ``root``; names only (no paths, no '..'),
    and the sweep must exist."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise GeometryError(f"'{name}' is not a sweep name (letters, digits, '.', '_', '+', '-'; no paths); "
                            f"list the sweeps to see their names")
    folder = Path(root) / name
    if not (folder / "sweep.json").is_file():
        raise GeometryError(f"no sweep named '{name}' in the results folder; list the sweeps to see their names")
    return folder


def prune_sweeps(root: str | Path, keep: int) -> list[str]:
    """Delete all but the ``keep`` newest sweep folders in ``root`` (by their sweep.json's
    modification time); returns the deleted names. ``keep`` <= 0 deletes nothing."""
    root = Path(root)
    if keep <= 0 or not root.is_dir():
        return []
    folders = sorted((p.parent for p in root.glob("*/sweep.json")), key=lambda p: (p / "sweep.json").stat().st_mtime,
                     reverse=True)
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    return [folder.name for folder in folders[keep:]]


def sweep_label(sweep: Sweep) -> str:
    s = sweep.settings
    return f"{s['generator']} ({s['space']}, {s['distance']})"


def model_rows(sweeps: dict[str, Sweep], n_boot: int = 200) -> list[dict]:
    """Paper Table 2 and Table 4 with one row per sweep ({label: sweep}): N, n, the dimensions
    holding each anisotropy fraction (mean, std), C^H log and linear (mean, std), and the
    homogeneity statistics beyond C^H; plus each sweep's ``SweepSummary`` under ``summary``."""
    return [model_row(label, sweep, sweep.summary(n_boot=n_boot)) for label, sweep in sweeps.items()]


def model_row(label: str, sweep: Sweep, summary: SweepSummary) -> dict:
    """One row of ``model_rows`` from a sweep and its summary."""
    t, C, h = summary.anisotropy, summary.consistency, summary.homogeneity
    return {"label": label, "N": sweep.n_positions, "n": sweep.latent_dim, "fractions": t.fractions,
            "dims": list(zip(t.mean.tolist(), t.std.tolist(), strict=True)),
            "ch_log": (C.log_mean, C.log_std), "ch_lin": (C.lin_mean, C.lin_std),
            "log_euclidean": h.log_euclidean, "cosine": h.cosine, "summary": summary}
