"""A sweep's plan, and one interface for whatever computes its positions:
``executor.run(plan, G, D, progress)`` writes the shard of every position in ``plan.todo``
(``task.write_position``: the same atomic shards on every executor, so any resumes another's
sweep). ``plan.plan_sweep`` decides the plan.

- ``InProcess``: one position after another in this process, with its threads.
- ``local.LocalWorkers(workers)``: spawned worker processes on this machine, one torch thread each
  by default.
- ``ray_cluster.RayCluster(address, cpus_per_task, gpus_per_task)``: one Ray task per position, on
  a local Ray or a cluster (Ray is the optional extra ``[ray]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan_geometry.analysis.sweeps.task import write_position
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.progress import Progress, report


class Executor:
    """Computes a plan's positions. ``default_threads``: torch threads per position when the
    sweep does not say (part of the settings: the same threads give the same bits)."""

    name = "executor"

    def default_threads(self) -> int:
        return torch.get_num_threads()

    def prepare(self, plan: SweepPlan, G: Generator, D: Distance) -> None:
        """Whatever must hold before anything is written (a reachable cluster, the models
        rebuildable elsewhere); refused in one line. Nothing by default."""

    def run(self, plan: SweepPlan, G: Generator, D: Distance, progress: Progress | None) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class SweepPlan:
    """A sweep decided: its ``directory``, ``positions`` (N, n) float64, the ``settings`` that
    determine its numbers, the indices still ``todo`` (their shard missing or damaged), and the
    ``executor`` that computes them."""

    directory: Path
    positions: np.ndarray
    settings: dict
    todo: list[int]
    executor: Executor

    @property
    def n_positions(self) -> int:
        return self.positions.shape[0]


@dataclass(frozen=True)
class InProcess(Executor):
    """The positions one after another in this process."""

    name = "this process"

    def run(self, plan: SweepPlan, G: Generator, D: Distance, progress: Progress | None) -> None:
        s, N = plan.settings, plan.n_positions
        for done, i in enumerate(plan.todo, start=N - len(plan.todo) + 1):
            write_position(plan.directory, i, plan.positions[i], G, D, s["method"], s["k"], s["threads"],
                           s["compiled"])
            report(progress, done / N, f"position {done}/{N}")
