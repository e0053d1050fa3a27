"""``gan-geometry reproduce``: every table and figure of Wang & Ponce (2021) that the models here can
give, rebuilt and set beside the paper's published numbers (``gan_geometry.paper``), as HTML and PDF.

What is measured, and how it is read:

- **Models.** Each of the paper's models whose weights are on this machine is measured under the
  paper's protocol (``protocol="paper"``). The others are rows that say how to install their
  weights and run again. Models the paper did not study (dcgan-face64, the offline default; the
  eye and the VAE generators) are labelled "not the paper's model"; random-weight rows are labelled
  "random weights" and check the pipeline only.
- **Readings where the paper is ambiguous** are stated in the report's first section: Table 2 by
  the authors' script; LPIPS with SqueezeNet where its weights are here, else AlexNet as a named
  substitute; BigGAN-deep not resized (its official wrapper does not); the WaveGAN's "STFT" under
  every spectrogram reading (``bench.audio`` prints the same comparison).
- **Resumable.** Sweeps are resumable folders under ``--out``, and every other result is kept there
  as JSON once computed (``Step``): a rerun computes only what is missing. ``--quick`` measures
  fewer positions (a first look in minutes); the full run measures the paper's scale where this
  machine allows.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan_geometry import paper
from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.sweeps import Sweep, run_sweep
from gan_geometry.core.distances import PAPER_LPIPS, load_distance
from gan_geometry.errors import GeometryError, WeightsUnavailableError
from gan_geometry.io.storage import claim_folder, load_json, save_json
from gan_geometry.presentation import figures, sentences, tables
from gan_geometry.presentation import reproduction as rp
from gan_geometry.progress import Progress, part, report
from gan_geometry.registry import REGISTRY, load_generator
from gan_geometry.reports.document import Figure, ReportData, Section
from gan_geometry.version import package_versions


@dataclass(frozen=True)
class Scale:
    """How much each experiment computes."""

    positions: int  # per model and distance
    sound_positions: int
    layer_positions: int
    timing_codes: int
    curve_pairs: int
    curve_steps: int
    inversion: tuple[int, int, int]  # targets, starts, Adam steps
    slice_size: int


QUICK = Scale(positions=6, sound_positions=4, layer_positions=2, timing_codes=1, curve_pairs=2, curve_steps=20,
              inversion=(1, 2, 40), slice_size=5)
FULL = Scale(positions=30, sound_positions=30, layer_positions=10, timing_codes=3, curve_pairs=20, curve_steps=80,
             inversion=(4, 4, 200), slice_size=11)
OURS = (("dcgan-face64", "noise"), ("omniart-eyes128", "noise"), ("vae-olivetti64", "z"))  # offline, not the paper's
RANDOM = (("dcgan-fashion64", "noise"),)  # the paper's architecture at full size, random weights


def lpips_name() -> str:
    """The paper's LPIPS (SqueezeNet) where its weights are here, else AlexNet (a substitute, said so)."""
    from gan_geometry.io.weights import LPIPS_SQUEEZE_BACKBONE, is_available_locally

    return PAPER_LPIPS if is_available_locally(LPIPS_SQUEEZE_BACKBONE) else "lpips-alex"


class Step:
    """A result kept in ``folder/name.json`` once computed: a rerun reads it back."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __call__(self, name: str, compute) -> dict:
        path = self.folder / f"{name}.json"  # save_json makes the folder
        if path.is_file():
            return load_json(path)
        result = compute()
        save_json(path, result)
        return result


@dataclass
class Reproduction:
    """Everything measured: the rows of the paper's tables and what the sections show."""

    lpips: str
    measured: list[rp.Measured]
    sweeps: dict[str, Sweep]
    timings: list[rp.Timing]
    comparisons: dict[str, st.DistanceComparison]
    sound: tuple[dict, dict]
    layers: object  # layers.LayerSummary of dcgan-face64
    inversion: list[tuple[str, float, float]]  # paper Table 5 format: basis, mean, SEM of the best distance
    curves: dict  # Michelis et al.'s Monte Carlo summary
    slice: object  # slices.SliceMaps at the first position


def generator_or_reason(name: str, space: str, random: bool = False):
    """(generator, "") built under the paper's protocol, or (None, how to get its weights)."""
    options = {"full_size_random": True} if random else {}
    try:
        return load_generator(name, space=space, protocol="paper", **options), ""
    except (WeightsUnavailableError, GeometryError) as err:
        how = f"gan-geometry install-weights {name} FILE" if "weights_path" in REGISTRY[name].options else str(err)
        return None, f"weights not on this machine: {how}, then gan-geometry reproduce again"


