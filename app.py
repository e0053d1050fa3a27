"""GAN Geometry Lab: the Gradio app.

Thin over ``geometry`` and ``reports``: every number and figure comes from an engine or figure
function that the tests also call. The chosen latent code is identified by visible inputs
(generator, space, seed, sample index, or a pasted/uploaded code), so each tab's action is also
a plain API call (``api_name``) for ``gradio_client``. Requests are capped for a small CPU
machine (``LIMITS``); user errors become ``gr.Error`` messages, never tracebacks.

Locally ``make demo`` serves it on http://127.0.0.1:7860; on Hugging Face Spaces the same file
runs unchanged (Spaces sets host and port).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no version check or telemetry

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from geometry import GeometryError, MetricResult, load_distance, load_generator, metric_tensor  # noqa: E402
from geometry import statistics as st  # noqa: E402
from geometry.axes import compare_axes, file_axes, pca_axes, sefa_axes  # noqa: E402
from geometry.distances import DISTANCE_NAMES  # noqa: E402
from geometry.methods import ITERATIVE, METHODS  # noqa: E402
from geometry.registry import REGISTRY  # noqa: E402
from geometry.sweep import load_sweep, run_sweep  # noqa: E402
from geometry.traversal import apply_to_references, distance_curves, eigen_traversal, traverse  # noqa: E402
from reports import figures  # noqa: E402
from reports.builder import build_report  # noqa: E402

LIMITS = {"ranks": 12, "steps": 11, "references": 6, "positions": 100, "gallery": 12, "resolution": 256}
RESULTS = Path(os.environ.get("GGL_RESULTS", "results/app"))
log = logging.getLogger("gan-geometry-lab")


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


@functools.lru_cache(maxsize=8)
def generator(name: str, space: str):
    if name not in REGISTRY:
        raise GeometryError(f"unknown generator '{name}'")
    if REGISTRY[name].resolution > LIMITS["resolution"]:
        raise GeometryError(f"{name} makes {REGISTRY[name].resolution}px images; this app is capped at "
                            f"{LIMITS['resolution']}px on this machine (use the Python API for it)")
    return load_generator(name, space=space or None)


distance = functools.lru_cache(maxsize=6)(load_distance)


def parse_code(text: str) -> np.ndarray:
    """Numbers separated by commas or white space -> (n,) array."""
    try:
        values = np.array([float(v) for v in text.replace(",", " ").split()])
    except ValueError as err:
        raise GeometryError(f"the pasted latent code is not a list of numbers ({err})") from None
    return values


def resolve_code(gen: str, space: str, seed: float, index: float, code: str):
    """The generator and the chosen code: pasted/uploaded ``code`` if any, else sample ``index``
    of the gallery drawn with ``seed``."""
    G = generator(gen, space)
    if code and code.strip():
        return G, G.check_latent(parse_code(code))
    index = int(index or 0)
    if not 0 <= index < LIMITS["gallery"]:
        raise GeometryError(f"sample index must lie in 0..{LIMITS['gallery'] - 1}")
    return G, G.sample(index + 1, seed=int(seed))[index]


@functools.lru_cache(maxsize=64)
def _metric(gen: str, space: str, dist: str, method: str, k: int | None, z: tuple[float, ...]) -> MetricResult:
    G = generator(gen, space)
    return metric_tensor(G, distance(dist), np.array(z, dtype=np.float32), method=method, k=k)


def metric_for(gen, space, seed, index, code, dist, method, k) -> MetricResult:
    """The metric at the chosen code, cached per (generator, space, distance, method, k, z)."""
    G, z = resolve_code(gen, space, seed, index, code)
    k = int(k) if method in ITERATIVE else None
    return _metric(gen, space, dist, method, k, tuple(z.double().tolist()))


def as_image(x) -> np.ndarray:
    return (x.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).astype(np.uint8)


# ---- tab actions ------------------------------------------------------------------------------
@user_errors
def spaces_for(gen: str):
    spaces = list(REGISTRY[gen].spaces)
    return gr.update(choices=spaces, value=spaces[0])


@user_errors
def sample(gen: str, space: str, seed: float):
    """Gallery of the first codes drawn with ``seed``; the chosen one is index 0."""
    G = generator(gen, space)
    import torch

    with torch.no_grad():
        images = G(G.sample(8, seed=int(seed)))
    return [(as_image(x), f"#{i}") for i, x in enumerate(images)], 0, ""


def random_seed() -> int:
    return int(np.random.default_rng().integers(0, 100_000))


def pick(evt: gr.SelectData):
    return evt.index


@user_errors
def upload_code(path: str | None, gen: str, space: str) -> str:
    if not path:
        return ""
    if Path(path).stat().st_size > 1_000_000:
        raise GeometryError("a latent code file is at most 1 MB")
    try:
        z = np.load(path, allow_pickle=False)
    except ValueError as err:
        message = f"the uploaded file is not a numeric .npy array ({err}); pickled files are refused"
        raise GeometryError(message) from None
    z = generator(gen, space).check_latent(np.asarray(z, dtype=np.float64).ravel())
    return ", ".join(f"{v:.6g}" for v in z.tolist())


@user_errors
def current_image(gen, space, seed, index, code):
    G, z = resolve_code(gen, space, seed, index, code)
    import torch

    with torch.no_grad():
        return as_image(G(z[None])[0])


@user_errors
def compute(gen, space, seed, index, code, dist, method, k, progress=gr.Progress()):
    progress(0, desc="computing the metric")
    start = time.perf_counter()
    m = metric_for(gen, space, seed, index, code, dist, method, k)
    elapsed = time.perf_counter() - start
    lam = m.eigvals[: m.n_computed]
    dims = st.anisotropy_dims(lam)
    held = ", ".join(f"{f:g}: {d}" for f, d in zip(st.ANISOTROPY_FRACTIONS, dims, strict=True))
    summary = (f"**{m.provenance['generator']}** ({m.provenance['space']}, n = {m.latent_dim}), "
               f"{m.provenance['distance']}, {m.provenance['method']}: computed in {m.provenance['seconds']:.2f} s, "
               f"answered in {elapsed:.2f} s{' (cached)' if elapsed < 0.5 * m.provenance['seconds'] else ''}.  \n"
               f"Dimensions holding a fraction of the {'computed ' if m.n_computed < m.latent_dim else ''}"
               f"spectrum: {held} (of {m.n_computed}). Effective rank {float(st.effective_rank(lam)):.2f}.")
    table = [[i, float(v)] for i, v in enumerate(lam[:20])]
    folder = Path(tempfile.mkdtemp(prefix="metric-"))
    m.save(folder / "metric")
    archive = shutil.make_archive(str(folder / "metric"), "zip", folder / "metric")
    plot = figures.spectrum_figure(st.spectrum_summary(lam[None]), "Spectrum at this code")
    return plot, summary, table, archive


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


def steps_for(max_step: float, n_steps: float) -> np.ndarray:
    n_steps = int(n_steps)
    cap("steps", n_steps)
    if n_steps < 2 or max_step <= 0:
        raise GeometryError("need at least 2 steps and a positive step range")
    return np.linspace(-max_step, max_step, n_steps)


@user_errors
def montage(gen, space, seed, index, code, dist, ranks_text, max_step, n_steps, mode, scaled):
    G, _ = resolve_code(gen, space, seed, index, code)
    m = metric_for(gen, space, seed, index, code, dist, "exact", None)
    ranks, steps = parse_ranks(ranks_text, m.latent_dim), steps_for(max_step, n_steps)
    grid = eigen_traversal(G, m.z, m.eigvals, m.eigvecs, ranks, steps, mode, bool(scaled)).grid()
    curves = distance_curves(G, distance(dist), m.z, m.eigvals, m.eigvecs, ranks, steps)
    return grid, figures.distance_curves_figure(curves, dist)


@user_errors
def references(gen, space, seed, index, code, dist, rank, n_refs, max_step, n_steps, mode):
    G, _ = resolve_code(gen, space, seed, index, code)
    cap("references", int(n_refs))
    m = metric_for(gen, space, seed, index, code, dist, "exact", None)
    rank = parse_ranks(str(int(rank)), m.latent_dim)[0]
    refs = G.sample(int(n_refs), seed=int(seed) + 1).double().numpy()
    return apply_to_references(G, refs, m.eigvecs[:, rank], steps_for(max_step, n_steps), mode).grid()


@user_errors
def families(gen, space, seed, index, code, dist, family, upload, k, max_step, n_steps):
    G, _ = resolve_code(gen, space, seed, index, code)
    m = metric_for(gen, space, seed, index, code, dist, "exact", None)
    k = int(k)
    cap("ranks", k)
    if family == "sefa":
        axes = sefa_axes(G, k)
    elif family == "pca":
        axes = pca_axes(G, k, n_samples=500, seed=int(seed))
    else:
        if not upload:
            raise GeometryError("upload an axes file (.npy or .csv, one axis per row) for the 'file' family")
        axes = file_axes(upload, G.latent_dim)
    k = min(k, axes.vectors.shape[1])
    result = compare_axes(axes, m.eigvals, m.eigvecs, k=k)
    steps = steps_for(max_step, n_steps)
    rows = min(k, 8)
    grids = [traverse(G, m.z, a.vectors[:, :rows], steps, labels=[str(i) for i in range(rows)]).grid()
             for a in (axes, result.purified)]
    gap = np.full((grids[0].shape[0], 12, 3), 255, np.uint8)
    summary = (f"{family} axes: speed aᵀHa of the first {k}: "
               + ", ".join(f"{v:.3g}" for v in result.speed[:k])
               + f" (random unit vectors {result.random_speed:.3g}). Grassmann distance of their span to the top-{k}"
               f" eigenspace {result.grassmann:.3f}, random {k}-subspaces {result.grassmann_random[0]:.3f} ± "
               f"{result.grassmann_random[1]:.3f}. Montage: axes (left) | purified top-{k} (right).")
    return np.concatenate([grids[0], gap, grids[1]], axis=1), figures.axis_projection_figure(result, family), summary


def sweep_dirs() -> list[str]:
    if not RESULTS.exists():
        return []
    return sorted(str(p.parent) for p in RESULTS.glob("*/sweep.json") if load_sweep_ok(p.parent))


def load_sweep_ok(path: Path) -> bool:
    try:
        load_sweep(path)
        return True
    except GeometryError:
        return False


def refresh_sweeps():
    choices = sweep_dirs()
    return gr.update(choices=choices), gr.update(choices=choices)


@user_errors
def add_sweep(gen, space, dist, n, seed, progress=gr.Progress()):
    cap("positions", int(n))
    G = generator(gen, space)
    out = RESULTS / f"{gen}-{G.space}-{dist}-n{int(n)}-seed{int(seed)}"
    run_sweep(out, G, distance(dist), n=int(n), seed=int(seed),
              progress=lambda f, message: progress(f, desc=message))
    choices = sweep_dirs()
    return gr.update(choices=choices, value=[str(out)]), gr.update(choices=choices, value=str(out))


@user_errors
def compare_spectra(selected: list[str]):
    if not selected:
        raise GeometryError("select at least one sweep (run one with 'Run sweep')")
    sweeps = {Path(p).name: load_sweep(p) for p in selected}
    spectra = {name: st.spectrum_summary(np.asarray(s.eigvals[:, : s.n_computed])) for name, s in sweeps.items()}
    table, consistencies = [], []
    for name, s in sweeps.items():
        t = st.anisotropy_table(np.asarray(s.eigvals[:, : s.n_computed]))
        C = st.consistency(s.eigvals, s.eigvecs, s.H)
        consistencies.append(C)
        table.append([name, s.n_positions] + [f"{m:.1f} ± {d:.1f}" for m, d in zip(t.mean, t.std, strict=True)]
                     + [f"{C.log_mean:.3f} ± {C.log_std:.3f}", f"{C.lin_mean:.3f} ± {C.lin_std:.3f}"])
    first, C = next(iter(sweeps.values())), consistencies[0]  # the figures show the first sweep
    iso = st.isotropy_illusion(first.eigvals, first.eigvecs)
    return (figures.spectra_overlay_figure(spectra), table, figures.consistency_heatmap(C),
            figures.consistency_histograms(C), figures.isotropy_figure(iso))


@user_errors
def make_report(selected: str, progress=gr.Progress()):
    if not selected:
        raise GeometryError("choose a sweep to report on (run one in 'Compare spectra')")
    folder = Path(tempfile.mkdtemp(prefix="report-"))
    name = Path(selected).name
    build_report(selected, html=folder / f"{name}.html", pdf=folder / f"{name}.pdf",
                 progress=lambda f, message: progress(f, desc=message))
    return [str(folder / f"{name}.pdf"), str(folder / f"{name}.html")]


# ---- layout ------------------------------------------------------------------------------------
with gr.Blocks(title="GAN Geometry Lab") as demo:
    gr.Markdown("# GAN Geometry Lab\nThe Riemannian metric of a GAN's latent space, pulled back from an image "
                "distance: which directions change the image most, how anisotropic and homogeneous the space is.")
    with gr.Row():
        gen_box = gr.Dropdown(list(REGISTRY), value="dcgan-face64", label="Generator")
        all_spaces = sorted({space for entry in REGISTRY.values() for space in entry.spaces})
        space_box = gr.Dropdown(all_spaces, value="noise", label="Latent space")
        seed_box = gr.Number(value=0, precision=0, label="Seed")
        index_box = gr.Number(value=0, precision=0, label="Sample index (click a sample)")
        dist_box = gr.Dropdown(list(DISTANCE_NAMES), value="lpips-alex", label="Distance")
    code = [gen_box, space_box, seed_box, index_box]

    with gr.Tab("Pick GAN"):
        with gr.Row():
            random_button = gr.Button("Random sample", variant="primary")
            upload = gr.File(label="Upload a latent code (.npy)", file_types=[".npy"], type="filepath", height=110)
        gallery = gr.Gallery(label="Samples (click one to choose it)", columns=8, height=220, allow_preview=False)
        with gr.Row():
            code_box = gr.Textbox(label="Or paste a latent code (numbers separated by commas)", lines=2, scale=3)
            chosen = gr.Image(label="Chosen image", height=192, scale=1)
    code_inputs = code + [code_box]

    with gr.Tab("Compute metric"):
        with gr.Row():
            method_box = gr.Dropdown(list(METHODS), value="exact", label="Method")
            k_box = gr.Slider(1, 50, value=10, step=1, label="k (Lanczos methods)")
            compute_button = gr.Button("Compute metric", variant="primary")
        summary_box = gr.Markdown()
        spectrum_plot = gr.Plot(label="Spectrum", elem_id="spectrum")
        eig_table = gr.Dataframe(headers=["rank", "eigenvalue"], label="Top eigenvalues", max_height=300)
        result_file = gr.File(label="Result (metric.npz + provenance.json)")

    with gr.Tab("Traverse axes"):
        with gr.Row():
            ranks_box = gr.Textbox(value="0, 1, 2, 5, 10", label="Eigen-ranks (0 = top)")
            max_step = gr.Number(value=3.0, label="Largest step")
            n_steps = gr.Slider(2, LIMITS["steps"], value=7, step=1, label="Steps")
            mode_box = gr.Radio(["linear", "spherical"], value="linear", label="Path")
            scaled_box = gr.Checkbox(label="Scale steps by 1/sqrt(eigenvalue)")
        montage_button = gr.Button("Make montage", variant="primary")
        montage_image = gr.Image(label="Montage", type="numpy", elem_id="montage")
        curves_plot = gr.Plot(label="Distance along each axis")
        with gr.Accordion("Apply an axis to other reference codes", open=False):
            with gr.Row():
                rank_box = gr.Number(value=0, precision=0, label="Rank")
                refs_box = gr.Slider(1, LIMITS["references"], value=4, step=1, label="References")
                refs_button = gr.Button("Apply to references")
            refs_image = gr.Image(label="Same axis, other codes", type="numpy")
        with gr.Accordion("Compare with SeFa / PCA / uploaded axes", open=False):
            with gr.Row():
                family_box = gr.Radio(["sefa", "pca", "file"], value="sefa", label="Family")
                axes_upload = gr.File(label="Axes file (.npy or .csv)", file_types=[".npy", ".csv"], type="filepath")
                family_k = gr.Slider(1, LIMITS["ranks"], value=8, step=1, label="k")
                family_button = gr.Button("Compare axes")
            family_summary = gr.Markdown()
            family_image = gr.Image(label="Axes | purified axes", type="numpy")
            family_plot = gr.Plot(label="Projection power on the eigenvectors")

    with gr.Tab("Compare spectra"):
        with gr.Row():
            n_box = gr.Slider(2, LIMITS["positions"], value=10, step=1, label="Positions N")
            sweep_button = gr.Button("Run sweep (current generator, space, distance, seed)", variant="primary")
        sweeps_box = gr.Dropdown(sweep_dirs(), multiselect=True, label="Sweeps to compare")
        compare_button = gr.Button("Compare")
        overlay_plot = gr.Plot(label="Spectra", elem_id="overlay")
        aniso_table = gr.Dataframe(headers=["sweep", "N", "0.99", "0.999", "0.9999", "0.99999", "C^H log", "C^H lin"],
                                   label="Anisotropy (dims, mean ± std) and homogeneity")
        with gr.Row():
            heatmap_plot = gr.Plot(label="Consistency matrix (first sweep)")
            histogram_plot = gr.Plot(label="Consistency histograms")
        isotropy_plot = gr.Plot(label="Illusion of isotropy")

    with gr.Tab("Report"):
        report_box = gr.Dropdown(sweep_dirs(), label="Sweep to report on")
        report_button = gr.Button("Build report (PDF + HTML)", variant="primary")
        report_files = gr.File(label="Report", file_count="multiple", elem_id="report-files")

    gen_box.change(spaces_for, gen_box, space_box, api_name=False)
    random_button.click(random_seed, None, seed_box, api_name=False)
    for trigger in (seed_box.change, space_box.change, demo.load):
        trigger(sample, [gen_box, space_box, seed_box], [gallery, index_box, code_box], api_name="sample")
    demo.load(refresh_sweeps, None, [sweeps_box, report_box], api_name=False)
    gallery.select(pick, None, index_box, api_name=False)
    upload.change(upload_code, [upload, gen_box, space_box], code_box, api_name=False)
    for trigger in (index_box.change, code_box.change, gallery.change):
        trigger(current_image, code_inputs, chosen, api_name=False)
    compute_button.click(compute, code_inputs + [dist_box, method_box, k_box],
                         [spectrum_plot, summary_box, eig_table, result_file], api_name="compute_metric")
    montage_button.click(montage, code_inputs + [dist_box, ranks_box, max_step, n_steps, mode_box, scaled_box],
                         [montage_image, curves_plot], api_name="traverse")
    refs_button.click(references, code_inputs + [dist_box, rank_box, refs_box, max_step, n_steps, mode_box],
                      refs_image, api_name="apply_to_references")
    family_button.click(families, code_inputs + [dist_box, family_box, axes_upload, family_k, max_step, n_steps],
                        [family_image, family_plot, family_summary], api_name="compare_axes")
    comparison = [overlay_plot, aniso_table, heatmap_plot, histogram_plot, isotropy_plot]
    sweep_button.click(add_sweep, [gen_box, space_box, dist_box, n_box, seed_box], [sweeps_box, report_box],
                       api_name="run_sweep", concurrency_limit=1).success(
        compare_spectra, sweeps_box, comparison, api_name=False)
    compare_button.click(compare_spectra, sweeps_box, comparison, api_name="compare_spectra")
    report_button.click(make_report, report_box, report_files, api_name="build_report", concurrency_limit=1)

if __name__ == "__main__":
    on_spaces = "SPACE_ID" in os.environ
    port = None if on_spaces else int(os.environ.get("GRADIO_SERVER_PORT", 7860))
    metric_for("dcgan-face64", "noise", 0, 0, "", "lpips-alex", "exact", None)  # warm models and the default view
    if not on_spaces:
        print(f"GAN Geometry Lab: open http://127.0.0.1:{port}", flush=True)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=None if on_spaces else "127.0.0.1", server_port=port, ssr_mode=False, max_file_size="20mb",
    )
