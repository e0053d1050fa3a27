"""Results directory -> self-contained HTML (interactive) and PDF (static) report.

A results directory is a completed sweep (``gan-geometry sweep``) that may also hold

    axes/<name>/        axis sets from ``gan-geometry axes --out DIR/axes/<name>``
    compare/<name>/     a sweep of another distance at the same positions
    montages/*.png      eigen-axis montages; when absent the builder makes one (and distance
                        curves) from the average metric's top axes at the first position

Sections whose results are absent are left out. Every number comes from ``geometry``; every
figure from ``reports.figures``. The HTML embeds plotly.js (works offline); the PDF embeds SVG
figures rendered by kaleido with Debian's chromium, and is laid out by WeasyPrint with page
numbers and a table of contents. Both files are written atomically.
"""

from __future__ import annotations

import base64
import datetime
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gan_geometry import presentation as pr
from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.axes import AxisComparison, AxisSet, compare_axes
from gan_geometry.analysis.sweep import Sweep, load_sweep, model_row, sweep_label
from gan_geometry.errors import GeometryError, WeightsUnavailableError
from gan_geometry.io.storage import atomic_path, check_writable
from gan_geometry.progress import Progress, report
from gan_geometry.reports import figures
from gan_geometry.version import package_versions

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Figure:
    """A plotly figure with its caption; rendered interactive (HTML) or as SVG (PDF)."""

    plot: go.Figure
    caption: str


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)  # {"caption", "header": [...], "rows": [[...]]}
    images: list[dict] = field(default_factory=list)  # {"caption", "png": bytes}
    sounds: list[dict] = field(default_factory=list)  # {"caption", "name", "wav": bytes} (sound generators)
    text: str = ""
    paragraphs: list[str] = field(default_factory=list)  # one formula each (the methods section)


@dataclass
class ReportData:
    title: str
    provenance: list[tuple[str, str]]
    summary: list[list[str]]
    sections: list[Section]


