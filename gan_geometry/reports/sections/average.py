"""The average metric: the element-wise mean over positions and its eigenbasis (paper §6)."""

from gan_geometry.presentation import figures, sentences
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def build(context: ReportContext) -> Section:
    avg, spectrum = context.summary.average, context.summary.spectrum
    return Section("average", "Average metric", [Figure(figures.average_metric_figure(avg, spectrum),
                   "Spectrum of the element-wise mean metric against the band of local spectra: where it follows the "
                   "band, one global eigenbasis serves the whole space (paper §6).")],
                   text=sentences.average_metric_sentence(avg))
