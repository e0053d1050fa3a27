"""Atomic, pickle-free storage: numpy ``.npz`` (``allow_pickle=False``) plus JSON.

Every writer goes through ``atomic_path``: the data lands in a temporary file in the same
folder and is renamed over the target only once complete, so a crash never leaves a
half-written result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from gan_geometry.errors import GeometryError
from gan_geometry.presentation.formats import size


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are ordinary readable files
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sha256_of(path: Path) -> str:
    """The SHA-256 of the file at ``path``, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_space(directory: str | Path, needed: int, what: str) -> None:
    """Refuse, before anything is written, ``what`` that needs about ``needed`` bytes where the
    disk holding ``directory`` (or its nearest existing parent) has less free."""
    existing = writable_place(directory, f"{what} in {directory}")
    free = shutil.disk_usage(existing).free
    if needed > free:
        raise GeometryError(f"{what} needs about {size(needed)} on disk; {size(free)} are free at "
                            f"{existing}. Use a smaller n or another --out.")


def check_writable(target: str | Path, what: str = "output") -> Path:
    """Refuse, before any work, an output ``target`` that is a directory or whose folder cannot be
    created or written (tried by writing a temporary file there: permissions alone do not tell,
    e.g. for root in /proc); returns it as a Path."""
    target = Path(target)
    if target.is_dir():
        raise GeometryError(f"{what} {target} is a directory; give a file name")
    writable_place(target.parent, f"{what} {target}")
    return target


