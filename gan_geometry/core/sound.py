"""Sounds: their feature maps for the sound distances (``distances.Spectrogram``, ``distances.LogMel``),
and how they are shown (spectrogram pictures, ``displayable``) and played (``pcm16``).

A sound generator's "images" are waveforms x (N, C, 1, T) in [0, 1]; the waveform is
w = 2 x - 1 in [-1, 1]. Everything here is plain tensor algebra (framing by ``unfold``, the DFT
as two matrix products), so ``vmap``, ``jvp``, double back-propagation and ``make_fx`` apply
as to any image distance.

Settings (the paper names its distances "MSE" and "STFT" but does not state the transform; these
are ours): frames of ``N_FFT`` = 512 samples (32 ms at 16 kHz) every ``HOP`` = 128 (8 ms), Hann
window, reflect-padded at both ends (``center``), one-sided spectrum of 257 bins.

    |S|(w)       = sqrt(Re^2 + Im^2 + EPS)             linear magnitude (EPS = 1e-10: smooth at 0)
    |S|^2(w)     = Re^2 + Im^2                         power
    dB(w)        = 10 log10(Re^2 + Im^2 + floor)       decibels (``DB_FLOOR`` = 1e-10 by default)
    logmel(w)    = log(M |S|^2 + MEL_FLOOR)            M: ``N_MELS`` = 64 triangular HTK-mel bands,
                                                       0 Hz to Nyquist; MEL_FLOOR = 1e-5

The paper says only "MSE of spectrograms (STFT)"; its readings are compared by ``python -m
bench.audio`` (the magnitude, the power and decibels, and the log-mel bands).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

N_FFT, HOP, N_MELS = 512, 128, 64
EPS, MEL_FLOOR, DB_FLOOR = 1e-10, 1e-5, 1e-10


def waveforms(x: torch.Tensor) -> torch.Tensor:
    """(N, C, 1, T) in [0, 1] -> (N * C, T) waveforms in [-1, 1]."""
    return (2 * x - 1).reshape(-1, x.shape[-1])


@functools.lru_cache(maxsize=8)
def _dft(n_fft: int, dtype: torch.dtype, device: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hann window (n_fft,), cosine and sine DFT matrices (n_fft // 2 + 1, n_fft)."""
    n = torch.arange(n_fft, dtype=torch.float64)
    k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)[:, None]
    window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / n_fft)
    angle = 2 * math.pi * k * n / n_fft
    return tuple(t.to(dtype=dtype, device=device) for t in (window, torch.cos(angle), -torch.sin(angle)))


