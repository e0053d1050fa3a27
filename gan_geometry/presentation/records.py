"""Every statistic of a sweep as plain JSON-ready data (``gan-geometry stats --json``), each named
by the definition it follows: ``anisotropy.paper`` is the paper's Table 2 (its authors' script:
ranks of the mean spectrum whose explained fraction is below f), ``anisotropy.per_position`` this
project's (the smallest k holding f at each code, mean and std over positions). Statistics
between positions are null for a one-position sweep, with the reason beside them."""

from __future__ import annotations

import math

import numpy as np

from gan_geometry.analysis.statistics import SweepSummary
from gan_geometry.analysis.sweeps import Sweep
from gan_geometry.presentation.formats import NEEDS_TWO


def _number(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _pair(pair) -> dict:
    return {"mean": _number(pair[0]), "std": _number(pair[1])}


def summary_record(sweep: Sweep, summary: SweepSummary) -> dict:
    """The sweep's settings and every statistic of its summary."""
    t, C, h, iso, avg = summary.anisotropy, summary.consistency, summary.homogeneity, summary.isotropy, summary.average
    between = sweep.n_positions >= 2
    keys = [f"{f:g}" for f in t.fractions]
    return {
        "sweep": {key: sweep.settings.get(key) for key in ("generator", "space", "distance", "method", "k", "seed",
                                                            "generator_options")}
        | {"N": sweep.n_positions, "n": sweep.latent_dim, "n_computed": sweep.n_computed},
        "spectrum": {"mean": summary.spectrum.mean.tolist(), "percentiles": list(summary.spectrum.percentiles),
                     "lower": summary.spectrum.lower.tolist(), "upper": summary.spectrum.upper.tolist()},
        "anisotropy": {
            "fractions": list(t.fractions),
            "paper": dict(zip(keys, (int(d) for d in t.paper), strict=True)),
            "paper_definition": "ranks of the mean spectrum (sorted |mean| descending) whose cumulative share is "
                                "below f (Hessian/Figure2_spectra_synopsis.py, cutoff_tab)",
            "per_position": {key: {"mean": float(m), "std": float(s)} for key, m, s in zip(keys, t.mean, t.std,
                                                                                            strict=True)},
            "per_position_definition": "the smallest k whose top-k eigenvalues hold f of the sum, at each position",
        },
        "homogeneity": {
            "C^H log": _pair((C.log_mean, C.log_std)) if between else None,
            "C^H lin": _pair((C.lin_mean, C.lin_std)) if between else None,
            "log-Euclidean distance": _pair(h.log_euclidean) if between else None,
            "metric cosine": _pair(h.cosine) if between else None,
            f"top-{h.k} overlap": _pair(h.overlap) if between else None,
            "overlap of random subspaces": h.overlap_random,
            "note": None if between else f"statistics between positions: {NEEDS_TWO}",
        },
        "isotropy": {"empirical_mean": float(iso.empirical_mean.mean()), "theory_mean": float(iso.theory_mean.mean()),
                     "empirical_variance": float(iso.empirical_var.mean()),
                     "theory_variance": float(iso.theory_var.mean())},
        "average_metric": {"top_eigenvalues": avg.eigvals[:10].tolist(), "k_99": avg.k,
                           "explained": float(avg.explained.mean()),
                           "consistency_log": _number(float(np.nanmean(avg.consistency_log))),
                           "consistency_lin": _number(float(np.nanmean(avg.consistency_lin)))},
        "estimates": [{"name": e.name, "value": _number(e.value), "low": _number(e.low), "high": _number(e.high),
                       "level": e.level} for e in summary.estimates],
    }
