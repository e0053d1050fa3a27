"""Sweep positions in worker processes on this machine: the local backend's way of using every core.

One position's metric is a chain of small dense products that one process cannot spread over
many cores well (measured: a 1,000-position LPIPS sweep of dcgan-face64 takes 3.41 min in one
process with two threads and 3.16 min in two one-thread workers on two cores). So the local backend
starts ``workers`` processes (``spawn``: nothing of this process's thread pools is inherited),
each with ``threads`` torch threads; each rebuilds the registered generator and the distance once
(``sweep_task.models``, checked against this process's weights) and writes the same atomic shards
as every other backend. Results do not depend on the number of workers: a position's bits depend
on its code and ``threads`` only.

Workers ignore Ctrl-C (the caller handles it once); when the caller is interrupted or a position
fails, the pool is terminated, and when it finishes the workers exit: no worker outlives the
call. Finished shards stay: rerunning the same sweep resumes it.
"""

from __future__ import annotations

import multiprocessing
import signal
from pathlib import Path

import numpy as np

from gan_geometry.analysis.sweep_task import position_task, recipe
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.progress import Progress, report


def _start_worker(threads: int) -> None:
    import torch
    from torch._inductor import config

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    config.compile_threads = 1  # a worker compiles in itself: no pool of compiler processes inside the pool


def _run(task: tuple) -> int:
    return position_task(*task)


def run_positions(directory: Path, positions: np.ndarray, todo: list[int], G: Generator, D: Distance, settings: dict,
                  progress: Progress | None, workers: int) -> None:
    """Compute the positions ``todo`` in ``workers`` processes, writing their shards into
    ``directory``; progress is reported as each shard lands."""
    models = recipe(G, D, settings["generator_options"], "local worker")
    tasks = [(str(directory), i, positions[i], models, settings) for i in todo]
    N = positions.shape[0]
    done = N - len(todo)
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
