"""Axis families (SeFa, PCA, uploaded) saved under ``axes/``, against the average metric's eigenframe."""

from __future__ import annotations

from gan_geometry.analysis.axes import AxisSet, compare_axes
from gan_geometry.errors import GeometryError
from gan_geometry.presentation import figures, tables
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def build(context: ReportContext) -> Section | None:
    found = sorted(p for p in (context.directory / "axes").glob("*") if (p / "axes.json").exists())
    if not found:
        return None
    avg = context.summary.average
    section = Section("families", "Axis families against the eigenframe")
    entries = []
    for path in found:
        axes = AxisSet.load(path)
        if axes.vectors.shape[0] != avg.eigvecs.shape[0]:
            raise GeometryError(f"{path} holds axes of dimension {axes.vectors.shape[0]}, not the sweep's "
                                f"{avg.eigvecs.shape[0]}")
        result = compare_axes(axes, avg.eigvals, avg.eigvecs, k=min(10, axes.vectors.shape[1]))
        section.figures.append(Figure(figures.axis_projection_figure(result, path.name),
                                      f"{path.name}: projection power on the average metric's eigenvectors."))
        entries.append((path.name, axes.family, result, axes.labels))
        if (path / "montage.png").exists():
            section.images.append({"caption": f"{path.name}: axes (left) and purified top-k axes (right)",
                                   "png": (path / "montage.png").read_bytes()})
    section.tables.append(tables.axis_family_table(entries))
    return section