def power(w: torch.Tensor, n_fft: int = N_FFT, hop: int = HOP) -> torch.Tensor:
    """|STFT|^2 = Re^2 + Im^2 of waveforms (B, T): (B, n_fft // 2 + 1, frames), frames = 1 + T // hop."""
    window, cos, sin = _dft(n_fft, w.dtype, str(w.device))
    padded = torch.nn.functional.pad(w[:, None], (n_fft // 2, n_fft // 2), mode="reflect")[:, 0]
    frames = padded.unfold(-1, n_fft, hop) * window  # (B, frames, n_fft)
    real, imag = frames @ cos.T, frames @ sin.T  # (B, frames, bins)
    return (real.pow(2) + imag.pow(2)).transpose(1, 2)


def magnitude(w: torch.Tensor, n_fft: int = N_FFT, hop: int = HOP) -> torch.Tensor:
    """|STFT| = sqrt(|STFT|^2 + EPS) of waveforms (B, T): (B, n_fft // 2 + 1, frames)."""
    return (power(w, n_fft, hop) + EPS).sqrt()


def decibels(w: torch.Tensor, floor: float = DB_FLOOR) -> torch.Tensor:
    """10 log10(|STFT|^2 + floor) of waveforms (B, T): (B, n_fft // 2 + 1, frames)."""
    return 10 * torch.log10(power(w) + floor)


@functools.lru_cache(maxsize=8)
def mel_filters(sample_rate: int, n_fft: int = N_FFT, n_mels: int = N_MELS) -> torch.Tensor:
    """(n_mels, n_fft // 2 + 1) triangular filters, equally spaced on the HTK mel scale
    m = 2595 log10(1 + f / 700) from 0 Hz to sample_rate / 2, each peaking at 1."""
    def mel(f):
        return 2595 * math.log10(1 + f / 700)

    edges_mel = torch.linspace(0, mel(sample_rate / 2), n_mels + 2, dtype=torch.float64)
    edges = 700 * (10 ** (edges_mel / 2595) - 1)
    freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * sample_rate / n_fft
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising, falling = (freqs - low) / (centre - low), (high - freqs) / (high - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def log_mel(w: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """log(M |S|^2 + MEL_FLOOR) of waveforms (B, T): (B, n_mels, frames)."""
    M = mel_filters(sample_rate).to(dtype=w.dtype, device=w.device)
    return torch.log(M @ magnitude(w).pow(2) + MEL_FLOOR)


def pcm16(x: np.ndarray) -> np.ndarray:
    """A waveform "image" (C, 1, T) in [0, 1] as 16-bit PCM (T,) or (T, C) for playing or a WAV file."""
    w = np.clip(2 * np.asarray(x, dtype=np.float64) - 1, -1, 1)[:, 0].T  # (T, C)
    w = w[:, 0] if w.shape[1] == 1 else w
    return np.round(w * 32767).astype(np.int16)


# dark blue -> purple -> orange -> pale yellow, for spectrogram pictures
_COLOURS = np.array([[0.0, 0.0, 0.02], [0.23, 0.06, 0.44], [0.71, 0.21, 0.48], [0.99, 0.55, 0.24], [0.99, 0.99, 0.75]])


def spectrogram_picture(x: np.ndarray, height: int = 96, width: int = 128, dynamic_range: float = 80.0) -> np.ndarray:
    """A waveform "image" (C, 1, T) in [0, 1] as a picture of its spectrogram (3, height, width) in
    [0, 1]: the first channel's |STFT| in decibels below its peak (``dynamic_range`` dB shown), low
    frequencies at the bottom, time left to right, averaged into height x width cells."""
    S = magnitude(torch.as_tensor(2 * np.asarray(x, dtype=np.float64)[:1, 0] - 1))[0].numpy()  # (bins, frames)
    level = 20 * np.log10(S / S.max())
    level = np.clip(1 + level / dynamic_range, 0, 1)[::-1]
    rows = np.array_split(np.arange(level.shape[0]), height)
    cols = np.array_split(np.arange(level.shape[1]), width)
    cells = np.array([[level[np.ix_(r, c)].mean() for c in cols] for r in rows])
    stops = np.linspace(0, 1, len(_COLOURS))
    return np.stack([np.interp(cells, stops, _COLOURS[:, channel]) for channel in range(3)])


def displayable(images: np.ndarray) -> np.ndarray:
    """Images (..., C, H, W) as they are shown: waveforms (one pixel tall, (..., C, 1, T)) become
    pictures of their spectrograms (..., 3, 96, 128); images pass unchanged. The one place the
    app's views and the montages learn that a generator makes sound."""
    images = np.asarray(images)
    if images.shape[-2] != 1:
        return images
    flat = images.reshape(-1, *images.shape[-3:])
    return np.stack([spectrogram_picture(x) for x in flat]).reshape(*images.shape[:-3], 3, 96, 128)


def labelled_spectrogram(x: np.ndarray, sample_rate: int, scale: int = 2) -> np.ndarray:
    """A waveform "image" (C, 1, T) as its spectrogram picture with axes: time in seconds along the
    bottom, frequency in Hz up the left, as uint8 (H, W, 3) (the picture upscaled ``scale`` times)."""
    from PIL import Image, ImageDraw

    from gan_geometry.presentation.fonts import label_font

    picture = (spectrogram_picture(x) * 255).round().astype(np.uint8).transpose(1, 2, 0)
    picture = picture.repeat(scale, axis=0).repeat(scale, axis=1)
    height, width = picture.shape[:2]
    left, bottom, top, right = 46, 30, 6, 8
    canvas = Image.new("RGB", (left + width + right, top + height + bottom), "white")
    canvas.paste(Image.fromarray(picture), (left, top))
    draw, font = ImageDraw.Draw(canvas), label_font(11)
    seconds, nyquist = x.shape[-1] / sample_rate, sample_rate / 2
    for fraction in (0.0, 0.5, 1.0):
        x_at = left + fraction * (width - 1)
        draw.line([(x_at, top + height), (x_at, top + height + 3)], fill="black")
        draw.text((x_at, top + height + 4), f"{fraction * seconds:.2g}", fill="black", font=font, anchor="mt")
        y_at = top + (1 - fraction) * (height - 1)
        draw.line([(left - 3, y_at), (left, y_at)], fill="black")
        draw.text((left - 5, y_at), f"{fraction * nyquist / 1000:g}k" if fraction else "0", fill="black", font=font,
                  anchor="rm")
    draw.text((left + width / 2, top + height + 17), "time, s", fill="black", font=font, anchor="mt")
    draw.text((2, top + height / 2), "Hz", fill="black", font=font, anchor="lm")
    return np.asarray(canvas)
