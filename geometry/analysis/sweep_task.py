"""The work of one sweep position, the same on every backend (local or Ray): the metric at a
code computed with a given number of torch threads, written as that position's shard. A shard's
bits depend only on the code and the settings, never on which process or worker computed it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch

from geometry.analysis.shards import write_shard
from geometry.core.distances import Distance
from geometry.core.generators import Generator
from geometry.core.metric import metric_tensor


@contextlib.contextmanager
def torch_threads(threads: int):
    """Run the body with ``threads`` torch threads. The setting is process-wide, so it is changed
    only when it differs (and restored after): callers that run side by side in one process (the
    app's requests) pass the process's own setting and change nothing."""
    previous = torch.get_num_threads()
    if threads == previous:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def write_position(directory: Path, i: int, z: np.ndarray, G: Generator, D: Distance, method: str, k: int | None,
                   threads: int) -> None:
    """The metric at position ``i`` (code ``z`` (n,)) with ``threads`` torch threads, as its shard:
    eigvals (n,), eigvecs (n, n), n_computed, seconds, and H (n, n) where the method forms it."""
    with torch_threads(threads):
        result = metric_tensor(G, D, torch.from_numpy(z).to(G.dtype), method=method, k=k)
    arrays = {"eigvals": result.eigvals, "eigvecs": result.eigvecs,
              "seconds": np.array(result.provenance["seconds"]), "n_computed": np.array(result.n_computed)}
    if result.H is not None:
        arrays["H"] = result.H
    write_shard(directory, i, z, arrays)