def sweep_model(out: Path, G, distance: str, N: int, options: dict, progress: Progress | None) -> Sweep:
    name = f"{G.name}-{G.space}-{distance}"
    return run_sweep(out / "sweeps" / name, G, load_distance(distance), n=N, seed=0, progress=progress,
                     generator_options={**options, "protocol": "paper"})


def measure_models(out: Path, scale: Scale, lpips: str, progress: Progress | None) -> tuple[list, dict]:
    """Table 2 and 4 rows: the paper's models (where here), ours, random weights."""
    measured, sweeps = [], {}
    plan = [(m.table2, m.generator, m.space, "trained weights", False) for m in paper.PAPER_MODELS]
    plan += [(None, name, space, "not the paper's model", False) for name, space in OURS]
    plan += [(paper_row, name, space, "random weights", True) for (name, space), paper_row in
             zip(RANDOM, ("DCGAN-fashion",), strict=True)]
    for index, (paper_row, name, space, kind, random) in enumerate(plan):
        G, missing = generator_or_reason(name, space, random)
        label = f"{name} {space}"
        if G is None:
            measured.append(rp.Measured(paper_row, label, kind, missing=missing))
            continue
        sweep = sweep_model(out, G, lpips, scale.positions, {"full_size_random": True} if random else {},
                            part(progress, index / len(plan), (index + 1) / len(plan)))
        sweeps[label] = sweep
        measured.append(rp.Measured(paper_row, label, kind, sweep.n_positions, sweep.summary(n_boot=200)))
    return measured, sweeps


def time_methods(G, D, codes: np.ndarray, paper_row: str | None) -> rp.Timing:
    """Median seconds per method over ``codes``; the iterative methods ask for half the dimension."""
    from gan_geometry import metric_tensor

    k = G.latent_dim // 2
    seconds = {}
    for method in ("exact", "bp", "lanczos-backward", "lanczos-forward"):
        spent = []
        for z in codes:
            start = time.perf_counter()
            metric_tensor(G, D, z, method=method, k=k if method.startswith("lanczos") else None, compiled=False)
            spent.append(time.perf_counter() - start)
        seconds[method] = float(np.median(spent))
    return rp.Timing(f"{G.name} {G.space}", G.latent_dim, seconds, paper_row)


def sound_findings(out: Path, scale: Scale, progress: Progress | None) -> tuple[dict, dict]:
    """The WaveGAN rows: per spectrogram reading, its metric's correlation with the waveform MSE's
    and its Table 2 counts (``bench.audio`` prints the same)."""
    G = load_generator("wavegan-notes")
    readings = ("mse", "stft", "stft-power", "stft-db", "logmel")
    sweeps = {r: run_sweep(out / "sweeps" / f"wavegan-notes-{r}", G, load_distance(r), n=scale.sound_positions,
                           seed=0, generator_options={}, progress=part(progress, i / 5, (i + 1) / 5))
              for i, r in enumerate(readings)}
    correlations = {}
    for r in readings[1:]:
        c = st.compare_distances(*((sweeps[d].eigvals, sweeps[d].eigvecs, sweeps[d].H) for d in ("mse", r)))
        correlations[r] = (float(np.nanmean(c.entry_corr)), float(np.nanstd(c.entry_corr)))
    counts = {r: sweeps[r].summary(n_boot=10).anisotropy.paper for r in readings}
    return correlations, counts


