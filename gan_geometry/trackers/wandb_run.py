"""A Weights & Biases run; offline (files under ``./wandb``, ``wandb sync`` uploads them later)
where W&B cannot be reached or no API key is set, so a sweep never waits on a login prompt."""

from __future__ import annotations

import os

import numpy as np

from gan_geometry.errors import GeometryError


def mode() -> str:
    """``WANDB_MODE`` where set; else online only with an API key and a connection."""
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    from gan_geometry.io.network import answers

    return "online" if os.environ.get("WANDB_API_KEY") and answers("api.wandb.ai") else "offline"


class WandbRun:
    def __init__(self, project: str, name: str, config: dict):
        try:
            import wandb
        except ImportError:
            raise GeometryError("--wandb needs Weights & Biases: pip install wandb (or the extra "
                                "gan-geometry-lab[trackers])") from None
        self.wandb = wandb
        self.run = wandb.init(project=project, name=name, config=config, mode=mode(), reinit="create_new",
                              settings=wandb.Settings(silent=True, console="off"))

    def scalar(self, tag: str, value: float, step: int = 0) -> None:
        self.run.log({tag: value, "position": step})

    def image(self, tag: str, image: np.ndarray, step: int = 0) -> None:
        self.run.log({tag: self.wandb.Image(image), "position": step})

    def histogram(self, tag: str, values: np.ndarray, step: int = 0) -> None:
        self.run.log({tag: self.wandb.Histogram(values), "position": step})

    def text(self, tag: str, text: str) -> None:
        self.run.summary[tag] = text

    def close(self) -> None:
        self.run.finish()
