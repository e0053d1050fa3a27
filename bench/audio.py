"""The paper's audio findings, measured on ``wavegan-notes``: spectra and anisotropy under the
waveform MSE and the STFT (and log-mel) distances, their homogeneity, and how alike the metrics
of two distances are (paper Table 3), beside the paper's WaveGAN rows.

    python -m bench.audio [--n 30] [--out results/audio]

Sweeps of ``--n`` positions (seed 0, exact method) per distance at the same positions, written
to ``--out`` (rerunning resumes them). The paper's values are read from its Tables 2-4 (its text
is an OCR copy: Table 2's MSE dim.9999 is unreadable, and its STFT row reads "20 9 19 42", where
"2 9 19 42" is the increasing reading); its WaveGAN was trained on recorded piano, ours on
synthesised notes, so agreement in kind, not in number, is what can be expected.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from geometry import load_distance, load_generator
from geometry.analysis import statistics as st
from geometry.analysis.sweep import run_sweep

PAPER = {
    "mse": {"dims": "17, 38, ?, 94", "ch_log": "0.906 ± 0.022", "ch_lin": "0.776 ± 0.139"},
    "stft": {"dims": "2, 9, 19, 42", "ch_log": "(not given)", "ch_lin": "(not given)"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("results/audio"))
    args = parser.parse_args()
    G = load_generator("wavegan-notes")
    print(f"wavegan-notes: {G.source}; n = {G.latent_dim}, {args.n} positions, exact method")
    sweeps = {}
    for distance in ("mse", "stft", "logmel"):
        sweeps[distance] = run_sweep(args.out / distance, G, load_distance(distance), n=args.n, seed=0)
    print(f"\n{'distance':9}{'dims for 0.99, 0.999, 0.9999, 0.99999':>40}{'C^H log':>16}{'C^H lin':>16}   paper "
          f"(dims; C^H log; C^H lin)")
    for distance, sweep in sweeps.items():
        s = sweep.summary(n_boot=200)
        dims = ", ".join(f"{m:.0f}" for m in s.anisotropy.mean)
        c = s.consistency
        paper = PAPER.get(distance)
        print(f"{distance:9}{dims:>40}{c.log_mean:9.3f} ± {c.log_std:.3f}{c.lin_mean:9.3f} ± {c.lin_std:.3f}   "
              + (f"{paper['dims']}; {paper['ch_log']}; {paper['ch_lin']}" if paper else "-"))
    comparison = st.compare_distances(*((sweeps[d].eigvals, sweeps[d].eigvecs, sweeps[d].H) for d in ("mse", "stft")))
    rows = [("H corr (element-wise)", comparison.entry_corr, "about 0.53"),
            ("eigval corr (log)", comparison.eig_corr_log, "lower than the image GANs'"),
            ("C^H of MSE frame on STFT (log)", comparison.ch_ab_log, "lower than the image GANs'"),
            ("C^H of STFT frame on MSE (log)", comparison.ch_ba_log, "lower than the image GANs'"),
            ("log-spectra regression slope", comparison.slope, "-")]
    print("\nMSE of waveforms against STFT at the same positions (paper Table 3, mean ± std over positions)")
    for name, values, paper in rows:
        print(f"  {name:32}{np.nanmean(values):8.3f} ± {np.nanstd(values):.3f}   paper: {paper}")


if __name__ == "__main__":
    main()
