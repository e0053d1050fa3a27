"""The metric over a 2-D slice (Michelis et al., Fig. 1): slices saved under ``applications/``, or,
where none is, one through the first position spanned by the average metric's top two
eigenvectors (left out where the generator cannot be loaded here)."""

from __future__ import annotations

import numpy as np

from gan_geometry.analysis.slices import SliceMaps, slice_maps
from gan_geometry.io.storage import load_runs
from gan_geometry.presentation import figures, sentences
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def saved(path) -> SliceMaps:
    meta, arrays = load_runs(path, "slice")
    return SliceMaps(arrays["z0"], arrays["axes"], arrays["offsets"], arrays["condition"], arrays["log_det"],
                     arrays["direction"], tuple(meta["summary"]["labels"]))


def build(context: ReportContext) -> Section | None:
    found = [saved(p) for p in sorted((context.directory / "applications").glob("*")) if (p / "slice.json").exists()]
    if not found and context.models_loaded is not None:
        G, D = context.models_loaded
        avg = context.summary.average
        found = [slice_maps(G, D, np.asarray(context.sweep.positions[0]), avg.eigvecs[:, :2], extent=2.0, size=9,
                            labels=("average rank 1", "average rank 2"))]
    if not found:
        return None
    return Section("slices", "The metric over a 2-D slice",
                   [Figure(figures.slice_maps_figure(maps), sentences.slice_sentence(maps)) for maps in found])