def collect(directory: str | Path, progress: Progress | None = None, models: list[str | Path] = ()) -> ReportData:
    """Compute every statistic and figure the report shows from ``directory`` (and the sweeps of
    other generators in ``models``)."""
    sweep = load_sweep(directory)
    s = sweep.settings
    report(progress, 0.05, "statistics")
    stats = sweep.summary()
    spectrum, table, iso, C, avg, estimates = (stats.spectrum, stats.anisotropy, stats.isotropy, stats.consistency,
                                               stats.average, stats.estimates)

    summary = [[e.name, f"{e.value:.4g}", f"[{e.low:.4g}, {e.high:.4g}]"] for e in estimates]
    row = model_row(sweep_label(sweep), sweep, stats)
    n, dims99 = table.n, table.mean[0]
    decades = float(np.log10(max(spectrum.mean[0], 1e-300) / max(spectrum.mean[table.n - 1], 1e-300)))
    spread = iso.alpha_eigen[:, 0].mean() / max(iso.alpha_eigen[:, -1].mean(), 1e-300)
    sections = [
        Section("spectra", "Spectra", [Figure(figures.spectrum_figure(spectrum),
                f"Mean eigenvalue per rank over {sweep.n_positions} positions with the 5–95 % band. The spectrum "
                f"falls {decades:.1f} decades from rank 1 to rank {table.n}: a few directions change the image far "
                f"more than the rest.")]),
        Section("anisotropy", "Anisotropy", [Figure(figures.anisotropy_figure(table),
                f"Dimensions needed to hold each fraction of the spectrum (mean ± std over positions): 99 % lies in "
                f"{dims99:.1f} of {n} dimensions, so the image depends mostly on a {100 * dims99 / n:.0f} % subspace "
                f"at each code.")],
                tables=[pr.anisotropy_table([row]).as_dict()]),
        Section("isotropy", "Illusion of isotropy", [Figure(figures.isotropy_figure(iso),
                f"Speeds vᵀHv of the eigenvectors span a factor of {spread:.2g}, yet random directions all land near "
                f"the mean eigenvalue, as the theory line predicts: probed at random the space would look "
                f"isotropic.")],
                tables=[pr.isotropy_table(iso).as_dict()]),
        Section("homogeneity", "Homogeneity",
                [Figure(figures.consistency_heatmap(C), f"C^H between every pair of positions (eigenframe of i "
                        f"acting on the metric of j). Mean {C.log_mean:.2f} on the log scale: "
                        + ("the eigenframe of one code predicts the ranking of speeds at another well." if
                           C.log_mean > 0.7 else "the geometry changes noticeably between codes.")),
                 Figure(figures.consistency_histograms(C), "Off-diagonal C^H on both scales: the log scale weighs "
                        "every rank alike, the linear scale is dominated by the top eigenvalues.")],
                tables=[pr.homogeneity_table([row]).as_dict()]),
        Section("average", "Average metric", [Figure(figures.average_metric_figure(avg, spectrum),
                "Spectrum of the element-wise mean metric against the band of local spectra: where it follows the "
                "band, one global eigenbasis serves the whole space (paper §6).")],
                text=pr.average_metric_sentence(avg)),
    ]
    report(progress, 0.35, "montages and distance curves")
    axes_section = _montage_section(Path(directory), sweep, avg)
    if axes_section is not None:
        sections.append(axes_section)
    report(progress, 0.5, "axis families and distance comparison")
    family = _axis_family_section(Path(directory), avg)
    if family is not None:
        sections.append(family)
    comparison = _comparison_section(Path(directory), sweep)
    if comparison is not None:
        sections.append(comparison)
    mechanism = _mechanism_section(Path(directory))
    if mechanism is not None:
        sections.append(mechanism)
    if models:
        sections.append(_models_section(sweep, [load_sweep(m) for m in models]))
    sections += _application_sections(Path(directory))
    sections.append(Section("methods", "Methods and formulas", paragraphs=METHODS_PARAGRAPHS))
    provenance = [("generator", f"{s['generator']} ({s['space']} space, n = {sweep.latent_dim})"),
                  ("distance", s["distance"]), ("method", s["method"] + (f", k = {s['k']}" if s["k"] else "")),
                  ("positions", f"N = {sweep.n_positions}, seed {s['seed']}"),
                  ("generator options", str(s.get("generator_options") or "none")),
                  ("versions", ", ".join(f"{k} {v}" for k, v in package_versions().items())),
                  ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"))]
    h = stats.homogeneity
    summary += [["C^H log mean ± std", f"{C.log_mean:.3f} ± {C.log_std:.3f}", ""],
                ["C^H linear mean ± std", f"{C.lin_mean:.3f} ± {C.lin_std:.3f}", ""],
                ["log-Euclidean distance (0: homogeneous)", f"{h.log_euclidean[0]:.3f} ± {h.log_euclidean[1]:.3f}", ""],
                ["metric cosine (1: homogeneous)", f"{h.cosine[0]:.3f} ± {h.cosine[1]:.3f}", ""],
                [f"top-{h.k} eigenspace overlap (random {h.overlap_random:.2f})",
                 f"{h.overlap[0]:.3f} ± {h.overlap[1]:.3f}", ""]]
    return ReportData(f"Latent geometry of {s['generator']}", provenance, summary, sections)


def _png(array: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def montage_ranks(n: int) -> list[int]:
    """Eigen-ranks (1-based) a default montage shows: 1, 2, 3, 6, 11, 21, 51 below n, and n."""
    return [r for r in (1, 2, 3, 6, 11, 21, 51) if r < n] + [n]


def default_montage(G, sweep: Sweep, avg: st.AverageMetric):
    """The montage the builder makes when the directory holds none: the average metric's
    eigenvectors of ``montage_ranks`` at the first position, steps -3..3."""
    from gan_geometry.analysis.traversal import eigen_traversal

    return eigen_traversal(G, np.asarray(sweep.positions[0]), avg.eigvals, avg.eigvecs, montage_ranks(sweep.latent_dim),
                           np.linspace(-3, 3, 7))


def _montage_section(directory: Path, sweep: Sweep, avg: st.AverageMetric) -> Section | None:
    """Montages found in ``montages/``, else made from the average metric's top axes at the first
    position (left out when the generator cannot be loaded here)."""
    from gan_geometry import load_distance, load_generator
    from gan_geometry.analysis.traversal import distance_curves

    section = Section("axes", "Eigen-axis montages and distance curves")
    for path in sorted((directory / "montages").glob("*.png")):
        section.images.append({"caption": path.stem, "png": path.read_bytes()})
    s = sweep.settings
    try:
        G = load_generator(s["generator"], space=s["space"], **(s.get("generator_options") or {}))
        D = load_distance(s["distance"])
    except (GeometryError, WeightsUnavailableError):
        return section if section.images else None
    ranks = montage_ranks(sweep.latent_dim)
    z0 = np.asarray(sweep.positions[0])
    if not section.images:
        montage = default_montage(G, sweep, avg)
        shown = "spectrograms of the sounds" if G.sample_rate else "images"
        section.images.append({"caption": f"The average metric's eigenvectors at the first position (rows: rank · "
                                          f"eigenvalue), steps −3..3 along each unit eigenvector ({shown}): the top "
                                          f"ranks change them visibly, the last barely at all.",
                               "png": _png(montage.grid())})
        section.sounds = montage_sounds(G, montage)
    from gan_geometry.analysis.traversal import curve_steps

    curves = distance_curves(G, D, z0, avg.eigvals, avg.eigvecs, ranks[:4] + ranks[-1:], curve_steps(3.0))
    section.figures.append(Figure(figures.distance_curves_figure(curves, s["distance"]),
                                  "Distance along the average metric's eigenvectors from the first position (41 steps, "
                                  "as in the app), measured (solid) against the quadratic prediction ½ μ²λ (dashed): "
                                  "where they agree the metric describes the image change; where they part, the "
                                  "generator's curvature takes over."))
    return section


def montage_sounds(G, montage) -> list[dict]:
    """One WAV per montage row (its steps in order, 0.15 s apart) for a sound generator, as
    {"caption", "name", "wav": bytes}; [] for images. The report and the app play these."""
    if not G.sample_rate:
        return []
    from scipy.io import wavfile

    from gan_geometry.core.sound import pcm16

    gap = np.zeros(int(0.15 * G.sample_rate), dtype=np.int16)
    sounds = []
    for label, row in zip(montage.row_labels, montage.images, strict=True):
        buffer = io.BytesIO()
        wavfile.write(buffer, G.sample_rate, np.concatenate([part for x in row for part in (pcm16(x), gap)]))
        rank = label.split("·")[0].strip().replace(" ", "-")
        sounds.append({"caption": f"{label}: its {len(row)} steps in order", "name": f"{rank}.wav",
                       "wav": buffer.getvalue()})
    return sounds


def _axis_family_section(directory: Path, avg: st.AverageMetric) -> Section | None:
    found = sorted(p for p in (directory / "axes").glob("*") if (p / "axes.json").exists())
    if not found:
        return None
    section = Section("families", "Axis families against the eigenframe")
    rows = []
    for path in found:
        axes = AxisSet.load(path)
        if axes.vectors.shape[0] != avg.eigvecs.shape[0]:
            raise GeometryError(f"{path} holds axes of dimension {axes.vectors.shape[0]}, not the sweep's "
                                f"{avg.eigvecs.shape[0]}")
        k = min(10, axes.vectors.shape[1])
        result: AxisComparison = compare_axes(axes, avg.eigvals, avg.eigvecs, k=k)
        section.figures.append(Figure(figures.axis_projection_figure(result, path.name),
                                      f"{path.name}: projection power on the average metric's eigenvectors."))
        rows.append(pr.axis_row(path.name, axes.family, result, axes.labels))
        if (path / "montage.png").exists():
            section.images.append({"caption": f"{path.name}: axes (left) and purified top-k axes (right)",
                                   "png": (path / "montage.png").read_bytes()})
    section.tables.append({"caption": "Axis families against the average metric (first k = min(10, K) axes)",
                           "header": ["set", "family", "K", "mean a^T H a", "random", "Grassmann", "random",
                                      "labels"], "rows": rows})
    return section


def _comparison_section(directory: Path, sweep: Sweep) -> Section | None:
    found = sorted(p for p in (directory / "compare").glob("*") if (p / "sweep.json").exists())
    if not found:
        return None
    section = Section("comparison", "Distance comparison")
    for path in found:
        other = load_sweep(path)
        if not np.array_equal(other.positions, sweep.positions):
            raise GeometryError(f"{path} is not at the same positions as {directory}; sweep it with the same "
                                f"generator, n and seed")
        result = st.compare_distances((sweep.eigvals, sweep.eigvecs, sweep.H), (other.eigvals, other.eigvecs, other.H))
        names = (sweep.settings["distance"], other.settings["distance"])
        section.tables.append(pr.distance_comparison_table(result, names).as_dict())
        section.figures.append(Figure(figures.distance_comparison_figure(sweep.eigvals, other.eigvals, result, names),
                                      f"Eigenvalues of {names[1]} against {names[0]} at the same positions."))
    return section


def _models_section(sweep: Sweep, others: list[Sweep]) -> Section:
    """Spectra normalised by their top eigenvalue (paper Fig. 2) and Tables 2 and 4, a row per model."""
    from gan_geometry.analysis.sweep import model_rows, sweep_label

    rows = model_rows({sweep_label(s): s for s in [sweep, *others]})
    return Section(
        "models", "Models compared",
        [Figure(figures.spectra_overlay_figure({r["label"]: r["summary"].spectrum for r in rows}),
                "Mean spectrum of each model normalised by its top eigenvalue, with the 5-95 % band (paper Fig. 2).")],
        tables=[pr.anisotropy_table(rows).as_dict(), pr.homogeneity_table(rows).as_dict()])


def _mechanism_section(directory: Path) -> Section | None:
    """Layer metrics, amplification and the shuffled control from ``layers/`` (a layer sweep)."""
    from gan_geometry.analysis.layers import load_layer_sweep, summarise_layers

    if not (directory / "layers" / "layers.json").exists():
        return None
    sweep = load_layer_sweep(directory / "layers")
    s = summarise_layers(sweep)
    n = len(s.log_corr[0])
    names = _readable_layers(sweep.settings)
    return Section(
        "mechanism", "Mechanism: where the geometry comes from",
        [Figure(figures.layer_spectra_figure(s), "Mean normalised spectrum of each layer's metric H_l = J_lᵀJ_l and "
                "of the image metric; dashed: the same generator with every kernel's weights shuffled."),
         Figure(figures.amplification_figure(s), "Speed uᵀH_b u of the first layer's eigenvectors under each later "
                "metric (log10), original and weight-shuffled (paper Fig. 4B, C).")],
        tables=[pr.layer_table(s, names).as_dict(),
                {"caption": "Correlation of log speeds with the first layer's own eigenvalues",
                 "header": ["target", "original", "shuffled"],
                 "rows": [[s.targets[i], f"{s.log_corr[0][i]:.3f}", f"{s.log_corr[1][i]:.3f}"] for i in range(n)]},
                {"caption": "Homogeneity of the image metric",
                 "header": ["", *s.image_statistics["original"]],
                 "rows": [[label, *(f"{v:.3f}" for v in values.values())]
                          for label, values in s.image_statistics.items()]}])


def _readable_layers(settings: dict) -> dict[str, str]:
    """Layer names a person can read ("block 3 · ReLU → 512×4×4") where the generator loads here."""
    from gan_geometry import load_generator
    from gan_geometry.analysis.layers import list_layers

    try:
        G = load_generator(settings["generator"], space=settings["space"], **(settings.get("generator_options") or {}))
    except (GeometryError, WeightsUnavailableError):
        return {}
    return pr.readable_layer_names(list_layers(G))


def _image_rows(rows: dict[str, np.ndarray]) -> bytes:
    """A labelled grid with one row of images (S, C, H, W) per label."""
    from gan_geometry.analysis.traversal import Montage

    images = np.stack(list(rows.values()))
    grid = Montage(images, np.zeros(images.shape[:2] + (0,)), list(rows), [str(i) for i in range(images.shape[1])])
    return _png(grid.grid())


def _application_sections(directory: Path) -> list[Section]:
    """Inversion, search and interpolation results found under ``applications/``."""
    from gan_geometry.io.storage import load_runs

    sections = []
    for path in sorted((directory / "applications").glob("*")):
        if (path / "inversion.json").exists():
            meta, arrays = load_runs(path, "inversion")
            bases = [key.removesuffix("_distances") for key in arrays if key.endswith("_distances")]
            st_ = meta["settings"]
            section = Section("inversion", "Inversion: plain against eigenbasis Adam",
                              [Figure(figures.inversion_figure({b: arrays[f"{b}_distances"] for b in bases}),
                                      f"{st_['starts']} random starts, {st_['steps']} Adam steps, lr {st_['lr']}, "
                                      f"distance {st_['distance']}.")])
            section.tables.append({"caption": "Best distance over starts (paper Table 5 format)",
                                   "header": ["basis", "mean", "SEM"],
                                   "rows": [[b, f"{m:.5f}", f"{e:.5f}"]
                                            for b, m, e in meta["summary"]["best_distances"]]})
            rows = {"target": np.repeat(arrays["target"][None], arrays[f"{bases[0]}_final_images"].shape[0], 0)}
            rows |= {b: arrays[f"{b}_final_images"] for b in bases}
            section.images.append({"caption": "Target and the final image of each start, per basis",
                                   "png": _image_rows(rows)})
            sections.append(section)
        if (path / "search.json").exists():
            meta, arrays = load_runs(path, "search")
            labels = [key.removesuffix("_best") for key in arrays if key.endswith("_best")]
            section = Section("search", "Gradient-free search: CMA-ES",
                              [Figure(figures.search_figure({k: (arrays[f"{k}_evaluations"], arrays[f"{k}_best"])
                                                             for k in labels}),
                                      f"Budget {meta['settings']['budget']} evaluations, sigma0 "
                                      f"{meta['settings']['sigma0']}.")])
            section.tables.append({"caption": "Best distance found", "header": ["search", "best distance"],
                                   "rows": [[k, f"{v:.5f}"] for k, v in meta["summary"]["final_best"].items()]})
            sections.append(section)
        if (path / "interpolation.json").exists():
            meta, arrays = load_runs(path, "interpolation")
            summary = meta["summary"]
            section = Section("interpolation", "Interpolation: shorter curves than straight lines",
                              [Figure(figures.improvement_figure(arrays["improvements"]),
                                      f"{meta['settings']['pairs']} pairs, start moved {meta['settings']['shift']} "
                                      f"along the top eigenvector.")],
                              text=(f"Mean relative improvement {summary['mean']:.3f} ± {summary['std']:.3f} "
                                    f"(Riemannian lengths under the pull-back metric, Michelis et al. 2021)."))
            section.images.append({"caption": f"Straight line (top) and optimised curve (bottom) between two codes; "
                                              f"the curve is {summary['example_improvement']:.1%} shorter",
                                   "png": _image_rows({"line": arrays["line_images"],
                                                       "curve": arrays["curve_images"]})})
            sections.append(section)
    return sections


METHODS_PARAGRAPHS = [
    "Metric tensor. At a latent code z0 the metric is the Hessian of the squared image distance pulled back "
    "through the generator: H = ∂²/∂z² D(G(z0), G(z)) at z = z0 (Wang & Ponce 2021, §2).",
    "Exact method. For squared feature distances D = ||ψ(x) − ψ(x0)||² (LPIPS, MSE) the residual vanishes at z0, so "
    "H = 2 JᵀJ with J = ∂ψ(G(z))/∂z, computed with batched forward-mode products; the paper's double "
    "back-propagation and Lanczos iterations are the reference methods.",
    "Anisotropy. The smallest k whose top-k eigenvalues hold a fraction f of the spectrum: Σ_{i≤k} λ_i ≥ f Σ λ_i "
    "(Table 2).",
    "Isotropy illusion. For a random unit v, α(v) = vᵀHv has mean E[α] = mean(λ) and variance "
    "Var[α] = 2/(n+2) · Var(λ) (Eq. 13–15).",
    "Homogeneity. C_ij = corr(diag(U_iᵀ H_j U_i), λ_j) on the linear and log scales (Eq. 5–6, Table 4); undefined "
    "for an isometry, whose eigenvalues do not vary.",
    "Average metric. The element-wise mean H̄ = (1/N) Σ_i H_i over positions, and its eigenbasis.",
    "Log-Euclidean distance. d_ij = ||log A_i − log A_j||_F between A = H/tr(H) + 10⁻⁶ I: 0 when the metric is the "
    "same everywhere.",
    "Metric cosine. cos_ij = ⟨B_i, B_j⟩ / (||B_i|| ||B_j||) with B = H/tr(H): 1 when the metric is the same "
    "everywhere.",
    "Top-k overlap. o_ij = ||U_iᵀ U_j||_F² / k between top-k eigenspaces, against k/n for random subspaces.",
    "Layer metrics. H_l = J_lᵀ J_l for each layer's output (Eq. 3); the shuffled control permutes every kernel's "
    "weights and re-converges spectral norms (paper A.8).",
    "Curve length. L = Σ_i sqrt(2 D(G(z_i), G(z_{i+1}))) over a fine polyline (Michelis et al. 2021).",
    "Intervals. Percentile bootstraps over positions.",
    "References. B. Wang and C. R. Ponce, A Geometric Analysis of Deep Generative Image Models and Its "
    "Applications, ICLR 2021. L. Michelis et al., On Linear Interpolation in the Latent Space of Deep Generative "
    "Models, 2021.",
]


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
    from gan_geometry.reports.exporter import figure_image

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
    return data
