"""The paper's audio findings, measured on ``wavegan-notes``: anisotropy (Table 2, both
definitions) and homogeneity under the waveform MSE and every spectrogram reading (linear
magnitude, power, decibels at two floors, log-mel), and how alike the MSE metric and each
reading's are (paper Table 3: the paper reports an element-wise H correlation of about 0.53 for
its unstated "STFT"), beside the paper's WaveGAN rows.

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

from gan_geometry import load_distance, load_generator
from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.sweeps import run_sweep
from gan_geometry.presentation import formats as fmt

PAPER = {  # the paper's WaveGAN rows (Tables 2 and 4); its STFT reading is not stated
    "mse": {"dims": "17/38/?/94", "ch_log": "0.906 ± 0.022", "ch_lin": "0.776 ± 0.139"},
    "stft": {"dims": "2/9/19/42 (its STFT)", "ch_log": "(not given)", "ch_lin": "(not given)"},
}
PAPER_STFT_COUNTS = np.array([2, 9, 19, 42])  # its Table 2 STFT row, the increasing reading of the OCR
READINGS = ("mse", "stft", "stft-power", "stft-db", "stft-db+floor=0.0001", "logmel")  # mse first: the reference


def note_statistics(clips: np.ndarray, sample_rate: int = 16000) -> dict[str, float]:
    """What makes a clip a note, for a set of clips (N, T): the energy fraction in the 50
    strongest spectral bins (tonal: near 1; noise: near 0), the number of distinct pitches (the
    strongest bin, to a semitone) and the decay (peak of the last eighth over the first)."""
    spectra = np.abs(np.fft.rfft(clips, axis=1)) ** 2
    tonal = np.sort(spectra, axis=1)[:, -50:].sum(1) / spectra.sum(1)
    peak = np.argmax(spectra, axis=1) * sample_rate / clips.shape[1]
    semitones = np.round(12 * np.log2(np.maximum(peak, 1) / 440))
    eighth = clips.shape[1] // 8
    decay = np.abs(clips[:, -eighth:]).max(1) / np.abs(clips[:, :eighth]).max(1)
    return {"tonal": float(tonal.mean()), "pitches": float(len(np.unique(semitones))), "decay": float(decay.mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("results/audio"))
    args = parser.parse_args()
    import torch

    from gan_geometry.training.notes import note_set

    G = load_generator("wavegan-notes")
    print(f"wavegan-notes: {G.source}; n = {G.latent_dim}, {args.n} positions, exact method")
    with torch.no_grad():
        generated = (2 * G(G.sample(64, seed=99)) - 1)[:, 0, 0].numpy()
    print("\nWhat it makes, against its training notes and against noise (64 clips each):")
    noise = np.random.default_rng(0).standard_normal((64, generated.shape[1])) * 0.1
    for name, clips in (("generated", generated), ("training notes", note_set(64, seed=1)), ("white noise", noise)):
        stats = note_statistics(clips)
        print(f"  {name:15} tonal energy {stats['tonal']:.2f}, distinct pitches {stats['pitches']:.0f}, "
              f"decay (end / start) {stats['decay']:.2f}")
    sweeps = {distance: run_sweep(args.out / distance, G, load_distance(distance), n=args.n, seed=0)
              for distance in READINGS}
    print(f"\nAnisotropy (Table 2) and homogeneity (Table 4) under every reading, N = {args.n}:")
    print(f"{'distance':22}{'paper definition':>20}{'per position (mean)':>24}{'C^H log':>16}{'C^H lin':>16}   paper")
    for distance, sweep in sweeps.items():
        s = sweep.summary(n_boot=200)
        t, c = s.anisotropy, s.consistency
        paper_def = "/".join(str(int(d)) for d in t.paper)
        per_position = "/".join(fmt.dims(m) for m in t.mean)
        paper = PAPER.get(distance)
        print(f"{distance:22}{paper_def:>20}{per_position:>24}{fmt.mean_std((c.log_mean, c.log_std)):>16}"
              f"{fmt.mean_std((c.lin_mean, c.lin_std)):>16}   "
              + (f"{paper['dims']}; {paper['ch_log']}; {paper['ch_lin']}" if paper else "-"))
    print("\nMSE of waveforms against each spectrogram reading at the same positions (paper Table 3 format; the "
          "paper: H correlation about 0.53 for MSE against its STFT):")
    print(f"{'reading':22}{'H corr mean ± std':>20}{'min':>8}{'eigval corr log':>17}{'C^H MSE frame (log)':>21}")
    correlations = {}
    for other in READINGS[1:]:
        comparison = st.compare_distances(*((sweeps[d].eigvals, sweeps[d].eigvecs, sweeps[d].H)
                                            for d in ("mse", other)))
        corr = comparison.entry_corr
        correlations[other] = float(np.nanmean(corr))
        print(f"{other:22}{fmt.mean_std((np.nanmean(corr), np.nanstd(corr))):>20}{fmt.corr(np.nanmin(corr)):>8}"
              f"{fmt.corr(np.nanmean(comparison.eig_corr_log)):>17}{fmt.corr(np.nanmean(comparison.ch_ab_log)):>21}")
    by_corr = min(correlations, key=lambda d: abs(correlations[d] - 0.53))
    counts = {d: sweeps[d].summary(n_boot=10).anisotropy.paper for d in READINGS[1:]}
    by_counts = min(counts, key=lambda d: np.abs(counts[d] - PAPER_STFT_COUNTS).sum())
    print(f"\nClosest to the paper's H correlation of 0.53: {by_corr} ({fmt.corr(correlations[by_corr])}). Closest to "
          f"its STFT row of Table 2 ({'/'.join(map(str, PAPER_STFT_COUNTS))}): {by_counts} "
          f"({'/'.join(str(int(c)) for c in counts[by_counts])}). No reading reproduces both.")

if __name__ == "__main__":
    main()
