"""GAN Geometry Lab: the Gradio app.

Thin over ``geometry`` and ``reports``: every number and figure comes from an engine or figure
function that the tests also call. The current latent code is identified by visible inputs
(generator, space, seed, sample index, or a pasted/uploaded code), so each tab's action is also
a plain API call (``api_name``) for ``gradio_client``. The gallery is the source of truth: sample
i of seed s is ``G.sample(n, s)[i]`` for any n, the caption says which code is current, and the
current image is shown on every tab that computes with it. Requests are capped for a small CPU
machine (``LIMITS``); user errors become ``gr.Error`` messages naming the field, never tracebacks.
Shared, cached models are never hooked or mutated per request.

Locally ``make demo`` serves it on http://127.0.0.1:7860; on Hugging Face Spaces the same file
runs unchanged (Spaces sets host and port).
"""

from __future__ import annotations

import atexit
import functools
import logging
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no version check or telemetry

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from geometry import (  # noqa: E402
    DISTANCE_NAMES,
    ITERATIVE,
    METHODS,
    REGISTRY,
    GeometryError,
    MetricResult,
    load_distance,
    load_generator,
    metric_tensor,
)
from geometry.analysis import statistics as st  # noqa: E402
from geometry.analysis.axes import FAMILIES, axes_and_purified_montage, axes_for_family, compare_axes  # noqa: E402
from geometry.analysis.sweep import list_sweeps, load_sweep, model_rows, prune_sweeps, run_sweep, sweep_folder  # noqa: E402
from geometry.analysis.traversal import (  # noqa: E402
    apply_to_references,
    curve_steps,
    distance_curves,
    eigen_traversal,
    explore,
    upscale,
)
from geometry.core.generators import check_count, check_seed  # noqa: E402
from reports import figures  # noqa: E402
from reports.builder import build_report  # noqa: E402

ON_SPACES = "SPACE_ID" in os.environ
LIMITS = {"ranks": 12, "steps": 11, "references": 6, "positions": 100, "resolution": 256, "seconds": 120}
GALLERY = 8  # samples shown; sample indices 0..GALLERY-1
EXPLORE_AXES = 10  # live sliders for the top eigen-axes
VIEW_SIDE = 192  # the current image is upscaled (nearest neighbour) to at least this many pixels
RESULTS = Path(os.environ.get("GGL_RESULTS", "results/app"))
# Sweeps kept in RESULTS (0 = all): on a Space the disk is shared and small, so the newest 20.
MAX_SWEEPS = int(os.environ.get("GGL_MAX_SWEEPS", 20 if ON_SPACES else 0))
DOWNLOADS = Path(tempfile.mkdtemp(prefix="ggl-app-"))  # per server; removed at exit, pruned hourly
DOWNLOAD_AGE = 3600
log = logging.getLogger("gan-geometry-lab")
atexit.register(shutil.rmtree, DOWNLOADS, ignore_errors=True)


def user_errors(function):
    """Show engine errors as a message; log anything unexpected and show a short message."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except gr.Error:
            raise
        except GeometryError as err:
            raise gr.Error(str(err)) from None
        except Exception as err:  # the app never shows a traceback
            log.exception("unexpected error in %s", function.__name__)
            raise gr.Error(f"Unexpected error ({type(err).__name__}): {err}") from None

    return wrapper


def cap(name: str, count: int) -> None:
    if count > LIMITS[name]:
        raise GeometryError(f"at most {LIMITS[name]} {name} per request on this machine; got {count}")


def as_number(value, field: str, positive: bool = False) -> float:
    """A number field's value (the API may send text), or an error naming the field."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or (positive and number <= 0):
        raise GeometryError(f"{field} must be a finite{' positive' if positive else ''} number; got {value!r}")
    return number


def download_folder(prefix: str) -> Path:
    """A fresh folder for files the user downloads; folders older than an hour are removed."""
    for old in DOWNLOADS.glob("*"):
        if time.time() - old.stat().st_mtime > DOWNLOAD_AGE:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=DOWNLOADS))


