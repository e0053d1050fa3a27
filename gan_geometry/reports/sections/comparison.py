"""Distance comparison (paper Table 3): sweeps of other distances under ``compare/``, at the same positions."""

from __future__ import annotations

import numpy as np

from gan_geometry.analysis.statistics import compare_distances
from gan_geometry.analysis.sweeps import load_sweep
from gan_geometry.errors import GeometryError
from gan_geometry.presentation import figures, tables
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def build(context: ReportContext) -> Section | None:
    found = sorted(p for p in (context.directory / "compare").glob("*") if (p / "sweep.json").exists())
    if not found:
        return None
    sweep = context.sweep
    section = Section("comparison", "Distance comparison")
    for path in found:
        other = load_sweep(path)
        if not np.array_equal(other.positions, sweep.positions):
            raise GeometryError(f"{path} is not at the same positions as {context.directory}; sweep it with the same "
                                f"generator, n and seed")
        result = compare_distances((sweep.eigvals, sweep.eigvecs, sweep.H), (other.eigvals, other.eigvecs, other.H))
        names = (sweep.settings["distance"], other.settings["distance"])
        section.tables.append(tables.distance_comparison_table(result, names))
        section.figures.append(Figure(figures.distance_comparison_figure(sweep.eigvals, other.eigvals, result, names),
                                      f"Eigenvalues of {names[1]} against {names[0]} at the same positions."))
    return section
