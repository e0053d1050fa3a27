"""What the geometry buys (paper §6; Michelis et al. 2021): inversion, search, interpolation and
two-model comparison results saved under ``applications/``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan_geometry.io.storage import load_runs
from gan_geometry.presentation import figures, sentences, tables
from gan_geometry.presentation import formats as fmt
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section, image_rows


def inversion(path: Path) -> Section:
    meta, arrays = load_runs(path, "inversion")
    bases = [key.removesuffix("_distances") for key in arrays if key.endswith("_distances")]
    s = meta["settings"]
    section = Section("inversion", "Inversion: plain against eigenbasis Adam",
                      [Figure(figures.inversion_figure({b: arrays[f"{b}_distances"] for b in bases}),
                              f"{s['starts']} random starts, {s['steps']} Adam steps, learning rate {s['lr']}, "
                              f"distance {s['distance']}.")],
                      tables=[tables.inversion_table([tuple(row) for row in meta["summary"]["best_distances"]])])
    rows = {"target": np.repeat(arrays["target"][None], arrays[f"{bases[0]}_final_images"].shape[0], 0)}
    rows |= {b: arrays[f"{b}_final_images"] for b in bases}
    section.images.append({"caption": "Target and the final image of each start, per basis", "png": image_rows(rows)})
    return section


def search(path: Path) -> Section:
    meta, arrays = load_runs(path, "search")
    labels = [key.removesuffix("_best") for key in arrays if key.endswith("_best")]
    runs = {k: (arrays[f"{k}_evaluations"], arrays[f"{k}_best"]) for k in labels}
    return Section("search", "Gradient-free search: CMA-ES",
                   [Figure(figures.search_figure(runs),
                           f"Budget {meta['settings']['budget']} evaluations, initial step size "
                           f"{meta['settings']['sigma0']}.")],
                   tables=[tables.search_table(meta["summary"]["final_best"])])


def interpolation(path: Path) -> Section:
    meta, arrays = load_runs(path, "interpolation")
    summary, s = meta["summary"], meta["settings"]
    section = Section("interpolation", "Interpolation: shorter curves than straight lines",
                      [Figure(figures.improvement_figure(arrays["improvements"]),
                              f"{s['pairs']} pairs: each start sampled, its end one step of {fmt.step(s['step'])[1:]} "
                              f"along the start's top eigenvector, towards the origin (Michelis et al., "
                              f"Algorithm 1).")],
                      text=sentences.interpolation_sentence(summary, s["pairs"]))
    section.images.append({"caption": "Straight line (top) and optimised curve (bottom) of the first pair; the curve "
                                      f"is {fmt.percent(summary['example_improvement'])} shorter",
                           "png": image_rows({"line": arrays["line_images"], "curve": arrays["curve_images"]})})
    return section


def comparison(path: Path) -> Section:
    meta, arrays = load_runs(path, "two-models")
    summary, s = meta["summary"], meta["settings"]
    names = (s["generator"], s["versus"])
    return Section("model-comparison", "Interpolation in two models",
                   [Figure(figures.model_comparison_figure(names, arrays["a"], arrays["b"], summary["comparable"]),
                           f"The same {s['pairs']} pairs of outputs of {names[0]}, found in {names[1]}'s latent space "
                           f"by inversion; their relative improvements in each model (Michelis et al., Appendix D).")],
                   tables=[tables.comparison_table(names, arrays["a"], arrays["b"], arrays["fit"], s["threshold"])],
                   text=sentences.comparison_sentence(names, summary["a"], summary["b"], summary["comparable"],
                                                      s["pairs"], s["threshold"]))


KINDS = {"inversion.json": inversion, "search.json": search, "interpolation.json": interpolation,
         "two-models.json": comparison}


def build(context: ReportContext) -> list[Section]:
    return [make(path) for path in sorted((context.directory / "applications").glob("*"))
            for marker, make in KINDS.items() if (path / marker).exists()]