@functools.lru_cache(maxsize=8)
def generator(name: str, space: str):
    if name not in REGISTRY:
        raise GeometryError(f"unknown generator '{name}'; choose one of: {', '.join(REGISTRY)}")
    if REGISTRY[name].resolution > LIMITS["resolution"]:
        raise GeometryError(f"{name} makes {REGISTRY[name].resolution}px images; this app is capped at "
                            f"{LIMITS['resolution']}px on this machine (use the Python API for it)")
    return load_generator(name, space=space or None)


distance = functools.lru_cache(maxsize=6)(load_distance)


def parse_code(text: str) -> np.ndarray:
    """Numbers separated by commas or white space -> (n,) array."""
    try:
        return np.array([float(v) for v in text.replace(",", " ").split()])
    except ValueError as err:
        raise GeometryError(f"the pasted latent code is not a list of numbers ({err})") from None


def resolve_code(gen: str, space: str, seed, index, code: str) -> tuple:
    """The generator and the current code (latent_dim,): the pasted/uploaded ``code`` if any, else
    sample ``index`` of seed ``seed``, exactly the gallery's tile ``index``."""
    G = generator(gen, space)
    if code and code.strip():
        return G, G.check_latent(parse_code(code))
    index = check_count(index, "sample index", 0, GALLERY - 1)
    return G, G.sample(index + 1, seed=check_seed(seed))[index]


@functools.lru_cache(maxsize=64)
def _metric(gen: str, space: str, dist: str, method: str, k: int | None, z: tuple[float, ...]) -> MetricResult:
    G = generator(gen, space)
    return metric_tensor(G, distance(dist), np.array(z, dtype=np.float32), method=method, k=k,
                         seconds_cap=LIMITS["seconds"])


def metric_for(gen, space, seed, index, code, dist, method="exact", k=None) -> MetricResult:
    """The metric at the current code, cached per (generator, space, distance, method, k, z)."""
    _, z = resolve_code(gen, space, seed, index, code)
    k = check_count(k, "k", 1) if method in ITERATIVE else None
    return _metric(gen, space, dist, method, k, tuple(z.double().tolist()))