def measure(out: Path, quick: bool, progress: Progress | None = None) -> Reproduction:
    """Compute (or read back) everything the report shows."""
    scale = QUICK if quick else FULL
    lpips = lpips_name()
    report(progress, 0.0, "the paper's models and ours")
    measured, sweeps = measure_models(out, scale, lpips, part(progress, 0.0, 0.5))
    face = load_generator("dcgan-face64", protocol="paper")
    step = Step(out / "results")
    codes = face.sample(scale.timing_codes, seed=0)
    report(progress, 0.5, "Table 1 timings")
    timed = step("timing", lambda: vars(time_methods(face, load_distance("mse"), codes, "DCGAN")))
    timings = [rp.Timing(**timed)]
    report(progress, 0.6, "Table 3: distances compared")
    base = sweeps["dcgan-face64 noise"]
    comparisons = {}
    for distance in ("mse", "ssim"):
        other = sweep_model(out, face, distance, scale.positions, {}, None)
        comparisons[distance] = st.compare_distances((base.eigvals, base.eigvecs, base.H),
                                                     (other.eigvals, other.eigvecs, other.H))
    report(progress, 0.7, "WaveGAN")
    sound = sound_findings(out, scale, part(progress, 0.7, 0.8))
    report(progress, 0.8, "§5: layers")
    from gan_geometry.analysis.layers import run_layer_sweep, summarise_layers

    layers = summarise_layers(run_layer_sweep(out / "layers", face, load_distance(lpips), scale.layer_positions,
                                              generator_options={"protocol": "paper"}))
    report(progress, 0.85, "§6: inversion, shorter curves, a slice")
    inversion = step("inversion", lambda: {"rows": invert_face(face, lpips, base, scale)})["rows"]
    curves = step("curves", lambda: shorter_curves(face, scale))
    from gan_geometry.analysis.slices import slice_maps

    avg = base.summary(n_boot=10).average
    plane = slice_maps(face, load_distance("mse"), base.positions[0], avg.eigvecs[:, :2], size=scale.slice_size,
                       labels=("average rank 1", "average rank 2"))
    return Reproduction(lpips, measured, sweeps, timings, comparisons, sound, layers, inversion, curves, plane)


def invert_face(face, lpips: str, sweep: Sweep, scale: Scale) -> list:
    """Paper Table 5 format: Adam inversion of generated targets in plain coordinates and in the
    average metric's eigenbasis, best distance over starts (mean, SEM over targets and starts)."""
    from gan_geometry.applications.inversion import Coordinates, best_distance_table, invert

    targets, starts, steps = scale.inversion
    avg = sweep.summary(n_boot=10).average
    D = load_distance(lpips)
    with torch.no_grad():
        images = face(face.sample(targets, seed=900))
    begin = face.sample(starts, seed=901).double().numpy()
    runs = []
    for basis in ("plain", "eigen"):
        coordinates = Coordinates.build(basis, face.latent_dim, avg.eigvals, avg.eigvecs)
        found = [invert(face, D, image[None], begin, coordinates, steps=steps) for image in images]
        runs.append(type(found[0])(basis, np.concatenate([r.distances for r in found]),
                                   np.concatenate([r.final_z for r in found]),
                                   np.concatenate([r.final_images for r in found])))
    return [list(row) for row in best_distance_table(runs)]


def shorter_curves(face, scale: Scale) -> dict:
    """Michelis et al.'s Monte Carlo relative improvement on dcgan-face64 with MSE."""
    from gan_geometry.applications import michelis

    result = michelis.monte_carlo(face, load_distance("mse"), pairs=scale.curve_pairs, step=michelis.STEPS[0],
                                  steps=scale.curve_steps, segments=16)
    return {**result.summary(), "improvements": result.improvements.tolist()}


def readings_section(lpips: str, quick: bool, scale: Scale) -> Section:
    substitute = "" if lpips == PAPER_LPIPS else (f" SqueezeNet's weights are not on this machine, so {lpips} "
                                                  f"substitutes it in every LPIPS row.")
    return Section("readings", "How the paper is read here", paragraphs=[
        f"Run: {'quick (a first look)' if quick else 'full'}: {scale.positions} positions per model, "
        f"{scale.sound_positions} for the WaveGAN, seed 0.",
        "Table 2 is computed by the paper's definition, as its authors' script (Hessian/Figure2_spectra_synopsis.py, "
        "cutoff_tab) does it: the eigenvalues averaged over positions, their absolute values sorted in descending "
        "order, the count of ranks whose cumulative share is below each fraction. The per-position count, mean over "
        "positions, is shown beside it.",
        f"The paper's LPIPS is SqueezeNet's ({PAPER_LPIPS}, as in its demo and README).{substitute}",
        "The paper's protocol (its GAN_utils wrappers): images clamp((x + 1) / 2, 0, 1); BigBiGAN and StyleGAN2 "
        "resized to 256 px (bilinear, align_corners=True); BigGAN-deep not resized, truncation 0.7; StyleGAN 1 z "
        "with the mean style at 0.7.",
        "The WaveGAN's \"MSE of spectrograms (STFT)\" does not state the transform: every reading is measured (linear "
        "magnitude, power, decibels, log-mel) and which comes closest is said; its weights were never published, so "
        "wavegan-notes (trained here on synthesised notes) stands in.",
    ])


