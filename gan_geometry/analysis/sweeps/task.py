"""The work of one sweep position, the same on every backend (this process, local worker
processes, Ray): the metric at a code computed with a given number of torch threads, written as
that position's shard. A shard's bits depend only on the code and the settings, never on which
process or worker computed it.

Other processes rebuild the generator and the distance from a ``recipe`` (registered name,
space, options, device, and the weights' checksum), once per process (``models``), and refuse a
rebuilt generator whose weights differ from the caller's.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path

import numpy as np
import torch

from gan_geometry.analysis.sweeps.shards import write_shard
from gan_geometry.core.distances import Distance, load_distance, tensor_checksum
from gan_geometry.core.generators import Generator
from gan_geometry.core.metric import metric_tensor
from gan_geometry.errors import GeometryError
from gan_geometry.registry import REGISTRY, load_generator


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
                   threads: int, compiled: bool = False) -> None:
    """The metric at position ``i`` (code ``z`` (n,)) with ``threads`` torch threads (and the
    compiled forward-mode product when ``compiled``), as its shard: eigvals (K,), eigvecs (n, K),
    n_computed, seconds, and H (n, n) where the method forms it."""
    with torch_threads(threads):
        result = metric_tensor(G, D, torch.from_numpy(z).to(G.dtype), method=method, k=k, compiled=compiled)
    arrays = {"eigvals": result.eigvals, "eigvecs": result.eigvecs,
              "seconds": np.array(result.provenance["seconds"]), "n_computed": np.array(result.n_computed)}
    if result.H is not None:
        arrays["H"] = result.H
    write_shard(directory, i, z, arrays)


def recipe(G: Generator, D: Distance, generator_options: dict, backend: str) -> str:
    """What another process needs to rebuild ``G`` and ``D`` (JSON); ``G`` must be registered."""
    if G.name not in REGISTRY:
        raise GeometryError(f"the {backend} backend rebuilds generators by name in each worker; '{G.name}' is not "
                            f"registered (gan_geometry.registry.register it) — or run in this process")
    return json.dumps({"generator": G.name, "space": G.space, "options": generator_options, "distance": D.name,
                       "device": str(G.device), "checksum": tensor_checksum(G.state_dict())})


@functools.lru_cache(maxsize=4)
def models(recipe: str) -> tuple[Generator, Distance]:
    """The generator and distance a recipe names, built once per process."""
    r = json.loads(recipe)
    G = load_generator(r["generator"], space=r["space"], device=r["device"], **r["options"])
    if tensor_checksum(G.state_dict()) != r["checksum"]:
        raise GeometryError(f"{r['generator']} rebuilt in a worker has other weights than the caller's; give "
                            f"run_sweep the generator_options it was built with, and the same weights on every node")
    return G, load_distance(r["distance"], device=r["device"])


def position_task(directory: str, i: int, z: np.ndarray, recipe: str, settings: dict) -> int:
    """``write_position`` in a worker process, with the models its recipe names and the sweep's
    ``settings`` (method, k, threads, compiled); returns ``i``."""
    G, D = models(recipe)
    write_position(Path(directory), i, z, G, D, settings["method"], settings["k"], settings["threads"],
                   settings["compiled"])
    return i