def view(image: np.ndarray) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H', W', 3) uint8, upscaled to at least ``VIEW_SIDE`` pixels."""
    tile = upscale(image, VIEW_SIDE).transpose(1, 2, 0)
    return np.repeat(tile, 3, axis=2) if tile.shape[2] == 1 else tile


def code_caption(G, seed, index, code: str, origin: str) -> str:
    if code and code.strip():
        return f"**Current code:** {origin} ({G.name}, {G.space} space, n = {G.latent_dim})"
    return (f"**Current code:** sample {int(index)} of seed {int(seed)} ({G.name}, {G.space} space, "
            f"n = {G.latent_dim})")


# ---- choosing the code ------------------------------------------------------------------------
@user_errors
def sample(gen: str, space: str, seed):
    """The gallery: samples 0..GALLERY-1 of ``seed``. Choosing resets to sample 0, no pasted code."""
    G = generator(gen, space)
    with torch.no_grad():
        images = G(G.sample(GALLERY, seed=check_seed(seed))).cpu().numpy()
    return [(view(x), f"sample {i}") for i, x in enumerate(images)], 0, ""


@user_errors
def choose_generator(gen: str, seed):
    """A new generator: its spaces (the first chosen) and its gallery."""
    if gen not in REGISTRY:
        raise GeometryError(f"unknown generator '{gen}'; choose one of: {', '.join(REGISTRY)}")
    spaces = list(REGISTRY[gen].spaces)
    return (gr.update(choices=spaces, value=spaces[0]), *sample(gen, spaces[0], seed))


def random_seed() -> int:
    return int(np.random.default_rng().integers(0, 100_000))


def pick(evt: gr.SelectData):
    """Clicking tile i makes sample i current and clears a pasted or uploaded code."""
    return evt.index, ""


@user_errors
def upload_code(path: str | None, gen: str, space: str):
    if not path:
        return gr.update(), gr.update()
    if Path(path).stat().st_size > 1_000_000:
        raise GeometryError("a latent code file is at most 1 MB")
    try:
        z = np.load(path, allow_pickle=False)
    except ValueError as err:
        message = f"the uploaded file is not a numeric .npy array ({err}); pickled files are refused"
        raise GeometryError(message) from None
    if not np.issubdtype(z.dtype, np.number):
        raise GeometryError(f"the uploaded .npy holds {z.dtype} values; a latent code is numbers")
    z = generator(gen, space).check_latent(np.asarray(z, dtype=np.float64).ravel())
    return ", ".join(f"{v:.9g}" for v in z.tolist()), "uploaded code"


@user_errors
def show_code(gen, space, seed, index, code, origin):
    """The current image on every tab, the caption saying which code it is, and the exploration
    reset to the new code."""
    G, z = resolve_code(gen, space, seed, index, code)
    with torch.no_grad():
        image = view(G(z[None])[0].cpu().numpy())
    caption = code_caption(G, seed, index, code, origin)
    return (image, image, image, image, caption, "", *[0.0] * EXPLORE_AXES)


# ---- compute metric ---------------------------------------------------------------------------
def spectrum_text(m: MetricResult) -> str:
    """Plain sentences about a metric's spectrum: computed pairs and anisotropy dimensions."""
    lam = m.eigvals[: m.n_computed]
    dims = st.anisotropy_dims(lam)
    scope = "the spectrum" if m.n_computed == m.latent_dim else f"the {m.n_computed} computed eigenvalues"
    held = "; ".join(f"**{d}** of {m.n_computed} dimensions hold {100 * f:g} %" for f, d in
                     zip(st.ANISOTROPY_FRACTIONS, dims, strict=True))
    computed = (f"All {m.latent_dim} eigenpairs computed." if m.n_computed == m.latent_dim else
                f"{m.n_computed} of {m.latent_dim} eigenpairs computed (top {m.n_computed}); the rest of the "
                f"basis completes the space with eigenvalue 0.")
    return f"{computed} Of {scope}: {held}. Effective rank {float(st.effective_rank(lam)):.2f}."


@user_errors
def compute(gen, space, seed, index, code, dist, method, k, progress=gr.Progress()):
    progress(0, desc="computing the metric")
    start = time.perf_counter()
    m = metric_for(gen, space, seed, index, code, dist, method, k)
    elapsed = time.perf_counter() - start
    p = m.provenance
    summary = (f"**{p['generator']}** ({p['space']}, n = {m.latent_dim}), {p['distance']}, {p['method']}: computed "
               f"in {p['seconds']:.2f} s, answered in {elapsed:.2f} s"
               f"{' (cached)' if elapsed < 0.5 * p['seconds'] else ''}.  \n{spectrum_text(m)}")
    table = [[i, f"{v:.4g}"] for i, v in enumerate(m.eigvals[: min(20, m.n_computed)])]
    folder = download_folder("metric-")
    m.save(folder / "metric")
    archive = shutil.make_archive(str(folder / "metric"), "zip", folder / "metric")
    plot = figures.spectrum_figure(st.spectrum_summary(m.eigvals[None, : m.n_computed]), "Spectrum at this code")
    return plot, summary, table, archive


# ---- traverse axes ----------------------------------------------------------------------------
def parse_ranks(text: str, n: int) -> list[int]:
    try:
        ranks = [int(r) for r in text.replace(",", " ").split()]
    except ValueError:
        raise GeometryError(f"ranks are whole numbers separated by commas, e.g. 0, 1, 2, 5; got '{text}'") from None
    if not ranks:
        raise GeometryError("give at least one eigen-rank")
    cap("ranks", len(ranks))
    if min(ranks) < 0 or max(ranks) >= n:
        raise GeometryError(f"ranks must lie in 0..{n - 1}; got {ranks}")
    return ranks


def steps_for(max_step, n_steps) -> np.ndarray:
    n_steps = check_count(n_steps, "steps", 2, LIMITS["steps"])
    return np.linspace(-1, 1, n_steps) * as_number(max_step, "largest step", positive=True)


