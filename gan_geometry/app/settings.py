"""The app's limits and folders (read from the environment when the app is built)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """``limits``: what one request may ask for on a small CPU machine; ``results``: where sweeps
    are kept (``GGL_RESULTS``); ``max_sweeps``: sweeps kept there, newest first (0 = all;
    ``GGL_MAX_SWEEPS``, 20 on a Space, where the disk is shared and small); ``compiled``: the
    (generator, distance) pairs whose products are compiled, once, when the app starts - the
    default view every visitor's clicks repeat (``GGL_COMPILE=0``: none)."""

    results: Path = Path("results/app")
    max_sweeps: int = 0
    on_spaces: bool = False
    limits: dict = field(default_factory=lambda: {"ranks": 12, "steps": 11, "references": 6, "positions": 100,
                                                  "resolution": 256, "seconds": 120, "pairs": 4, "slice": 11})
    gallery: int = 8  # samples shown; sample indices 0..gallery-1
    explore_axes: int = 10  # live sliders for the top eigen-axes
    view_side: int = 192  # the current image is upscaled (nearest neighbour) to at least this many pixels
    download_age: int = 3600  # seconds a download is kept
    cache_bytes: dict = field(default_factory=lambda: {"models": 3 * 2**30, "distances": 512 * 2**20,
                                                       "metrics": 512 * 2**20, "images": 64 * 2**20})
    # what the server keeps in memory for reuse, in bytes (the least recently used go first)
    compiled: tuple = ()  # (generator, distance) pairs whose exact metric runs compiled (``core.compiled``)

    @classmethod
    def from_env(cls) -> Settings:
        on_spaces = "SPACE_ID" in os.environ
        compiled = () if os.environ.get("GGL_COMPILE") == "0" else (("dcgan-face64", "lpips-alex"),)
        return cls(results=Path(os.environ.get("GGL_RESULTS", "results/app")),
                   max_sweeps=int(os.environ.get("GGL_MAX_SWEEPS", 20 if on_spaces else 0)), on_spaces=on_spaces,
                   compiled=compiled)
