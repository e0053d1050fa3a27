"""Mechanism (paper §5, A.8): layer metrics, amplification and the weight-shuffled control from
``layers/`` (a layer sweep)."""

from __future__ import annotations

from gan_geometry.analysis.layers import list_layers, load_layer_sweep, summarise_layers
from gan_geometry.presentation import figures, tables
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def build(context: ReportContext) -> Section | None:
    if not (context.directory / "layers" / "layers.json").exists():
        return None
    sweep = load_layer_sweep(context.directory / "layers")
    s = summarise_layers(sweep)
    loaded = context.models_loaded
    names = tables.readable_layer_names(list_layers(loaded[0])) if loaded is not None else {}
    return Section(
        "mechanism", "Mechanism: where the geometry comes from",
        [Figure(figures.layer_spectra_figure(s), "Mean normalised spectrum of each layer's metric H_l = J_lᵀJ_l and "
                "of the image metric; dashed: the same generator with every kernel's weights shuffled."),
         Figure(figures.amplification_figure(s), "Speed uᵀH_b u of the first layer's eigenvectors under each later "
                "metric (log10), original and weight-shuffled (paper Fig. 4B, C).")],
        tables=[tables.layer_table(s, names), tables.amplification_table(s),
                tables.image_homogeneity_table(s, sweep.positions.shape[0])])
