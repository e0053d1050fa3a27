"""Tables that set the paper's published numbers (``gan_geometry.paper``) beside this project's,
for ``gan-geometry reproduce``. A row the machine could not measure says why and how to measure it;
random weights and stand-in models are labelled as such."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan_geometry import paper
from gan_geometry.analysis.statistics import DistanceComparison, SweepSummary
from gan_geometry.presentation import formats as fmt
from gan_geometry.presentation.tables import Table

UNREADABLE = "?"  # a number the paper's copy does not show


@dataclass
class Measured:
    """A model measured here: ``label`` (generator, space, distance), ``kind`` (trained weights,
    random weights, or a stand-in that is not the paper's model), N positions and its summary;
    ``paper_row`` the paper's row it answers (None: a model the paper did not study). Where it
    could not be measured, ``summary`` is None and ``missing`` says how to measure it."""

    paper_row: str | None
    label: str
    kind: str
    N: int = 0
    summary: SweepSummary | None = None
    missing: str = ""


def _counts(values) -> str:
    return "/".join(UNREADABLE if v is None else str(int(v)) for v in values)


def table2(measured: list[Measured]) -> Table:
    """Paper Table 2 (dimensions holding 0.99 / 0.999 / 0.9999 / 0.99999 of the spectrum, the
    paper's definition) beside this project's, per model."""
    rows = []
    for m in measured:
        published = paper.TABLE2.get(m.paper_row)
        theirs = f"{_counts(published[1])} of {published[0]}" if published else "not in the paper"
        if m.summary is None:
            rows.append([m.paper_row or "", theirs, m.label, m.missing, ""])
            continue
        t = m.summary.anisotropy
        rows.append([m.paper_row or "", theirs, f"{m.label} ({m.kind}, N = {m.N})", f"{_counts(t.paper)} of {t.n}",
                     "/".join(fmt.dims(v) for v in t.mean)])
    return Table("Table 2: dimensions holding each fraction of the spectrum, the paper's and ours",
                 ["paper's model", "paper", "ours", "ours (paper's definition)", "ours per position (mean)"], rows,
                 note="The paper's definition: ranks of the mean spectrum whose cumulative share is below f (its "
                      "authors' script). Random weights say nothing about trained geometry: those rows check the "
                      "pipeline, not the paper.")


def table4(measured: list[Measured]) -> Table:
    """Paper Table 4 (C^H on the log and the linear scale, mean ± std) beside this project's."""
    rows = []
    for m in measured:
        published = paper.TABLE4.get(_table4_name(m.paper_row))
        theirs = [fmt.mean_std(published[0]), fmt.mean_std(published[1])] if published else ["not in the paper"] * 2
        if m.summary is None:
            rows.append([m.paper_row or "", *theirs, m.label, m.missing, ""])
        elif m.N < 2:
            rows.append([m.paper_row or "", *theirs, m.label, fmt.NEEDS_TWO, fmt.NEEDS_TWO])
        else:
            C = m.summary.consistency
            rows.append([m.paper_row or "", *theirs, f"{m.label} ({m.kind}, N = {m.N})",
                         fmt.mean_std((C.log_mean, C.log_std)), fmt.mean_std((C.lin_mean, C.lin_std))])
    return Table("Table 4: homogeneity C^H, the paper's and ours (mean ± std over pairs of positions)",
                 ["paper's model", "paper log", "paper linear", "ours", "ours log", "ours linear"], rows)


def _table4_name(table2_row: str | None) -> str | None:
    """The paper's Table 4 row of a Table 2 row (the tables name their models differently)."""
    return next((m.table4 for m in paper.PAPER_MODELS if m.table2 == table2_row), table2_row)


@dataclass
class Timing:
    """Seconds per metric at one code, per method, for a generator (``methods``: name -> seconds)."""

    label: str
    n: int
    methods: dict[str, float]
    paper_row: str | None = None


def table1(timings: list[Timing]) -> Table:
    """Paper Table 1 (seconds per Hessian on a GTX 1060 GPU) beside this project's on this machine."""
    rows = []
    for t in timings:
        published = paper.TABLE1.get(t.paper_row) if t.paper_row else None
        theirs = " / ".join(fmt.seconds(v) for v in published[1:]) if published else "not in the paper"
        ours = " / ".join(fmt.seconds(t.methods[m]) for m in ("bp", "lanczos-backward", "lanczos-forward"))
        rows.append([t.label, str(t.n), theirs, ours, fmt.seconds(t.methods["exact"]),
                     fmt.ratio(t.methods["bp"] / t.methods["exact"])])
    return Table("Table 1: seconds per metric: BP / Backward Iteration / Forward Iteration (the iterative methods "
                 "asking for half the dimension, as the paper's), and this project's exact",
                 ["model", "n", "paper (GTX 1060 GPU)", "ours (this CPU)", "ours: exact", "BP / exact"], rows,
                 note="Other hardware: compare the ratios, not the seconds.")


def table3(comparisons: dict[str, DistanceComparison], model: str) -> Table:
    """Paper Table 3: LPIPS against MSE and SSIM at the same positions of ``model``."""
    keys = (("entry_corr", "H corr"), ("eig_corr_log", "eigval corr (log)"), ("ch_ab_log", "C^H log"),
            ("ch_ab_lin", "C^H lin"), ("slope", "reg slope"), ("intercept", "reg intercept"))
    rows = [[name, *(fmt.mean_std((np.nanmean(getattr(c, key)), np.nanstd(getattr(c, key)))) for key, _ in keys)]
            for name, c in comparisons.items()]
    return Table(f"Table 3: the metric of LPIPS against other distances at the same positions of {model}",
                 ["LPIPS against", *(label for _, label in keys)], rows, note="The paper: " + paper.TABLE3_TEXT)


def sound_table(correlations: dict[str, tuple[float, float]], counts: dict[str, np.ndarray]) -> Table:
    """The WaveGAN findings: per spectrogram reading, the element-wise correlation of its metric
    with the waveform MSE's (the paper: about 0.53) and its Table 2 counts (the paper's STFT row)."""
    rows = [[reading, fmt.mean_std(correlations[reading]), _counts(counts[reading])] for reading in correlations]
    return Table("WaveGAN: each spectrogram reading's metric against the waveform MSE's",
                 ["reading", "H corr with MSE", "Table 2 counts (paper's definition)"], rows,
                 note=f"The paper: H correlation about {paper.WAVEGAN_H_CORRELATION} (its STFT reading is not "
                      f"stated), Table 2 STFT row {_counts(paper.TABLE2['WaveGAN STFT'][1])}, MSE row "
                      f"{_counts(paper.TABLE2['WaveGAN MSE'][1])}.")
