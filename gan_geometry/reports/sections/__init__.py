"""One module per report section, each ``build(context) -> Section | list[Section] | None`` (None
or [] where its results are absent), in the order ``SECTIONS`` lists them."""

from gan_geometry.reports.sections import (
    anisotropy,
    applications,
    average,
    comparison,
    families,
    homogeneity,
    isotropy,
    mechanism,
    methods,
    models,
    montages,
    slices,
    spectra,
)

SECTIONS = (spectra, anisotropy, isotropy, homogeneity, average, montages, slices, families, comparison, mechanism,
            models, applications, methods)
