"""What each control of the app does: plain functions over the engine (no gradio import).

Every handler takes the server's ``AppState`` first, then the values of its inputs as the page
sends them (numbers may arrive as text through the API: each is checked and refused with a
message naming the field). The current latent code is identified by visible inputs (generator,
space, seed, sample index, or a pasted / uploaded code), so each action is also an API call. A
user error raises ``GeometryError``; ``layout`` shows it as a message. Every number shown comes
from a ``gan_geometry`` function and every table row or sentence from ``gan_geometry.presentation``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable

import numpy as np
import torch

from gan_geometry import ITERATIVE, REGISTRY, GeometryError, MetricResult, checks
from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.axes import axes_and_purified_montage, axes_for_family, compare_axes
from gan_geometry.analysis.sweeps import list_sweeps, load_sweep, prune_sweeps, run_sweep, sweep_folder
from gan_geometry.analysis.traversal import (
    apply_to_references,
    check_ranks,
    curve_steps,
    distance_curves,
    eigen_traversal,
    explore,
)
from gan_geometry.analysis.traversal import upscale as upscale_image
from gan_geometry.app.state import AppState
from gan_geometry.core.distances import distances_for
from gan_geometry.core.sound import labelled_spectrogram, pcm16
from gan_geometry.presentation import figures, tables
from gan_geometry.presentation import formats as fmt
from gan_geometry.presentation import sentences as say
from gan_geometry.registry import entry_of
from gan_geometry.reports.builder import build_report
from gan_geometry.reports.sections.montages import montage_sounds

Progress = Callable[[float, str], None] | None


def cap(state: AppState, name: str, count: int) -> None:
    limit = state.settings.limits[name]
    if count > limit:
        raise GeometryError(f"at most {limit} {name} per request on this machine; got {count}")


def parse_code(text: str) -> np.ndarray:
    """Numbers separated by commas or white space -> (n,) array."""
    try:
        return np.array([float(v) for v in text.replace(",", " ").split()])
    except ValueError as err:
        raise GeometryError(f"the pasted latent code is not a list of numbers ({err})") from None


def resolve_code(state: AppState, gen: str, space: str, seed, index, code: str) -> tuple:
    """The generator and the current code (latent_dim,): the pasted/uploaded ``code`` if any, else
    sample ``index`` of seed ``seed``, exactly the gallery's tile ``index``."""
    G = state.generator(gen, space)
    if code and str(code).strip():
        return G, G.check_latent(parse_code(str(code)))
    index = checks.whole(index, "sample index", 0, state.settings.gallery - 1)
    return G, G.sample(index + 1, seed=checks.seed(seed))[index]


def metric_for(state: AppState, gen, space, seed, index, code, dist, method="exact", k=None) -> MetricResult:
    """The metric at the current code, cached per (generator, space, distance, method, k, z)."""
    _, z = resolve_code(state, gen, space, seed, index, code)
    k = checks.whole(k, "k", 1) if method in ITERATIVE else None
    return state.metric(gen, space, dist, method, k, tuple(z.double().tolist()))