@user_errors
def montage(gen, space, seed, index, code, dist, ranks_text, max_step, n_steps, mode, scaled):
    G = generator(gen, space)  # metric_for resolves and checks the code
    m = metric_for(gen, space, seed, index, code, dist)
    ranks, steps = parse_ranks(ranks_text, m.latent_dim), steps_for(max_step, n_steps)
    grid = eigen_traversal(G, m.z, m.eigvals, m.eigvecs, ranks, steps, mode, bool(scaled)).grid()
    curves = distance_curves(G, distance(dist), m.z, m.eigvals, m.eigvecs, ranks, curve_steps(float(steps[-1])))
    return grid, figures.distance_curves_figure(curves, dist)


def exploration(gen, space, seed, index, code, dist, scaled, k, values):
    G = generator(gen, space)  # metric_for resolves and checks the code
    m = metric_for(gen, space, seed, index, code, dist)
    k = check_count(k, "number of axes", 1, EXPLORE_AXES)
    coefficients = np.array([as_number(v, f"axis {i}") for i, v in enumerate(values[:k])])
    return explore(G, distance(dist), m.z, m.eigvals, m.eigvecs, coefficients, bool(scaled)), m


@user_errors
def explore_axes(gen, space, seed, index, code, dist, scaled, k, *values):
    """The image after moving along the top-k eigen-axes by the slider values, with the measured
    distance and the quadratic prediction."""
    point, m = exploration(gen, space, seed, index, code, dist, scaled, k, values)
    unit = "λ^-1/2 units" if scaled else "latent units"
    moved = ", ".join(f"axis {i}: {float(v):+.2f}" for i, v in enumerate(values[:int(k)]) if float(v) != 0)
    readout = (f"**D(G(z0), G(z)) = {point.distance:.4g}** ({dist}); quadratic prediction ½ δᵀHδ = "
               f"{point.predicted:.4g}.  \nMoved ({unit}): {moved or 'nowhere yet'}. Eigenvalues of the axes: "
               + ", ".join(f"{v:.3g}" for v in m.eigvals[:int(k)]))
    return view(point.image), readout


@user_errors
def download_code(gen, space, seed, index, code, dist, scaled, k, *values):
    point, _ = exploration(gen, space, seed, index, code, dist, scaled, k, values)
    path = download_folder("code-") / "edited-code.npy"
    np.save(path, point.z)
    return str(path)


def reset_axes():
    return [0.0] * EXPLORE_AXES


def show_axes(k):
    return [gr.update(visible=i < int(k)) for i in range(EXPLORE_AXES)]


@user_errors
def references(gen, space, seed, index, code, dist, rank, n_refs, max_step, n_steps, mode):
    G = generator(gen, space)  # metric_for resolves and checks the code
    n_refs = check_count(n_refs, "references", 1, LIMITS["references"])
    m = metric_for(gen, space, seed, index, code, dist)
    rank = parse_ranks(str(check_count(rank, "rank", 0)), m.latent_dim)[0]
    refs = G.sample(n_refs, seed=check_seed(seed) + 1).double().numpy()
    return apply_to_references(G, refs, m.eigvecs[:, rank], steps_for(max_step, n_steps), mode).grid()


@user_errors
def families(gen, space, seed, index, code, dist, family, upload, k, max_step, n_steps):
    G = generator(gen, space)  # metric_for resolves and checks the code
    m = metric_for(gen, space, seed, index, code, dist)
    k = check_count(k, "k", 1, LIMITS["ranks"])
    axes = axes_for_family(G, family, k, file=upload, n_samples=500, seed=check_seed(seed))
    k = min(k, axes.vectors.shape[1])
    result = compare_axes(axes, m.eigvals, m.eigvecs, k=k)
    grid = axes_and_purified_montage(G, m.z, axes, result.purified, steps_for(max_step, n_steps))
    summary = (f"{family} axes: speed aᵀHa of the first {k}: "
               + ", ".join(f"{v:.3g}" for v in result.speed[:k])
               + f" (random unit vectors {result.random_speed:.3g}). Grassmann distance of their span to the top-{k}"
               f" eigenspace {result.grassmann:.3f}, random {k}-subspaces {result.grassmann_random[0]:.3f} ± "
               f"{result.grassmann_random[1]:.3f}. Montage: axes (left) | purified top-{k} (right).")
    return grid, figures.axis_projection_figure(result, family), summary


