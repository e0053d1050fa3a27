"""Metric tensors at many latent positions, written incrementally so a killed sweep resumes.

    sweep = run_sweep("results/face", G, D, n=100, seed=0)          # resumable
    sweep = load_sweep("results/face")                              # reopened, checked
    sweep.summary()                                                  # every statistic (SweepSummary)

The parts: ``plan`` decides what a sweep does before anything is computed (positions, settings,
executor); ``executors`` run the positions still to do (this process, local worker processes,
or Ray: one interface); ``task`` computes one position's shard, the same on each; ``shards`` is
the resumable folder format; ``folder`` turns shards into stacks and reads them back;
``catalogue`` finds sweeps by name in a results folder.

Running the same settings again computes only the positions whose shard is missing, truncated
or corrupt (zip CRC, shapes, finiteness and the stored code are checked); different settings in
the same directory are refused. Every position's metric is a pure function of its code and the
settings, so a resumed sweep equals an uninterrupted one bit for bit, on any executor.
"""

from __future__ import annotations

from pathlib import Path

from gan_geometry.analysis.sweeps.catalogue import list_sweeps, prune_sweeps, sweep_folder
from gan_geometry.analysis.sweeps.executors import Executor, InProcess, SweepPlan
from gan_geometry.analysis.sweeps.folder import Sweep, consolidate, load_sweep
from gan_geometry.analysis.sweeps.local import LocalWorkers
from gan_geometry.analysis.sweeps.plan import plan_sweep
from gan_geometry.analysis.sweeps.ray_cluster import RayCluster
from gan_geometry.analysis.sweeps.shards import record
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.progress import Progress, report

__all__ = ["Executor", "InProcess", "LocalWorkers", "RayCluster", "Sweep", "SweepPlan", "list_sweeps", "load_sweep",
           "plan_sweep", "prune_sweeps", "run_sweep", "sweep_folder"]


def run_sweep(directory: str | Path, G: Generator, D: Distance, n: int | None = None, seed: int = 0,
              positions=None, method: str = "exact", k: int | None = None, generator_options: dict | None = None,
              progress: Progress | None = None, threads: int | None = None, compiled: bool | None = None,
              executor: Executor | None = None) -> Sweep:
    """Compute (or finish) the metric at ``n`` positions sampled with ``seed`` from the
    generator's latent distribution, or at the given ``positions`` (N, latent_dim), into
    ``directory``; returns the completed ``Sweep``.

    ``generator_options``: how ``G`` was built (recorded, checked on resume, and what worker
    processes rebuild it from: ``{}`` for the defaults; None where unknown, which keeps the sweep
    in this process). ``threads``: torch threads per position, part of the settings because
    floating-point reductions depend on it. ``compiled``: ``exact`` with the compiled forward-mode
    product (within 1e-5 of eager; part of the settings; default: from ``plan.COMPILE_FROM``
    positions). ``executor``: ``InProcess()``, ``LocalWorkers(workers)`` or ``RayCluster(address,
    ...)``; by default ``plan.default_executor`` chooses (measured by ``python -m bench.sweep``).
    """
    plan = plan_sweep(directory, G, D, n, seed, positions, method, k, generator_options, threads, compiled, executor)
    plan.executor.prepare(plan, G, D)
    record(plan.directory / "sweep.json", plan.settings, plan.positions)
    N = plan.n_positions
    report(progress, (N - len(plan.todo)) / N, f"{N - len(plan.todo)}/{N} positions already done")
    plan.executor.run(plan, G, D, progress)
    return consolidate(plan.directory, plan.settings, plan.positions)