def sections(result: Reproduction, quick: bool, scale: Scale) -> list[Section]:
    trained = [m for m in result.measured if m.summary is not None]
    overlay = {m.label: m.summary.spectrum for m in trained}
    face = result.sweeps["dcgan-face64 noise"].summary(n_boot=100)
    return [
        readings_section(result.lpips, quick, scale),
        Section("table1", "Table 1: computational cost", tables=[rp.table1(result.timings)]),
        Section("table2", "Table 2: anisotropy", [Figure(figures.spectra_overlay_figure(overlay),
                "Mean spectra normalised by their top eigenvalue, with the 5-95 % band (paper Fig. 2A).")],
                tables=[rp.table2(result.measured)]),
        Section("table4", "Table 4: homogeneity", [Figure(figures.consistency_heatmap(face.consistency),
                "C^H between every pair of positions of dcgan-face64 (paper Fig. 3C).")],
                tables=[rp.table4(result.measured)]),
        Section("table3", "Table 3: the choice of distance", tables=[rp.table3(result.comparisons, "dcgan-face64")]),
        Section("isotropy", "The illusion of isotropy (paper Fig. 2D)", [Figure(figures.isotropy_figure(face.isotropy),
                "Speeds of eigenvectors against random directions at the positions of dcgan-face64.")]),
        Section("layers", "§5: where the geometry comes from", [
            Figure(figures.layer_spectra_figure(result.layers), "Normalised spectra of each layer's metric and of the "
                   "image metric, original and weight-shuffled (paper Fig. 4A, Fig. 7)."),
            Figure(figures.amplification_figure(result.layers), "Speeds of the first layer's eigenvectors under later "
                   "layers (paper Fig. 4B, C).")], tables=[tables.layer_table(result.layers)]),
        Section("applications", "§6: using the geometry", [
            Figure(figures.improvement_figure(np.asarray(result.curves["improvements"])),
                   "Michelis et al.'s experiment on dcgan-face64 (MSE): each start's end one step along its top "
                   "eigenvector, towards the origin."),
            Figure(figures.slice_maps_figure(result.slice), sentences.slice_sentence(result.slice))],
            tables=[tables.inversion_table([tuple(row) for row in result.inversion])],
            text=sentences.interpolation_sentence(result.curves, scale.curve_pairs)
            + " The paper's Table 5 (BigGAN and StyleGAN2 targets) is not readable in its copy; its finding, that the "
              "eigenbasis helps Adam, is tested here on dcgan-face64 (rows above)."),
        Section("wavegan", "WaveGAN: the geometry of sound", tables=[rp.sound_table(*result.sound)]),
    ]


def reproduce(out: str | Path, quick: bool = False, html: bool = True, pdf: bool = True,
              progress: Progress | None = None) -> ReportData:
    """Measure (or read back) everything and write ``out/reproduce.html`` and ``.pdf``."""
    from gan_geometry.reports.builder import write_report

    out = claim_folder(out, "reproduce.json", {"quick": quick})
    if not (out / "reproduce.json").exists():
        save_json(out / "reproduce.json", {"quick": quick})
    scale = QUICK if quick else FULL
    result = measure(out, quick, part(progress, 0.0, 0.8))
    provenance = tables.facts("Provenance", [
        ("run", "quick" if quick else "full"), ("LPIPS", result.lpips),
        ("torch threads", str(torch.get_num_threads())),
        ("versions", ", ".join(f"{k} {v}" for k, v in package_versions().items())),
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"))])
    data = ReportData("Wang & Ponce (2021), reproduced where this machine can", provenance,
                      headline(result), sections(result, quick, scale),
                      intro="Every table and figure of Wang & Ponce (2021), A Geometric Analysis of Deep Generative "
                            "Image Models and Its Applications, that the models on this machine can give, beside the "
                            "paper's published numbers. Rows the machine cannot measure say how to; random weights "
                            "and models the paper did not study are labelled.")
    write_report(data, out / "reproduce.html" if html else None, out / "reproduce.pdf" if pdf else None,
                 part(progress, 0.8, 1.0))
    return data


def headline(result: Reproduction) -> tables.Table:
    """The title page: the paper's headline numbers beside ours, for the models measured."""
    return rp.table2([m for m in result.measured if m.summary is not None][:4])