# ---- sweeps, by name --------------------------------------------------------------------------
def sweeps_available() -> list[str]:
    """Names of the completed sweeps in the app's results folder, newest first."""
    return list_sweeps(RESULTS)


def refresh_sweeps():
    names = sweeps_available()
    return gr.update(choices=names), gr.update(choices=names)


@user_errors
def add_sweep(gen, space, dist, n, seed, progress=gr.Progress()):
    n = check_count(n, "positions", 2, LIMITS["positions"])
    seed = check_seed(seed)
    G = generator(gen, space)
    name = f"{gen}-{G.space}-{dist}-n{n}-seed{seed}"
    run_sweep(RESULTS / name, G, distance(dist), n=n, seed=seed,
              progress=lambda f, message: progress(f, desc=message))
    prune_sweeps(RESULTS, MAX_SWEEPS)
    names = sweeps_available()
    return gr.update(choices=names, value=[name]), gr.update(choices=names, value=name)


@user_errors
def compare_spectra(selected: list[str]):
    if not selected:
        raise GeometryError("select at least one sweep (run one with 'Run sweep')")
    if isinstance(selected, str):
        selected = [selected]
    rows = model_rows({name: load_sweep(sweep_folder(RESULTS, name)) for name in selected})
    table = [[r["label"], r["N"]] + [f"{m:.1f} ± {d:.1f}" for m, d in r["dims"]]
             + [f"{r['ch_log'][0]:.3f} ± {r['ch_log'][1]:.3f}", f"{r['ch_lin'][0]:.3f} ± {r['ch_lin'][1]:.3f}"]
             for r in rows]
    summaries = {r["label"]: r["summary"] for r in rows}
    first = rows[0]["summary"]  # the figures below the table show the first sweep
    return (figures.spectra_overlay_figure({name: s.spectrum for name, s in summaries.items()}), table,
            figures.consistency_heatmap(first.consistency), figures.consistency_histograms(first.consistency),
            figures.isotropy_figure(first.isotropy))


@user_errors
def mechanism(gen, space, seed, index, code, dist, progress=gr.Progress()):
    """Layer metrics, amplification and the weight-shuffled control at the current code."""
    from geometry.analysis.layers import layers_at, summarise_layers

    G, z = resolve_code(gen, space, seed, index, code)
    progress(0, desc="layer metrics of the original and the shuffled generator")
    s = summarise_layers(layers_at(G, distance(dist), z))
    table = [[r["metric"], f"{r['top']:.4g}", f"{r['top_shuffled']:.4g}", f"{r['dims99']:.0f}",
              f"{r['dims99_shuffled']:.0f}"] for r in s.rows]
    return figures.layer_spectra_figure(s), figures.amplification_figure(s), table


@user_errors
def make_report(selected: str, progress=gr.Progress()):
    if not selected:
        raise GeometryError("choose a sweep to report on (run one in 'Compare spectra')")
    folder = download_folder("report-")
    build_report(sweep_folder(RESULTS, selected), html=folder / f"{selected}.html", pdf=folder / f"{selected}.pdf",
                 progress=lambda f, message: progress(f, desc=message))
    return [str(folder / f"{selected}.pdf"), str(folder / f"{selected}.html")]


# ---- layout ------------------------------------------------------------------------------------
def Slider(*args, **kwargs) -> gr.Slider:  # noqa: N802 (reads like the component it makes)
    """A ``gr.Slider`` whose API input, when not a finite number, is refused with a message naming
    the slider (Gradio's own bounds check fails with a generic error on text)."""
    slider = gr.Slider(*args, **kwargs)
    preprocess = slider.preprocess

    def checked(payload):
        if isinstance(payload, bool) or not isinstance(payload, int | float) or not math.isfinite(payload):
            raise gr.Error(f"{slider.label} must be a finite number; got {payload!r}")
        return preprocess(payload)

    slider.preprocess = checked
    return slider


