"""Piano-like notes from a physical model of a struck string, the sound set ``wavegan-notes``
is trained on (nothing recorded: every clip is computed from its seed).

A struck string sounds as a sum of decaying partials (modal synthesis). For a note of MIDI pitch
m (40..76, E2..E5: f0 = 440 * 2^((m - 69) / 12) Hz), velocity v (0.3..1) and random phases:

    f_k   = k f0 sqrt(1 + B k^2)                 stiff-string inharmonicity, B = 2e-4 * 2^((m - 40) / 24)
    a_k   = |sin(pi k p)| / k * exp(-k / (2 + 12 v))   hammer at p = 1/7 of the string; harder
                                                     strikes excite more upper partials
    tau_k = tau_1 / (1 + 0.02 k^2)               upper partials die faster;
    tau_1 = 0.9 s * (f0 / 110)^-0.5              low notes ring longer
    x(t)  = v * sum_k a_k exp(-(t - t0) / tau_k) sin(2 pi f_k (t - t0) + phi_k),  t >= t0

with partials below 0.45 of the sample rate (k <= 40), a 2 ms attack ramp, a short burst of
hammer noise (10 ms, decaying), onset t0 within the first 25 ms, and the clip scaled to a peak
of 0.8 v. Clips are 16,384 samples at 16 kHz (1.02 s), the WaveGAN slice length.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
LENGTH = 16384
PITCHES = (40, 76)  # MIDI, inclusive
HAMMER = 1 / 7


def note(rng: np.random.Generator, length: int = LENGTH, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One clip (length,) float32 in [-1, 1] drawn with ``rng``."""
    midi = rng.integers(PITCHES[0], PITCHES[1] + 1)
    velocity = rng.uniform(0.3, 1.0)
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    inharmonicity = 2e-4 * 2 ** ((midi - 40) / 24)
    k = np.arange(1, 41, dtype=np.float64)
    f = k * f0 * np.sqrt(1 + inharmonicity * k**2)
    k, f = k[f < 0.45 * sample_rate], f[f < 0.45 * sample_rate]
    amplitude = np.abs(np.sin(np.pi * k * HAMMER)) / k * np.exp(-k / (2 + 12 * velocity))
    tau = 0.9 * (f0 / 110) ** -0.5 / (1 + 0.02 * k**2)
    onset = rng.integers(0, int(0.025 * sample_rate))
    t = np.arange(length - onset) / sample_rate
    phases = rng.uniform(0, 2 * np.pi, size=k.size)
    partials = amplitude[:, None] * np.exp(-t / tau[:, None]) * np.sin(2 * np.pi * f[:, None] * t + phases[:, None])
    sound = partials.sum(0) * np.minimum(1.0, t / 0.002)
    noise = rng.standard_normal(t.size) * np.exp(-t / 0.01) * 0.05 * velocity
    sound = sound + noise * (t < 0.05)
    clip = np.zeros(length)
    clip[onset:] = sound
    return (0.8 * velocity * clip / np.abs(clip).max()).astype(np.float32)


def note_set(count: int, seed: int = 0) -> np.ndarray:
    """``count`` clips (count, LENGTH), clip i drawn from its own stream (seed, i): the set of a
    seed is the same on every machine and any prefix of it is the smaller set."""
    return np.stack([note(np.random.default_rng([seed, i])) for i in range(count)])
