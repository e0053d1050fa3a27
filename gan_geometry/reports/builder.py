"""Results directory -> self-contained HTML (interactive) and PDF (static) report.

A results directory is a completed sweep (``gan-geometry sweep``) that may also hold

    axes/<name>/        axis sets from ``gan-geometry axes --out DIR/axes/<name>``
    compare/<name>/     a sweep of another distance at the same positions
    montages/*.png      eigen-axis montages; when absent one is made (with distance curves) from the
                        average metric's top axes at the first position
    layers/             a layer sweep (``gan-geometry layers --out DIR/layers``)
    applications/<run>/ inversion, search and interpolation runs

``collect`` builds one ``ReportContext`` (the sweep, its statistics and models, each loaded once)
and asks every module of ``sections`` for its section; sections whose results are absent are left
out. Every number comes from the engine and every table and sentence from
``gan_geometry.presentation``; every figure from ``presentation.figures``. The HTML embeds plotly.js
(works offline); the PDF embeds SVG figures rendered by kaleido with Debian's chromium, laid out by
WeasyPrint with page numbers and a table of contents. Both files are written atomically.
"""

from __future__ import annotations

import base64
import datetime
from pathlib import Path

import plotly.graph_objects as go
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gan_geometry.errors import GeometryError
from gan_geometry.io.storage import atomic_path, check_writable
from gan_geometry.presentation import figures, tables
from gan_geometry.progress import Progress, report
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import ReportData, Section
from gan_geometry.reports.sections import SECTIONS
from gan_geometry.version import package_versions

TEMPLATES = Path(__file__).parent / "templates"


def provenance_table(context: ReportContext) -> tables.Table:
    sweep, s = context.sweep, context.sweep.settings
    return tables.facts("Provenance", [
        ("generator", f"{s['generator']} ({s['space']} space, n = {sweep.latent_dim})"),
        ("distance", s["distance"]), ("method", s["method"] + (f", k = {s['k']}" if s["k"] else "")),
        ("positions", f"N = {sweep.n_positions}, seed {s['seed']}"),
        ("generator options", str(s.get("generator_options") or "none")),
        ("versions", ", ".join(f"{k} {v}" for k, v in package_versions().items())),
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"))])


def collect(directory: str | Path, progress: Progress | None = None, models: list[str | Path] = ()) -> ReportData:
    """Every section the results in ``directory`` (and the sweeps of other generators in
    ``models``) give, with the title page's provenance and headline numbers."""
    context = ReportContext(Path(directory), tuple(Path(m) for m in models))
    report(progress, 0.05, "statistics")
    context.summary  # noqa: B018 - the statistics every section reads, computed first (and refused if damaged)
    sections: list[Section] = []
    for index, module in enumerate(SECTIONS):
        report(progress, 0.1 + 0.5 * index / len(SECTIONS), module.__name__.rsplit(".", 1)[-1])
        built = module.build(context)
        sections += built if isinstance(built, list) else [built] if built is not None else []
    return ReportData(f"Latent geometry of {context.sweep.settings['generator']}", provenance_table(context),
                      tables.headline_table(context.row, context.n_boot), sections)


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def render_html(data: ReportData) -> str:
    """Interactive HTML with plotly.js embedded once (no network needed)."""
    from plotly.offline import get_plotlyjs

    def figure_html(fig: go.Figure) -> str:
        return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})

    return _environment().get_template("report.html.j2").render(
        data=data, static=False, plotlyjs=get_plotlyjs(), figure=figure_html, data_uri=_data_uri)


def render_pdf_html(data: ReportData) -> str:
    """The same document with SVG figures, for WeasyPrint."""
    from gan_geometry.presentation.exporter import figure_image

    def figure_static(fig: go.Figure) -> str:
        # WeasyPrint draws no SVG gradients: figures with a colour bar (heatmaps) go in as PNG
        if any(trace.type == "heatmap" for trace in fig.data):
            uri = _data_uri("image/png", figure_image(fig, figures.EXPORT_WIDTH, "png"))
        else:
            uri = _data_uri("image/svg+xml", figure_image(fig, figures.EXPORT_WIDTH))
        return f'<img class="figure" src="{uri}">'

    return _environment().get_template("report.html.j2").render(
        data=data, static=True, plotlyjs="", figure=figure_static, data_uri=_data_uri)


def build_report(directory: str | Path, html: str | Path | None = None, pdf: str | Path | None = None,
                 models: list[str | Path] = (), progress: Progress | None = None) -> ReportData:
    """Write ``html`` and/or ``pdf`` for the results in ``directory`` (and a "Models compared"
    section with the sweeps in ``models``); nothing is written unless the whole of each file was
    produced."""
    if html is None and pdf is None:
        raise GeometryError("give an HTML path, a PDF path, or both")
    for path, what in ((html, "the HTML file"), (pdf, "the PDF file")):
        if path is not None:
            check_writable(path, what)
    data = collect(directory, progress, models)
    write_report(data, html, pdf, progress)
    return data


def write_report(data: ReportData, html: str | Path | None, pdf: str | Path | None,
                 progress: Progress | None = None) -> None:
    """Render ``data`` to ``html`` and/or ``pdf`` (each written atomically, where given)."""
    if html is not None:
        report(progress, 0.6, "HTML")
        text = render_html(data)
        with atomic_path(Path(html)) as tmp:
            tmp.write_text(text, encoding="utf-8")
    if pdf is not None:
        from weasyprint import HTML

        report(progress, 0.7, "static figures")
        document = render_pdf_html(data)
        report(progress, 0.85, "PDF layout")
        with atomic_path(Path(pdf)) as tmp:
            HTML(string=document, base_url=str(TEMPLATES)).write_pdf(tmp)
    report(progress, 1.0, "done")