def current_image(elem_id: str, label: str = "Current image") -> gr.Image:
    return gr.Image(label=label, height=VIEW_SIDE + 40, width=VIEW_SIDE + 16, interactive=False, scale=0,
                    min_width=VIEW_SIDE + 16, buttons=[], elem_id=elem_id)


with gr.Blocks(title="GAN Geometry Lab", delete_cache=(DOWNLOAD_AGE, DOWNLOAD_AGE)) as demo:
    gr.Markdown("# GAN Geometry Lab\nThe Riemannian metric of a GAN's latent space, pulled back from an image "
                "distance: which directions change the image most, how anisotropic and homogeneous the space is.")
    with gr.Row():
        gen_box = gr.Dropdown(list(REGISTRY), value="dcgan-face64", label="Generator")
        space_box = gr.Dropdown(list(REGISTRY["dcgan-face64"].spaces), value="noise", label="Latent space",
                                allow_custom_value=True)  # choices follow the generator; the engine checks
        seed_box = gr.Number(value=0, label="Seed")
        index_box = gr.Number(value=0, label="Sample index (click a sample)", elem_id="sample-index")
        dist_box = gr.Dropdown(list(DISTANCE_NAMES), value="lpips-alex", label="Distance")
    caption = gr.Markdown(elem_id="code-caption")
    origin = gr.State("pasted code")
    code = [gen_box, space_box, seed_box, index_box]

    with gr.Tab("Pick GAN"):
        with gr.Row():
            random_button = gr.Button("Random seed", variant="primary")
            upload = gr.File(label="Upload a latent code (.npy)", file_types=[".npy"], type="filepath", height=110)
        gallery = gr.Gallery(label="Samples (click one to choose it)", columns=GALLERY, height=230,
                             allow_preview=False, elem_id="gallery")
        with gr.Row():
            code_box = gr.Textbox(label="Or paste a latent code (numbers separated by commas; Enter to use it)",
                                  lines=2, scale=3)
            chosen = current_image("chosen-image", "Chosen image")
    code_inputs = code + [code_box]

    with gr.Tab("Compute metric"):
        with gr.Row():
            compute_image = current_image("compute-image")
            with gr.Column():
                with gr.Row():
                    method_box = gr.Dropdown(list(METHODS), value="exact", label="Method")
                    k_box = Slider(1, 50, value=10, step=1, label="k (Lanczos methods)")
                compute_button = gr.Button("Compute metric", variant="primary")
                summary_box = gr.Markdown()
        spectrum_plot = gr.Plot(label="Spectrum", elem_id="spectrum")
        with gr.Row():
            eig_table = gr.Dataframe(headers=["rank", "eigenvalue"], label="Top eigenvalues", max_height=300)
            result_file = gr.File(label="Result (metric.npz + provenance.json)")

    with gr.Tab("Traverse axes"):
        with gr.Row():
            traverse_image = current_image("traverse-image")
            with gr.Column():
                with gr.Row():
                    ranks_box = gr.Textbox(value="0, 1, 2, 5, 10", label="Eigen-ranks (0 = top)")
                    max_step = gr.Number(value=3.0, label="Largest step")
                    n_steps = Slider(2, LIMITS["steps"], value=7, step=1, label="Steps")
                with gr.Row():
                    mode_box = gr.Radio(["linear", "spherical"], value="linear", label="Path")
                    scaled_box = gr.Checkbox(label="Scale steps by 1/sqrt(eigenvalue)")
                montage_button = gr.Button("Make montage", variant="primary")
        with gr.Accordion("Explore the top eigen-axes live", open=True):
            with gr.Row():
                with gr.Column(scale=2):
                    with gr.Row():
                        axes_k = Slider(1, EXPLORE_AXES, value=5, step=1, label="Axes")
                        explore_scaled = gr.Checkbox(label="Slider units of λ^-1/2 (equal predicted change)")
                    sliders = [Slider(-3, 3, value=0, step=0.05, label=f"axis {i}", visible=i < 5,
                                         elem_id=f"axis-{i}") for i in range(EXPLORE_AXES)]
                    with gr.Row():
                        reset_button = gr.Button("Reset")
                        download_button = gr.Button("Download edited code (.npy)")
                    edited_file = gr.File(label="Edited code", elem_id="edited-code", height=80)
                with gr.Column(scale=1):
                    explore_image = gr.Image(label="Edited image", height=VIEW_SIDE + 40, interactive=False,
                                             buttons=[], elem_id="explore-image")
                    readout = gr.Markdown(elem_id="explore-readout")
        montage_image = gr.Image(label="Montage", type="numpy", elem_id="montage")
        curves_plot = gr.Plot(label="Distance along each axis", elem_id="curves")
        with gr.Accordion("Apply an axis to other reference codes", open=False):
            with gr.Row():
                rank_box = gr.Number(value=0, precision=0, label="Rank")
                refs_box = Slider(1, LIMITS["references"], value=4, step=1, label="References")
                refs_button = gr.Button("Apply to references")
            refs_image = gr.Image(label="Same axis, other codes", type="numpy")
        with gr.Accordion("Compare with SeFa / PCA / uploaded axes", open=False):
            with gr.Row():
                family_box = gr.Radio(list(FAMILIES), value="sefa", label="Family")
                axes_upload = gr.File(label="Axes file (.npy or .csv)", file_types=[".npy", ".csv"], type="filepath")
                family_k = Slider(1, LIMITS["ranks"], value=8, step=1, label="k")
                family_button = gr.Button("Compare axes")
            family_summary = gr.Markdown()
            family_image = gr.Image(label="Axes | purified axes", type="numpy")
            family_plot = gr.Plot(label="Projection power on the eigenvectors")

    with gr.Tab("Compare spectra"):
        with gr.Row():
            n_box = Slider(2, LIMITS["positions"], value=10, step=1, label="Positions N")
            sweep_button = gr.Button("Run sweep (current generator, space, distance, seed)", variant="primary")
        with gr.Row():
            sweeps_box = gr.Dropdown([], multiselect=True, label="Sweeps to compare", allow_custom_value=True,
                                     scale=4)
            list_button = gr.Button("Refresh list", scale=1)
        compare_button = gr.Button("Compare")
        overlay_plot = gr.Plot(label="Spectra", elem_id="overlay")
        aniso_table = gr.Dataframe(headers=["sweep", "N", "0.99", "0.999", "0.9999", "0.99999", "C^H log", "C^H lin"],
                                   label="Dimensions holding each fraction of the spectrum (mean ± std), "
                                         "and homogeneity C^H")
        heatmap_plot = gr.Plot(label="Consistency matrix (first sweep)", elem_id="heatmap")
        histogram_plot = gr.Plot(label="Consistency histograms (first sweep)", elem_id="histograms")
        isotropy_plot = gr.Plot(label="Illusion of isotropy (first sweep)")
        with gr.Accordion("Mechanism at the current code: layer metrics, amplification, shuffled control",
                          open=False):
            mechanism_button = gr.Button("Analyse the layers")
            layer_table = gr.Dataframe(headers=["metric", "top eigenvalue", "shuffled", "dims for 99 %", "shuffled"],
                                       label="Each layer's metric and the image metric, original against "
                                             "weight-shuffled")
            layer_plot = gr.Plot(label="Spectra by layer", elem_id="layer-spectra")
            amplification_plot = gr.Plot(label="Amplification of the first layer's eigenvectors")

    with gr.Tab("Report"):
        report_box = gr.Dropdown([], label="Sweep to report on", allow_custom_value=True)
        report_button = gr.Button("Build report (PDF + HTML)", variant="primary")
        report_files = gr.File(label="Report", file_count="multiple", elem_id="report-files")

    views = [chosen, compute_image, traverse_image, explore_image, caption, readout, *sliders]
    view_inputs = code_inputs + [origin]
    gen_box.change(choose_generator, [gen_box, seed_box], [space_box, gallery, index_box, code_box],
                   api_name=False).then(show_code, view_inputs, views, api_name=False)
    random_button.click(random_seed, None, seed_box, api_name=False).then(
        sample, [gen_box, space_box, seed_box], [gallery, index_box, code_box], api_name=False).then(
        show_code, view_inputs, views, api_name=False)
    gr.on([seed_box.submit, seed_box.blur, space_box.input, demo.load], sample, [gen_box, space_box, seed_box],
          [gallery, index_box, code_box], api_name="sample").then(show_code, view_inputs, views, api_name=False)
    demo.load(refresh_sweeps, None, [sweeps_box, report_box], api_name=False)
    gallery.select(pick, None, [index_box, code_box], api_name=False).then(show_code, view_inputs, views,
                                                                            api_name=False)
    upload.upload(upload_code, [upload, gen_box, space_box], [code_box, origin], api_name=False).then(
        show_code, view_inputs, views, api_name=False)
    code_box.input(lambda: "pasted code", None, origin, api_name=False)
    gr.on([code_box.submit, code_box.blur, index_box.submit, index_box.blur], show_code, view_inputs, views,
          api_name=False)
    compute_button.click(compute, code_inputs + [dist_box, method_box, k_box],
                         [spectrum_plot, summary_box, eig_table, result_file], api_name="compute_metric")
    montage_button.click(montage, code_inputs + [dist_box, ranks_box, max_step, n_steps, mode_box, scaled_box],
                         [montage_image, curves_plot], api_name="traverse")
    explore_inputs = code_inputs + [dist_box, explore_scaled, axes_k, *sliders]
    gr.on([s.input for s in sliders] + [explore_scaled.input], explore_axes, explore_inputs, [explore_image, readout],
          api_name="explore", trigger_mode="always_last")
    axes_k.input(show_axes, axes_k, sliders, api_name=False)
    reset_button.click(reset_axes, None, sliders, api_name=False).then(
        explore_axes, explore_inputs, [explore_image, readout], api_name=False)
    download_button.click(download_code, explore_inputs, edited_file, api_name="download_code")
    refs_button.click(references, code_inputs + [dist_box, rank_box, refs_box, max_step, n_steps, mode_box],
                      refs_image, api_name="apply_to_references")
    family_button.click(families, code_inputs + [dist_box, family_box, axes_upload, family_k, max_step, n_steps],
                        [family_image, family_plot, family_summary], api_name="compare_axes")
    comparison = [overlay_plot, aniso_table, heatmap_plot, histogram_plot, isotropy_plot]
    sweep_button.click(add_sweep, [gen_box, space_box, dist_box, n_box, seed_box], [sweeps_box, report_box],
                       api_name="run_sweep", concurrency_limit=1).success(
        compare_spectra, sweeps_box, comparison, api_name=False)
    list_button.click(refresh_sweeps, None, [sweeps_box, report_box], api_name=False)
    gr.api(sweeps_available, api_name="list_sweeps")
    compare_button.click(compare_spectra, sweeps_box, comparison, api_name="compare_spectra")
    mechanism_button.click(mechanism, code_inputs + [dist_box], [layer_plot, amplification_plot, layer_table],
                           api_name="mechanism")
    report_button.click(make_report, report_box, report_files, api_name="build_report", concurrency_limit=1)

if __name__ == "__main__":
    port = None if ON_SPACES else int(os.environ.get("GRADIO_SERVER_PORT", 7860))
    metric_for("dcgan-face64", "noise", 0, 0, "", "lpips-alex")  # warm models and the default view
    if not ON_SPACES:
        print(f"GAN Geometry Lab: open http://127.0.0.1:{port}", flush=True)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=None if ON_SPACES else "127.0.0.1", server_port=port, ssr_mode=False, max_file_size="20mb",
    )
