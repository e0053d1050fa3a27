"""Sweeps addressed by name inside a results folder (the app, the report): list them, find one,
keep the newest. Names only, never paths: a name with a path or '..' in it is refused."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from gan_geometry.analysis.sweeps.folder import NAME, load_sweep
from gan_geometry.errors import GeometryError

log = logging.getLogger(__name__)


def list_sweeps(root: str | Path) -> list[str]:
    """Names of the completed, readable sweeps directly inside ``root``, newest first. Folders
    that are not readable sweeps are skipped with a log line (one bad folder never hides the
    others)."""
    root = Path(root)
    found = []
    for folder in root.glob("*/sweep.json") if root.is_dir() else []:
        folder = folder.parent
        try:
            load_sweep(folder, verify=False)
        except GeometryError as err:
            log.warning("skipping %s: %s", folder, err)
            continue
        found.append((folder.joinpath("sweep.json").stat().st_mtime, folder.name))
    return [name for _, name in sorted(found, reverse=True)]


def sweep_folder(root: str | Path, name: str) -> Path:
    """The folder of the sweep called ``name`` in ``root``; names only (no paths, no '..'),
    and the sweep must exist."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise GeometryError(f"'{name}' is not a sweep name (letters, digits, '.', '_', '+', '=', '-'; no paths); "
                            f"list the sweeps to see their names")
    folder = Path(root) / name
    if not (folder / "sweep.json").is_file():
        raise GeometryError(f"no sweep named '{name}' in the results folder; list the sweeps to see their names")
    return folder


def prune_sweeps(root: str | Path, keep: int) -> list[str]:
    """Delete all but the ``keep`` newest sweep folders in ``root`` (by their sweep.json's
    modification time); returns the deleted names. ``keep`` <= 0 deletes nothing."""
    root = Path(root)
    if keep <= 0 or not root.is_dir():
        return []
    folders = sorted((p.parent for p in root.glob("*/sweep.json")), key=lambda p: (p / "sweep.json").stat().st_mtime,
                     reverse=True)
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    return [folder.name for folder in folders[keep:]]
