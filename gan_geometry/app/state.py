"""What one server keeps between requests: cached generators, distances and metrics (shared
between requests, so never hooked or mutated per request) and the folder of downloads."""

from __future__ import annotations

import collections
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from gan_geometry import GeometryError, MetricResult, load_distance, load_generator, metric_tensor
from gan_geometry.app.settings import Settings
from gan_geometry.core.cost import CostModel
from gan_geometry.registry import entry_of


class BoundedCache:
    """Results of ``compute(*key)`` kept while their total size stays under ``max_bytes`` (the
    least recently used go first); ``size(result)`` says what one costs."""

    def __init__(self, compute, size, max_bytes: int):
        self.compute, self.size, self.max_bytes = compute, size, max_bytes
        self.entries: collections.OrderedDict = collections.OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, *key):
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        result = self.compute(*key)
        with self.lock:
            self.entries[key] = result
            while len(self.entries) > 1 and self.bytes() > self.max_bytes:
                self.entries.popitem(last=False)
        return result

    def bytes(self) -> int:
        return sum(self.size(value) for value in self.entries.values())


def metric_bytes(m: MetricResult) -> int:
    return sum(a.nbytes for a in (m.z, m.eigvals, m.eigvecs, m.H) if a is not None)


def module_bytes(module) -> int:
    """Bytes of a model's parameters and buffers (what keeping it costs)."""
    return sum(t.nbytes for t in (*module.parameters(), *module.buffers()))


class AppState:
    """Caches keyed by their inputs, each bounded in bytes (``settings.cache_bytes``: models,
    metrics, images; the least recently used go first, the newest is always kept), the server's
    ``CostModel`` (its estimates learn from this server's calls, and from no one else's), and a
    downloads folder removed by ``close``."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.downloads = Path(tempfile.mkdtemp(prefix="ggl-app-"))
        limit = settings.cache_bytes
        self.generator = BoundedCache(self._generator, module_bytes, limit["models"])
        self.distance = BoundedCache(load_distance, module_bytes, limit["distances"])
        self.metric = BoundedCache(self._metric, metric_bytes, limit["metrics"])
        self.image = BoundedCache(self._image, lambda x: x.nbytes, limit["images"])
        self.costs = CostModel()
        self.startup: list[MetricResult] = []  # metrics computed while the server started (``warm``)

    def _generator(self, name: str, space: str):
        entry = entry_of(name)
        cap = self.settings.limits["resolution"]
        if entry.sample_rate is None and entry.resolution > cap:
            raise GeometryError(f"{name} makes {entry.resolution}px images; this app is capped at {cap}px on "
                                f"this machine (use the Python API for it)")
        return load_generator(name, space=space or None)

    def _metric(self, gen: str, space: str, dist: str, method: str, k: int | None,
                z: tuple[float, ...]) -> MetricResult:
        return metric_tensor(self.generator(gen, space), self.distance(dist), np.array(z, dtype=np.float32),
                             method=method, k=k, seconds_cap=self.settings.limits["seconds"],
                             compiled=True if (gen, dist) in self.settings.compiled else None, costs=self.costs)

    def warm(self, metric: MetricResult) -> None:
        """Remember a metric computed while the server started, so the page says its time was
        start-up work, not the visitor's wait."""
        self.startup.append(metric)

    def computed_at_start(self, metric: MetricResult) -> bool:
        return any(metric is m for m in self.startup)

    def _image(self, gen: str, space: str, z: tuple[float, ...]):
        """The generator's image (1, C, H, W) of code ``z``, kept for the live explorer's distance."""
        import torch

        G = self.generator(gen, space)
        with torch.no_grad():
            return G(torch.tensor([z], dtype=G.dtype, device=G.device))

    def download_folder(self, prefix: str) -> Path:
        """A fresh folder for files the user downloads; folders older than ``download_age`` go."""
        for old in self.downloads.glob("*"):
            if time.time() - old.stat().st_mtime > self.settings.download_age:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.downloads))

    def close(self) -> None:
        shutil.rmtree(self.downloads, ignore_errors=True)
