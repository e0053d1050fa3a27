"""Spectra: the mean eigenvalue per rank with its 5-95 % band (paper Fig. 2)."""

from gan_geometry.presentation import figures, sentences
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def build(context: ReportContext) -> Section:
    spectrum = context.summary.spectrum
    return Section("spectra", "Spectra", [Figure(figures.spectrum_figure(spectrum),
                                                 sentences.spectrum_caption(spectrum, context.summary.anisotropy.n))])
