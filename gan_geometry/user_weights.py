"""A user's weights file for a registered generator: check it, then install it into the cache.

    report = check_weights("stylegan2-ffhq-256", "checkpoint/550000.pt")  # loads, draws a sample
    install_weights("stylegan2-ffhq-256", "checkpoint/550000.pt")         # into the cache, digest pinned

``check_weights`` builds the generator from the file exactly as ``load_generator(name,
weights_path=file)`` does, so every problem is the one-line error a load would give (not a
checkpoint, another family, keys missing, a shape of another size); it then draws sample 0 of
seed 0 and refuses non-finite images. ``install_weights`` copies a checked file to the cache
path of the generator's weights (atomically), pins its SHA-256 where none is published, and
from then on the command line and the app load the generator offline without ``weights_path``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gan_geometry.errors import GeometryError
from gan_geometry.io.checkpoints import checkpoint_file
from gan_geometry.io.storage import atomic_path
from gan_geometry.io.weights import RemoteFile, pin_digest, sha256_of
from gan_geometry.registry import GeneratorEntry, entry_of, load_generator


@dataclass
class WeightsReport:
    """What a weights file holds for generator ``generator``: its digest, the family and
    configuration read from it, keys skipped, and the sample it draws (shape, value range);
    ``presentation.tables.weights_table`` shows it."""

    generator: str
    path: Path
    sha256: str
    size_bytes: int
    family: str
    config: dict
    tensors: int
    skipped_keys: list[str]
    image_shape: tuple[int, ...]
    latent_dim: int
    sample_range: tuple[float, float]
    notes: list[tuple[str, str]] = field(default_factory=list)  # (what, text), e.g. the train arguments


def _entry_taking_file(name: str) -> GeneratorEntry:
    """The registry entry of a generator that loads a user's file (``weights_path=``)."""
    entry = entry_of(name)
    if "weights_path" not in entry.options:
        where = getattr(entry.weights, "source", None) or "its code"
        raise GeometryError(f"generator '{name}' takes no weights file of yours: its weights come from {where}")
    return entry


def _entry_with_file(name: str) -> tuple[GeneratorEntry, RemoteFile]:
    """The registry entry and the downloadable file that ``install_weights`` installs in its place."""
    entry = _entry_taking_file(name)
    if not isinstance(entry.weights, RemoteFile):
        raise GeometryError(f"generator '{name}' ships its weights in the package, so there is nothing to install; "
                            f"use your file with weights_path= (--option weights_path=FILE)")
    return entry, entry.weights


def check_weights(name: str, path) -> WeightsReport:
    """Load ``path`` as generator ``name``, draw one sample, and report what was found."""
    from gan_geometry.io.hub import local_weights

    entry = _entry_taking_file(name)
    local, source = local_weights(str(path))  # a Hub address: fetched (or found in the Hub's cache)
    path = checkpoint_file(local)
    G = load_generator(name, weights_path=str(path))
    with torch.no_grad():
        x = G(G.sample(1, seed=0))
    if not torch.isfinite(x).all():
        raise GeometryError(f"{path} loads as {name} but draws an image with NaN or inf values: the weights are "
                            f"damaged or of another kind")
    info = G.weights_info or {}
    report = WeightsReport(
        generator=name, path=path, sha256=sha256_of(path), size_bytes=path.stat().st_size,
        family=info.get("family", entry.description), config=info.get("config", {}),
        tensors=info.get("tensors", 0), skipped_keys=list(info.get("skipped_keys", [])),
        image_shape=tuple(G.image_shape), latent_dim=G.latent_dim,
        sample_range=(float(x.min()), float(x.max())),
    )
    if source != str(local):
        report.notes.append(("source", source))
    shown = ("size", "channel_multiplier", "n_mlp", "latent", "iter")
    if info.get("train_args"):
        args = info["train_args"]
        report.notes.append(("train args", ", ".join(f"{k} {args[k]}" for k in shown if k in args)))
    return report


def install_weights(name: str, path, replace: bool = False) -> tuple[WeightsReport, Path]:
    """Check ``path`` for generator ``name`` and copy it to the generator's cache path; returns
    the report and the installed path. Refused: a file whose digest differs from a published one,
    a file of another resolution than the registered generator's, and (unless ``replace``) a
    different file already installed there."""
    entry, f = _entry_with_file(name)
    report = check_weights(name, path)
    if f.sha256 is not None and report.sha256 != f.sha256:
        raise GeometryError(f"{report.path} has SHA-256 {report.sha256}, not that of the published {f.name} "
                            f"({f.sha256}): it is another file; load it with weights_path= instead of installing it")
    if report.image_shape[-1] != entry.resolution:
        raise GeometryError(f"{report.path} makes {report.image_shape[-1]} px images; '{name}' is {entry.resolution} "
                            f"px: load a file of another configuration with weights_path= instead")
    target = f.cache_path
    if target.is_file() and not replace:
        existing = sha256_of(target)
        if existing != report.sha256:
            raise GeometryError(f"another file is installed for '{name}' at {target} (SHA-256 {existing}); pass "
                                f"--replace to replace it")
    if target.resolve() != report.path.resolve():
        with atomic_path(target) as tmp:
            shutil.copyfile(report.path, tmp)
    if f.sha256 is None:
        pin_digest(f, report.sha256)
    return report, target
