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

from gan_geometry import load_distance, load_generator
from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.sweeps import run_sweep

PAPER = {
    "mse": {"dims": "17, 38, ?, 94", "ch_log": "0.906 ± 0.022", "ch_lin": "0.776 ± 0.139"},
    "stft": {"dims": "2, 9, 19, 42", "ch_log": "(not given)", "ch_lin": "(not given)"},
}


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
    for other in ("stft", "logmel"):
        comparison = st.compare_distances(*((sweeps[d].eigvals, sweeps[d].eigvecs, sweeps[d].H)
                                            for d in ("mse", other)))
        rows = [("H corr (element-wise)", comparison.entry_corr, "about 0.53 (MSE vs STFT)"),
                ("eigval corr (log)", comparison.eig_corr_log, "lower than the image GANs'"),
                (f"C^H of MSE frame on {other} (log)", comparison.ch_ab_log, "lower than the image GANs'"),
                (f"C^H of {other} frame on MSE (log)", comparison.ch_ba_log, "lower than the image GANs'"),
                ("log-spectra regression slope", comparison.slope, "-")]
        print(f"\nMSE of waveforms against {other} at the same positions (paper Table 3 format, mean ± std over "
              f"positions)")
        for name, values, paper in rows:
            print(f"  {name:34}{np.nanmean(values):8.3f} ± {np.nanstd(values):.3f}   paper: {paper}")

if __name__ == "__main__":
    main()