def view(state: AppState, image: np.ndarray, sample_rate: int | None = None) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H', W', 3) uint8, upscaled to at least ``view_side`` pixels; a
    sound with its ``sample_rate`` as its spectrogram with time and frequency axes."""
    if sample_rate:
        return labelled_spectrogram(image, sample_rate)
    tile = upscale_image(image, state.settings.view_side).transpose(1, 2, 0)
    return np.repeat(tile, 3, axis=2) if tile.shape[2] == 1 else tile


def code_caption(G, seed, index, code: str, origin: str) -> str:
    pasted = bool(code and str(code).strip())
    return say.code_caption(G.name, G.space, G.latent_dim, seed, index, origin if pasted else None)


# ---- choosing the generator and the code ------------------------------------------------------
def weights_availability(f) -> str:
    """"ready" (here), "downloads on first use" (its host answers now) or "needs weights"."""
    from gan_geometry.io.weights import can_download, is_available_locally

    if f is None or is_available_locally(f):
        return "ready"
    return "downloads on first use" if can_download(f) else "needs weights"


def availability(state: AppState, name: str) -> str:
    """Whether generator ``name`` runs in this app here: "ready" (weights here or built in),
    "downloads on first use" (and the download's host answers now), "needs weights" (install a
    file), or "too large for this app". Read anew each time, so weights installed while the app
    runs are seen."""
    entry = REGISTRY[name]
    if entry.sample_rate is None and entry.resolution > state.settings.limits["resolution"]:
        return "too large for this app"
    return weights_availability(entry.weights)


def generator_choices(state: AppState) -> list[tuple[str, str]]:
    """(label, name) for the generator menu: each name with whether it runs here."""
    return [(name if (status := availability(state, name)) == "ready" else f"{name} ({status})", name)
            for name in REGISTRY]


# ---- choosing the code ------------------------------------------------------------------------
def sample(state: AppState, gen: str, space: str, seed) -> tuple[list, int, str]:
    """The gallery: samples 0..gallery-1 of ``seed`` as (image, caption); choosing resets to
    sample 0 with no pasted code."""
    G = state.generator(gen, space)
    with torch.no_grad():
        images = G(G.sample(state.settings.gallery, seed=checks.seed(seed))).cpu().numpy()
    return [(view(state, x), f"sample {i}") for i, x in enumerate(images)], 0, ""


def installable() -> list[str]:
    """The registered generators whose weights a user can install (a downloadable file, weights_path=)."""
    from gan_geometry.io.weights import RemoteFile

    return [name for name, entry in REGISTRY.items()
            if isinstance(entry.weights, RemoteFile) and "weights_path" in entry.options]


def install_from_hub(gen: str, address: str) -> str:
    """Install the weights at a Hub address (``hf://OWNER/REPO/PATH[@REVISION]``) for ``gen``, as
    ``gan-geometry install-weights`` does (checked: family, resolution, published digest); only Hub
    addresses, never a path on the server. Returns what was installed."""
    from gan_geometry.io.hub import is_hub
    from gan_geometry.user_weights import install_weights

    address = str(address or "").strip()
    if gen not in installable():
        raise GeometryError(f"choose the generator to install weights for (one of {', '.join(installable())})")
    if not is_hub(address):
        raise GeometryError("give a Hub address: hf://OWNER/REPO/PATH or hf://OWNER/REPO/PATH@REVISION")
    report, target = install_weights(gen, address)  # a different file already installed is refused
    return (f"Installed {address} for **{gen}** ({report.family}, SHA-256 {report.sha256[:12]}…) at {target}; "
            f"it runs here now.")


def choose_generator(state: AppState, gen: str, seed) -> tuple[list[str], list, int, str]:
    """A new generator: its spaces (the first is chosen) and its gallery."""
    spaces = list(entry_of(gen).spaces)
    return (spaces, *sample(state, gen, spaces[0], seed))


def random_seed() -> int:
    return int(np.random.default_rng().integers(0, 100_000))


def upload_code(state: AppState, path: str, gen: str, space: str) -> tuple[str, str]:
    """A latent code from an uploaded .npy (``io.codes.read_code``) as pasted text."""
    from gan_geometry.io.codes import read_code

    z = state.generator(gen, space).check_latent(read_code(path))
    return fmt.code(z.tolist()), "uploaded code"


def show_code(state: AppState, gen, space, seed, index, code, origin) -> tuple[np.ndarray, str, tuple | None]:
    """The current image (a sound's spectrogram), the caption saying which code it is, and the
    sound to play (None for an image generator)."""
    G, z = resolve_code(state, gen, space, seed, index, code)
    with torch.no_grad():
        x = G(z[None])[0].cpu().numpy()
    return view(state, x, G.sample_rate), code_caption(G, seed, index, code, origin), playable(G, x)


def playable(G, x: np.ndarray) -> tuple[int, np.ndarray] | None:
    """(sample rate, 16-bit samples) of a sound generator's output (C, 1, T), as the audio players
    take it; None for images."""
    return (G.sample_rate, pcm16(x)) if G.sample_rate else None


def row_players(G, traversal) -> str:
    """One audio player per montage row (its sounds in order), as HTML with the WAVs inline, the
    same WAVs the report embeds; "" for images."""
    import base64
    import html

    return "".join(f'<p class="row-sound">{html.escape(sound["caption"])}<br><audio controls preload="auto" '
                   f'src="data:audio/wav;base64,{base64.b64encode(sound["wav"]).decode()}"></audio></p>'
                   for sound in montage_sounds(G, traversal))


def distance_choices(gen: str, current: str) -> tuple[list[tuple[str, str]], str]:
    """(label, name) of the distances that apply to ``gen``'s output, each saying whether its
    weights are here ("(needs weights)", "(downloads on first use)"), and the one to select
    (``current`` where it applies, else the default: stft for sound, lpips-alex for images)."""
    from gan_geometry.core.distances import weights_of

    names = list(distances_for(REGISTRY[gen].sample_rate))
    default = "stft" if REGISTRY[gen].sample_rate else "lpips-alex"
    labels = [(name if (status := weights_availability(weights_of(name))) == "ready" else f"{name} ({status})", name)
              for name in names]
    return labels, current if current in names else default


# ---- compute metric ---------------------------------------------------------------------------
def compute(state: AppState, gen, space, seed, index, code, dist, method, k):
    """(spectrum figure, summary, eigenvalue table, path of the zipped result)."""
    start = time.perf_counter()
    m = metric_for(state, gen, space, seed, index, code, dist, method, k)
    waited = time.perf_counter() - start
    startup = m.provenance["seconds"] if state.computed_at_start(m) else 0.0
    summary = say.metric_summary(m, waited, startup)
    folder = state.download_folder("metric-")
    m.save(folder / "metric")
    archive = shutil.make_archive(str(folder / "metric"), "zip", folder / "metric")
    plot = figures.spectrum_figure(st.spectrum_summary(m.eigvals[None, : m.n_computed]), "Spectrum at this code")
    return plot, summary, tables.eigenvalue_table(m.eigvals, m.n_computed), archive


# ---- traverse axes ---------------------------------------------------------------------------
def parse_labels(text: str) -> dict[int, str]:
    """Axis labels "rank=text, rank=text" (ranks from 1) -> {rank: text}."""
    labels = {}
    for part in filter(None, (p.strip() for p in str(text or "").split(","))):
        rank, sep, label = part.partition("=")
        if not sep or not rank.strip().isdigit() or int(rank) < 1:
            raise GeometryError(f"axis labels are rank=text pairs separated by commas, ranks from 1, e.g. "
                                f"1=pose, 2=light; got '{part}'")
        labels[int(rank)] = label.strip()
    return labels


def kept_labels(state: AppState, gen: str, space: str, dist: str) -> str:
    """The axis labels kept for this generator, space and distance (e.g. by ``traverse
    --keep-labels``), as the labels box shows them: "1=pose, 2=light"."""
    from gan_geometry.io.storage import axis_labels_key, load_axis_labels

    G = state.generator(gen, space)
    kept = load_axis_labels(state.settings.results, axis_labels_key(gen, G.space, dist))
    return ", ".join(f"{rank}={text}" for rank, text in sorted(kept.items()))


def slider_labels(state: AppState, gen, space, seed, index, code, dist, labels_text) -> list[str]:
    """The explorer's slider labels at the current code: "rank r · λ value · label"."""
    m = metric_for(state, gen, space, seed, index, code, dist)
    labels = parse_labels(labels_text)
    return [fmt.axis_label(r, m.eigvals[r - 1], labels.get(r, ""))
            for r in range(1, min(state.settings.explore_axes, m.n_computed) + 1)]


# ---- traverse axes ----------------------------------------------------------------------------
def parse_ranks(state: AppState, text: str, n: int) -> list[int]:
    try:
        ranks = [int(r) for r in str(text).replace(",", " ").split()]
    except ValueError:
        raise GeometryError(f"ranks are whole numbers separated by commas, e.g. 1, 2, 3, 6; got '{text}'") from None
    if not ranks:
        raise GeometryError("give at least one eigen-rank")
    cap(state, "ranks", len(ranks))
    return check_ranks(ranks, n)


def steps_for(state: AppState, max_step, n_steps) -> np.ndarray:
    n_steps = checks.whole(n_steps, "steps", 2, state.settings.limits["steps"])
    return np.linspace(-1, 1, n_steps) * checks.number(max_step, "largest step", positive=True)


def montage(state: AppState, gen, space, seed, index, code, dist, ranks_text, max_step, n_steps, mode, scaled,
            labels_text=""):
    """(montage image, distance-curve figure, a player per row for a sound generator: HTML, "" for
    images) along the chosen eigen-ranks (1 = top)."""
    G = state.generator(gen, space)
    m = metric_for(state, gen, space, seed, index, code, dist)
    ranks, steps = parse_ranks(state, ranks_text, m.n_computed), steps_for(state, max_step, n_steps)
    traversal = eigen_traversal(G, m.z, m.eigvals, m.eigvecs, ranks, steps, mode, bool(scaled),
                                parse_labels(labels_text))
    curves = distance_curves(G, state.distance(dist), m.z, m.eigvals, m.eigvecs, ranks, curve_steps(float(steps[-1])),
                             mode, bool(scaled))
    return traversal.grid(), figures.distance_curves_figure(curves, dist), row_players(G, traversal)


def exploration(state: AppState, gen, space, seed, index, code, dist, scaled, k, values):
    G = state.generator(gen, space)
    m = metric_for(state, gen, space, seed, index, code, dist)
    k = checks.whole(k, "number of axes", 1, min(state.settings.explore_axes, m.n_computed))
    coefficients = np.array([checks.number(v, f"axis {i + 1}") for i, v in enumerate(values[:k])])
    x0 = state.image(gen, space, tuple(m.z.tolist()))
    return explore(G, state.distance(dist), m.z, m.eigvals, m.eigvecs, coefficients, bool(scaled), x0), m


def explore_axes(state: AppState, gen, space, seed, index, code, dist, scaled, k, *values):
    """The image after moving along the top-k eigen-axes by the slider values, with the measured
    distance and the quadratic prediction, and the edited sound (None for images)."""
    point, m = exploration(state, gen, space, seed, index, code, dist, scaled, k, values)
    moves = [checks.number(v, f"axis {i + 1}") for i, v in enumerate(values[:int(k)])]
    readout = say.explore_readout(point, dist, bool(scaled), moves)
    G = state.generator(gen, space)
    return view(state, point.image, G.sample_rate), readout, playable(G, point.image)


def download_code(state: AppState, gen, space, seed, index, code, dist, scaled, k, *values) -> str:
    point, _ = exploration(state, gen, space, seed, index, code, dist, scaled, k, values)
    path = state.download_folder("code-") / "edited-code.npy"
    np.save(path, point.z)
    return str(path)


def references(state: AppState, gen, space, seed, index, code, dist, rank, n_refs, max_step, n_steps, mode):
    G = state.generator(gen, space)
    n_refs = checks.whole(n_refs, "references", 1, state.settings.limits["references"])
    m = metric_for(state, gen, space, seed, index, code, dist)
    rank = parse_ranks(state, str(checks.whole(rank, "rank", 1)), m.n_computed)[0]
    refs = G.sample(n_refs, seed=checks.seed(seed) + 1).double().numpy()
    return apply_to_references(G, refs, m.eigvecs[:, rank - 1], steps_for(state, max_step, n_steps), mode).grid()


def families(state: AppState, gen, space, seed, index, code, dist, family, upload, k, max_step, n_steps):
    """(axes | purified montage, projection figure, summary) for SeFa / PCA / uploaded axes."""
    G = state.generator(gen, space)
    m = metric_for(state, gen, space, seed, index, code, dist)
    k = checks.whole(k, "k", 1, state.settings.limits["ranks"])
    axes = axes_for_family(G, family, k, file=upload, n_samples=500, seed=checks.seed(seed))
    k = min(k, axes.vectors.shape[1])
    result = compare_axes(axes, m.eigvals, m.eigvecs, k=k)
    grid = axes_and_purified_montage(G, m.z, axes, result.purified, steps_for(state, max_step, n_steps))
    summary = say.axis_summary(result, family, k) + f" Montage: axes (left) | purified top-{k} (right)."
    return grid, figures.axis_projection_figure(result, family), summary


def slice_at(state: AppState, gen, space, seed, index, code, dist, extent, size):
    """Michelis et al. Fig. 1 at the current code: the metric over the plane of its top two
    eigenvectors, ``size`` x ``size`` points within ``extent`` (figure, sentence)."""
    from gan_geometry.analysis.slices import slice_maps

    G = state.generator(gen, space)
    m = metric_for(state, gen, space, seed, index, code, dist)
    size = checks.whole(size, "grid points per side", 3, state.settings.limits["slice"])
    extent = checks.number(extent, "extent", positive=True, maximum=10)
    maps = slice_maps(G, state.distance(dist), m.z, m.eigvecs[:, :2], extent, size, ("rank 1", "rank 2"))
    return figures.slice_maps_figure(maps), say.slice_sentence(maps)


def compare_interpolation(state: AppState, gen, space, versus, dist, pairs, seed, progress: Progress = None):
    """Michelis et al. Appendix D: the same output pairs of the current generator in ``versus`` too
    (found there by inversion), their relative improvements side by side (figure, table, sentence)."""
    from gan_geometry.applications import michelis

    pairs = checks.whole(pairs, "pairs", 1, state.settings.limits["pairs"])
    A, B = state.generator(gen, space), state.generator(versus, "")
    result = michelis.compare_models(A, B, state.distance(dist), pairs=pairs, seed=checks.seed(seed), steps=40,
                                     segments=16, inversion_steps=100, progress=progress)
    return (figures.model_comparison_figure(result.names, result.a.improvements, result.b.improvements,
                                            result.comparable.tolist()),
            tables.comparison_table(result.names, result.a.improvements, result.b.improvements, result.fit,
                                    result.threshold),
            say.comparison_sentence(result.names, result.a.summary(), result.b.summary(), result.comparable.tolist(),
                                    pairs, result.threshold))


# ---- sweeps, by name --------------------------------------------------------------------------
def sweeps_available(state: AppState) -> list[str]:
    """Names of the completed sweeps in the app's results folder, newest first."""
    return list_sweeps(state.settings.results)


def add_sweep(state: AppState, gen, space, dist, n, seed, progress: Progress = None) -> tuple[list[str], str]:
    """Run a sweep into the results folder; returns every sweep name and the new one's (the page
    adds it to the sweeps already selected)."""
    n = checks.whole(n, "positions", 2, state.settings.limits["positions"])
    seed = checks.seed(seed)
    G = state.generator(gen, space)
    name = f"{gen}-{G.space}-{dist}-n{n}-seed{seed}"
    run_sweep(state.settings.results / name, G, state.distance(dist), n=n, seed=seed, progress=progress,
              generator_options={})  # the app's generators are default builds: workers rebuild them
    prune_sweeps(state.settings.results, state.settings.max_sweeps)
    return sweeps_available(state), name


def compare_spectra(state: AppState, selected: list[str] | str):
    """(spectra overlay, Table 2, Table 4, and the first sweep's heatmap, histograms, isotropy)."""
    if not selected:
        raise GeometryError("select at least one sweep (run one with 'Run sweep')")
    if isinstance(selected, str):
        selected = [selected]
    rows = tables.model_rows({name: load_sweep(sweep_folder(state.settings.results, name)) for name in selected})
    first = rows[0].summary  # the figures below the table show the first sweep
    return (figures.spectra_overlay_figure({r.label: r.summary.spectrum for r in rows}), tables.model_table(rows),
            tables.homogeneity_table(rows),
            figures.consistency_heatmap(first.consistency), figures.consistency_histograms(first.consistency),
            figures.isotropy_figure(first.isotropy))


def mechanism(state: AppState, gen, space, seed, index, code, dist):
    """Layer metrics, amplification and the weight-shuffled control at the current code; layers
    named by block, type and output size."""
    from gan_geometry.analysis.layers import layers_at, list_layers, summarise_layers

    G, z = resolve_code(state, gen, space, seed, index, code)
    s = summarise_layers(layers_at(G, state.distance(dist), z))
    return (figures.layer_spectra_figure(s), figures.amplification_figure(s),
            tables.layer_table(s, tables.readable_layer_names(list_layers(G))))


def make_report(state: AppState, selected: list[str] | str, progress: Progress = None) -> list[str]:
    """PDF and HTML report of the selected sweeps (the first in full, the others compared with it
    in a "Models compared" section), in a fresh download folder."""
    if isinstance(selected, str):
        selected = [selected] if selected else []
    if not selected:
        raise GeometryError("choose the sweeps to report on (run one in the Compare tab)")
    folders = [sweep_folder(state.settings.results, name) for name in selected]
    folder = state.download_folder("report-")
    stem = selected[0] + (f"-and-{len(selected) - 1}-more" if len(selected) > 1 else "")
    build_report(folders[0], html=folder / f"{stem}.html", pdf=folder / f"{stem}.pdf", models=folders[1:],
                 progress=progress)
    return [str(folder / f"{stem}.pdf"), str(folder / f"{stem}.html")]
