"""Homogeneity: C^H between every pair of positions (paper Table 4) and the statistics beyond it;
a one-position sweep says what it cannot give instead of showing empty figures."""

from gan_geometry.presentation import figures, sentences, tables
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def build(context: ReportContext) -> Section:
    C, N = context.summary.consistency, context.sweep.n_positions
    section = Section("homogeneity", "Homogeneity", tables=[tables.homogeneity_table([context.row])],
                      text=sentences.homogeneity_caption(C, N))
    if N >= 2:
        section.text = ""
        section.figures = [Figure(figures.consistency_heatmap(C), sentences.homogeneity_caption(C, N)),
                           Figure(figures.consistency_histograms(C), "Off-diagonal C^H on both scales: the log scale "
                                  "weighs every rank alike, the linear scale is dominated by the top eigenvalues.")]
    return section
