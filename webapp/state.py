"""What one server keeps between requests: cached generators, distances and metrics (shared
between requests, so never hooked or mutated per request) and the folder of downloads."""

from __future__ import annotations

import collections
import functools
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from geometry import REGISTRY, GeometryError, MetricResult, load_distance, load_generator, metric_tensor
from webapp.settings import Settings


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


class AppState:
    """Caches keyed by their inputs (metrics bounded in bytes: ``settings.metric_cache_bytes``),
    and a downloads folder removed by ``close``."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.downloads = Path(tempfile.mkdtemp(prefix="ggl-app-"))
        self.generator = functools.lru_cache(maxsize=8)(self._generator)
        self.distance = functools.lru_cache(maxsize=6)(load_distance)
        self.metric = BoundedCache(self._metric, metric_bytes, settings.metric_cache_bytes)
        self.image = functools.lru_cache(maxsize=64)(self._image)

    def _generator(self, name: str, space: str):
        if name not in REGISTRY:
            raise GeometryError(f"unknown generator '{name}'; choose one of: {', '.join(REGISTRY)}")
        cap = self.settings.limits["resolution"]
        if REGISTRY[name].resolution > cap:
            raise GeometryError(f"{name} makes {REGISTRY[name].resolution}px images; this app is capped at {cap}px on "
                                f"this machine (use the Python API for it)")
        return load_generator(name, space=space or None)

    def _metric(self, gen: str, space: str, dist: str, method: str, k: int | None,
                z: tuple[float, ...]) -> MetricResult:
        return metric_tensor(self.generator(gen, space), self.distance(dist), np.array(z, dtype=np.float32),
                             method=method, k=k, seconds_cap=self.settings.limits["seconds"])

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
