"""Sweep positions in worker processes on this machine: the ``LocalWorkers`` executor.

One position's eager metric is a chain of small dense products that one process cannot spread
over many cores well, so the local executor starts ``workers`` processes (``spawn``: nothing of
this process's thread pools is inherited), each with ``threads`` torch threads; each rebuilds the
registered generator and the distance once (``task.models``, checked against this process's
weights) and writes the same atomic shards as every other executor. Results do not depend on the
number of workers: a position's bits depend on its code and the settings only.

No worker outlives its driver: workers ignore Ctrl-C (the caller handles it once), the pool is
terminated when the caller is interrupted or a position fails, and each worker asks the kernel
to kill it when the process that started it dies (Linux ``PR_SET_PDEATHSIG``), so even a driver
killed with SIGKILL leaves no worker running. The worker count is capped by this machine's cores.
Finished shards stay: rerunning the same sweep resumes it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from dataclasses import dataclass

from gan_geometry import checks
from gan_geometry.analysis.sweeps.executors import Executor, InProcess, SweepPlan
from gan_geometry.analysis.sweeps.task import position_task, recipe
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.progress import Progress, report

PR_SET_PDEATHSIG = 1


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worker_count(workers: int | None, threads: int, todo: int) -> int:
    """Worker processes for ``todo`` positions: as asked (refused above this machine's cores), else
    as many as the cores allow at ``threads`` each; never more than one per position."""
    available = cores()
    if workers is None:
        workers = max(1, available // threads)
    workers = checks.whole(workers, f"workers (this machine has {available} cores)", 1, available)
    return min(workers, max(todo, 1))


def die_with_parent() -> None:
    """Ask the kernel to send this process SIGKILL when its parent dies (Linux; elsewhere nothing)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request was made
        os._exit(1)


def _start_worker(threads: int) -> None:
    import torch
    from torch._inductor import config

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    config.compile_threads = 1  # a worker compiles in itself: no pool of compiler processes inside the pool


def _run(task: tuple) -> int:
    return position_task(*task)


def run_positions(plan: SweepPlan, G: Generator, D: Distance, progress: Progress | None, workers: int) -> None:
    """Compute the positions ``plan.todo`` in ``workers`` processes, writing their shards into
    ``plan.directory``; progress is reported as each shard lands."""
    settings = plan.settings
    models = recipe(G, D, settings["generator_options"], "local worker")
    tasks = [(str(plan.directory), i, plan.positions[i], models, settings) for i in plan.todo]
    N = plan.n_positions
    done = N - len(plan.todo)
    pool = multiprocessing.get_context("spawn").Pool(workers, _start_worker, (settings["threads"],))
    try:
        for _ in pool.imap_unordered(_run, tasks):
            done += 1
            report(progress, done / N, f"position {done}/{N} ({workers} workers)")
        pool.close()  # finished: the workers exit on their own
    except BaseException:
        pool.terminate()  # interrupted or failed: the workers are stopped now
        raise
    finally:
        pool.join()


@dataclass(frozen=True)
class LocalWorkers(Executor):
    """``workers`` spawned processes on this machine (default: the cores divided by the threads
    per position; more than the cores are refused when it is made), each rebuilding the registered
    generator once; one worker is this process."""

    workers: int | None = None
    name = "local workers"

    def __post_init__(self):
        if self.workers is not None:
            worker_count(self.workers, 1, 1)

    def default_threads(self) -> int:
        return 1

    def prepare(self, plan: SweepPlan, G: Generator, D: Distance) -> None:
        """Workers rebuild the generator by name: an unregistered one is refused before any work."""
        if worker_count(self.workers, plan.settings["threads"], len(plan.todo)) > 1:
            recipe(G, D, plan.settings["generator_options"], "local worker")

    def run(self, plan: SweepPlan, G: Generator, D: Distance, progress: Progress | None) -> None:
        workers = worker_count(self.workers, plan.settings["threads"], len(plan.todo))
        if workers == 1:
            InProcess().run(plan, G, D, progress)
        else:
            run_positions(plan, G, D, progress, workers)
