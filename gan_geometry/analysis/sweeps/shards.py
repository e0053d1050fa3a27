"""The folder of a resumable job, one atomic shard per position: metric sweeps and layer sweeps.

    <kind>.json             settings: everything that determines the numbers, written first
    positions.npy           (N, n) the latent codes
    shards/pos-00000.npz    one per position: the code "z" and the job's arrays, written atomically

``record`` writes the settings and positions, or checks that a run already recorded there had the
same settings (a resumed run must compute the same thing). A shard counts as done only when it
reads back completely (zip CRC), holds every array the job writes with its shape, belongs to its
code and is finite (``read_shard``); anything else is computed again. ``write_shard`` refuses
non-finite arrays, so no NaN reaches a stack.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan_geometry.errors import GeometryError
from gan_geometry.io.storage import atomic_path, claim_folder, load_arrays, save_arrays, save_json


def shard_path(directory: Path, i: int) -> Path:
    return Path(directory) / "shards" / f"pos-{i:05d}.npz"


def record(settings_file: Path, settings: dict, positions: np.ndarray) -> None:
    """Write ``settings`` and ``positions.npy`` beside it, or check that the settings recorded
    there are the same (names every setting that differs, with both values). A folder holding
    results of another kind is refused first."""
    directory = claim_folder(settings_file.parent, settings_file.name, settings)
    if not settings_file.exists():
        save_json(settings_file, settings)
    if not (directory / "positions.npy").exists():
        with atomic_path(directory / "positions.npy") as tmp, open(tmp, "wb") as handle:
            np.save(handle, positions)


def read_shard(directory: Path, i: int, z: np.ndarray, shapes: dict[str, tuple[int, ...]]) -> dict | None:
    """The arrays of shard ``i`` when it is complete: readable, every key of ``shapes`` with its
    shape, the code ``z`` (n,), all finite; else None."""
    try:
        arrays = load_arrays(shard_path(directory, i))
    except GeometryError:
        return None
    complete = (all(key in arrays and arrays[key].shape == shape for key, shape in shapes.items())
                and "z" in arrays and np.array_equal(arrays["z"], z)
                and all(np.isfinite(a).all() for a in arrays.values()))
    return arrays if complete else None


def pending(directory: Path, positions: np.ndarray, shapes: dict[str, tuple[int, ...]]) -> list[int]:
    """Indices of the positions (N, n) whose shard is not complete."""
    return [i for i, z in enumerate(positions) if read_shard(directory, i, z, shapes) is None]


def write_shard(directory: Path, i: int, z: np.ndarray, arrays: dict[str, np.ndarray]) -> None:
    """Write shard ``i`` (code ``z`` and ``arrays``) atomically; non-finite arrays are an error
    naming them and the position (nothing is written)."""
    bad = [key for key, value in arrays.items() if not np.isfinite(np.asarray(value, dtype=np.float64)).all()]
    if bad:
        raise GeometryError(f"position {i} gave non-finite values in {', '.join(bad)} (the generator or distance "
                            f"overflowed at this code); nothing was written for it")
    save_arrays(shard_path(directory, i), {"z": z, **arrays})