def writable_place(directory: str | Path, what: str) -> Path:
    """The nearest existing folder of ``directory`` (itself or a parent), refused unless a file
    can be written there (tried with a temporary file: permissions alone do not tell, e.g. for
    root in /proc)."""
    directory = Path(directory)
    folder = next((p for p in (directory, *directory.parents) if p.exists()), Path("."))
    writable = folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
    if writable:
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".ggl-check-"):
                pass
        except OSError:
            writable = False
    if not writable:
        raise GeometryError(f"{what} cannot be written: {folder} is not a writable folder")
    return folder


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` (.npz) atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Read a ``.npz`` that holds plain numeric arrays only; pickled objects are refused."""
    path = Path(path)
    if not path.is_file():
        raise GeometryError(f"{path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except ValueError as err:  # numpy's message for object arrays under allow_pickle=False
        raise GeometryError(f"{path} holds a pickled object array; only numeric arrays are accepted") from err
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise GeometryError(f"{path} is not a readable .npz file ({err})") from err


def _numbers(tree, prefix: str = "") -> list[tuple[str, float]]:
    """(path, value) of every number in nested dicts and lists (JSON-like)."""
    if isinstance(tree, dict):
        return [item for key, value in tree.items() for item in _numbers(value, f"{prefix}{key}.")]
    if isinstance(tree, list | tuple):
        return [item for i, value in enumerate(tree) for item in _numbers(value, f"{prefix}{i}.")]
    if isinstance(tree, int | float) and not isinstance(tree, bool):
        return [(prefix.rstrip("."), float(tree))]
    return []


# the file that marks what a results folder holds: no command writes into a folder of another kind
FOLDER_KINDS = {"sweep.json": "a sweep", "layers.json": "a layer sweep", "provenance.json": "a metric",
                "axes.json": "an axis set", "inversion.json": "inversion runs", "search.json": "search runs",
                "interpolation.json": "interpolation runs", "two-models.json": "a two-model interpolation comparison",
                "reproduce.json": "a reproduction of the paper",
                "slice.json": "slice maps"}


def claim_folder(directory: str | Path, marker: str, settings: dict | None = None) -> Path:
    """``directory`` for results marked by ``marker`` (a key of ``FOLDER_KINDS``), judged by where
    it points (a symlink by its target) and refused before anything is written when its name is
    empty, when it is the filesystem root or a file, when it holds results of another kind (which
    would be overwritten or mixed) or files that are not this tool's results (a folder of yours),
    or, given ``settings``, when the results of this kind already there were made with other
    settings (each key of ``settings`` is compared with what ``marker`` records; the same settings
    may resume or redo the same run), or when nothing can be written there."""
    if str(directory).strip() in ("", "."):
        raise GeometryError("the output folder is empty or the current folder; give a folder name, e.g. --out "
                            "results/run1")
    directory = Path(directory)
    real = directory.resolve()
    shown = directory if real == directory.absolute() else f"{directory} (which is {real})"
    if real == Path(real.anchor):
        raise GeometryError(f"{shown} is the filesystem root; give a folder of its own, e.g. --out results/run1")
    if real.exists() and not real.is_dir():
        raise GeometryError(f"{shown} is a file; results go in a folder (give another --out)")
    others = [kind for name, kind in FOLDER_KINDS.items() if name != marker and (real / name).exists()]
    if others:
        raise GeometryError(f"{shown} holds {others[0]}; writing {FOLDER_KINDS[marker]} there would overwrite "
                            f"or mix with it: use another folder")
    if real.is_dir() and not (real / marker).exists() and any(not p.name.startswith(".") for p in real.iterdir()):
        raise GeometryError(f"{shown} already holds files that are not results of this tool; give a new or empty "
                            f"folder, so nothing of yours is overwritten")
    if settings is not None and (real / marker).exists():
        previous = recorded_settings(real / marker)
        different = sorted(key for key in settings if previous.get(key) != settings[key])
        if different:
            raise GeometryError(
                f"{shown} holds {FOLDER_KINDS[marker]} with other settings ({', '.join(different)} differ: "
                + "; ".join(f"{key} was {previous.get(key)!r}, now {settings[key]!r}" for key in different)
                + "). Use another output folder, or the same settings to resume or redo it.")
    writable_place(directory, f"{FOLDER_KINDS[marker]} in {directory}")
    return directory


def new_file(target: str | Path, what: str, force: bool = False) -> Path:
    """An output file of the command line (a montage, an image grid, a report), refused before any
    work when it exists already (unless ``force``), when it would go straight into a results
    folder (whose files the tool reads back), or when it cannot be written."""
    target = check_writable(target, what)
    folder = target.parent.resolve()
    kinds = [kind for name, kind in FOLDER_KINDS.items() if (folder / name).is_file()]
    if kinds:
        raise GeometryError(f"{what} {target} would go into {target.parent}, which holds {kinds[0]}; write it "
                            f"elsewhere (a report finds montages in its montages/ subfolder)")
    if target.exists() and not force:
        raise GeometryError(f"{what} {target} already exists; add --force to replace it, or give another name")
    return target


# where a marker file keeps its settings (else: at its top)
SETTINGS_FIELD = {"inversion.json": "settings", "search.json": "settings", "interpolation.json": "settings",
                  "two-models.json": "settings", "slice.json": "settings"}


def recorded_settings(marker_file: Path) -> dict:
    """The settings a results folder's marker file records ({} when it holds none readable)."""
    recorded = load_json(marker_file)
    field = SETTINGS_FIELD.get(marker_file.name)
    if field is not None and isinstance(recorded, dict):
        recorded = recorded.get(field)
    return recorded if isinstance(recorded, dict) else {}


def save_runs(directory: str | Path, kind: str, settings: dict, arrays: dict[str, np.ndarray], summary: dict) -> None:
    """An application's results: ``<kind>.npz`` (arrays) and ``<kind>.json`` (settings and
    summary) in ``directory``, atomically (a folder of another kind, or of this kind with other
    settings, is refused). Non-finite results are an error naming them: nothing is written and
    nothing printed as nan or inf."""
    claim_folder(directory, f"{kind}.json", settings)
    bad = [key for key, value in arrays.items() if not np.isfinite(np.asarray(value, dtype=np.float64)).all()]
    bad += [key for key, value in _numbers(summary) if not np.isfinite(value)]
    if bad:
        raise GeometryError(f"the {kind} gave non-finite results ({', '.join(bad[:4])}): the steps or settings take "
                            f"the generator out of range; use smaller values")
    save_json(Path(directory) / f"{kind}.json", {"settings": settings, "summary": summary})  # the marker first
    save_arrays(Path(directory) / f"{kind}.npz", arrays)


def load_runs(directory: str | Path, kind: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(json, arrays) written by ``save_runs``; a GeometryError when absent or damaged."""
    return load_json(Path(directory) / f"{kind}.json"), load_arrays(Path(directory) / f"{kind}.npz")


def save_json(path: Path, obj: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True))


def load_json(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise GeometryError(f"{path} does not exist")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise GeometryError(f"{path} is not valid JSON ({err})") from err


AXIS_LABELS = "axis-labels.json"


def axis_labels_key(generator: str, space: str, distance: str) -> str:
    return f"{generator}/{space}/{distance}"


def load_axis_labels(root: str | Path, key: str) -> dict[int, str]:
    """The eigen-axis labels kept in ``root/axis-labels.json`` for ``key`` ({rank: text}, ranks
    from 1); {} when none are kept or the file is not readable."""
    path = Path(root) / AXIS_LABELS
    try:
        kept = load_json(path)
    except GeometryError:
        return {}
    entry = kept.get(key, {}) if isinstance(kept, dict) else {}
    return {int(rank): str(text) for rank, text in entry.items() if str(rank).isdigit()} \
        if isinstance(entry, dict) else {}


def keep_axis_labels(root: str | Path, key: str, labels: dict[int, str]) -> Path:
    """Add ``labels`` ({rank: text}) for ``key`` to ``root/axis-labels.json`` (atomically), where
    the app reads them: a label given on the command line shows on the app's sliders and montages."""
    path = Path(root) / AXIS_LABELS
    try:
        kept = load_json(path)
    except GeometryError:
        kept = {}
    kept = kept if isinstance(kept, dict) else {}
    kept[key] = {**{str(r): t for r, t in kept.get(key, {}).items()}, **{str(r): t for r, t in labels.items()}}
    save_json(path, kept)
    return path
