"""The tracker interface and the fan-out to several trackers at once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol

import numpy as np


class Tracker(Protocol):
    """Where results go. ``image``: (H, W, 3) uint8; ``histogram``: any 1-d values."""

    def scalar(self, tag: str, value: float, step: int = 0) -> None: ...
    def image(self, tag: str, image: np.ndarray, step: int = 0) -> None: ...
    def histogram(self, tag: str, values: np.ndarray, step: int = 0) -> None: ...
    def text(self, tag: str, text: str) -> None: ...
    def close(self) -> None: ...


class Trackers:
    """Several trackers as one (each call goes to every one of them)."""

    def __init__(self, trackers: list[Tracker]):
        self.trackers = trackers

    def scalar(self, tag: str, value: float, step: int = 0) -> None:
        for t in self.trackers:
            t.scalar(tag, float(value), step)

    def image(self, tag: str, image: np.ndarray, step: int = 0) -> None:
        for t in self.trackers:
            t.image(tag, image, step)

    def histogram(self, tag: str, values: np.ndarray, step: int = 0) -> None:
        for t in self.trackers:
            t.histogram(tag, np.asarray(values, dtype=np.float64), step)

    def text(self, tag: str, text: str) -> None:
        for t in self.trackers:
            t.text(tag, text)

    def close(self) -> None:
        for t in self.trackers:
            t.close()


@contextlib.contextmanager
def open_trackers(tensorboard: str | None = None, wandb: str | None = None, name: str = "gan-geometry",
                  config: dict | None = None) -> Iterator[Trackers]:
    """The trackers asked for (none: calls do nothing), closed on exit: TensorBoard event files in
    the folder ``tensorboard``; a W&B run in the project ``wandb`` (offline where W&B cannot be
    reached or no API key is set)."""
    trackers: list[Tracker] = []
    try:
        if tensorboard:
            from gan_geometry.trackers.tensorboard import TensorBoard

            trackers.append(TensorBoard(tensorboard))
        if wandb:
            from gan_geometry.trackers.wandb_run import WandbRun

            trackers.append(WandbRun(wandb, name, config or {}))
        yield Trackers(trackers)
    finally:
        Trackers(trackers).close()
