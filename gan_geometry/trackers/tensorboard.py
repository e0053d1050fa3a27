"""TensorBoard event files through torch's ``SummaryWriter`` (the ``tensorboard`` package)."""

from __future__ import annotations

import numpy as np

from gan_geometry.errors import GeometryError


class TensorBoard:
    """Event files in ``directory`` (``tensorboard --logdir directory`` shows them)."""

    def __init__(self, directory: str):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise GeometryError("--tensorboard needs TensorBoard: pip install tensorboard (or the extra "
                                "gan-geometry-lab[trackers])") from None
        self.writer = SummaryWriter(log_dir=directory)

    def scalar(self, tag: str, value: float, step: int = 0) -> None:
        self.writer.add_scalar(tag, value, step)

    def image(self, tag: str, image: np.ndarray, step: int = 0) -> None:
        self.writer.add_image(tag, image, step, dataformats="HWC")

    def histogram(self, tag: str, values: np.ndarray, step: int = 0) -> None:
        self.writer.add_histogram(tag, values, step)

    def text(self, tag: str, text: str) -> None:
        self.writer.add_text(tag, text)

    def close(self) -> None:
        self.writer.close()
