"""A user's own latent code from a ``.npy`` file: what the app's upload and the command line's
``--code FILE.npy`` both read (numbers only, never pickled objects, at most 1 MB); its shape,
finiteness and magnitude are then checked by the generator (``Generator.check_latent``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan_geometry.errors import GeometryError

MAX_BYTES = 1_000_000


def read_code(path: str | Path) -> np.ndarray:
    """The numbers in ``path`` (a .npy array of any shape) as a flat float64 array."""
    path = Path(path)
    if not path.is_file():
        raise GeometryError(f"latent code file {path} does not exist")
    if path.stat().st_size > MAX_BYTES:
        raise GeometryError(f"latent code file {path} is over 1 MB; a latent code is a few thousand numbers at most")
    try:
        z = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise GeometryError(f"{path} is not a numeric .npy array ({err}); pickled files are refused") from None
    if not isinstance(z, np.ndarray) or not np.issubdtype(z.dtype, np.number):
        raise GeometryError(f"{path} holds {getattr(z, 'dtype', type(z).__name__)} values; a latent code is numbers")
    return np.asarray(z, dtype=np.float64).ravel()
