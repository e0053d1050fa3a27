"""One precision per quantity: the only place a number becomes text (everything the app, the
command line and the report show goes through here, usually via ``presentation.tables`` and
``presentation.sentences``). The lowest layer of the package, so the labels the engine draws into
pictures (montage rows and columns) use the same formats as the sliders and tables.

    eigenvalues, speeds, distances       4 significant digits     eig(7.1383) = "7.138"
    dimensions                           whole numbers (one spectrum), 1 decimal (means over positions)
    C^H, cosine, overlap, correlations   3 decimals               corr(0.9261) = "0.926"
    log-Euclidean distance               2 decimals
    seconds                              2 decimals under 10 s, 1 under 100 s, then whole seconds
"""

from __future__ import annotations

import math

NEEDS_TWO = "needs 2+ positions"  # what a statistic between positions says of a one-position sweep
NOT_FINITE = "not finite"


def finite(format_):
    """``format_`` for finite values; "not finite" for NaN and inf (never "nan" on a page)."""
    def formatted(value, *args, **kwargs) -> str:
        return format_(value, *args, **kwargs) if value is not None and math.isfinite(value) else NOT_FINITE
    formatted.__doc__, formatted.__name__ = format_.__doc__, format_.__name__
    return formatted


@finite
def eig(value: float) -> str:
    """An eigenvalue, a speed or a distance: 4 significant digits."""
    return f"{value:.4g}"


@finite
def corr(value: float) -> str:
    """A correlation, C^H, a cosine or an overlap: 3 decimals."""
    return f"{value:.3f}"


@finite
def distance(value: float) -> str:
    """A log-Euclidean distance: 2 decimals."""
    return f"{value:.2f}"


@finite
def dims(value: float, mean: bool = True) -> str:
    """A count of dimensions: 1 decimal for a mean over positions, else a whole number."""
    return f"{value:.1f}" if mean else f"{int(round(value))}"


@finite
def seconds(value: float) -> str:
    """Seconds: 2 decimals under 10 s, 1 under 100 s, then whole seconds."""
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s" if value < 100 else f"{value:.0f} s"


@finite
def percent(value: float) -> str:
    """A fraction (0.282) as a percentage with one decimal ("28.2 %"; never "-0.0 %")."""
    return f"{100 * value:.1f} %".replace("-0.0 %", "0.0 %")


@finite
def ratio(value: float) -> str:
    """A speed-up or a ratio of sizes: 1 decimal and a times sign ("8.7×")."""
    return f"{value:.1f}×"


@finite
def step(value: float) -> str:
    """A step along an axis: 2 significant digits with its sign ("+1.5")."""
    return f"{value:+.2g}"


@finite
def scalar(value: float) -> str:
    """Any other number: 4 significant digits."""
    return f"{value:.4g}"


def mean_std(pair, format_=corr) -> str:
    """(mean, std) as "mean ± std" in the format of the quantity."""
    return f"{format_(pair[0])} ± {format_(pair[1])}"


def interval(low: float, high: float, format_=scalar) -> str:
    return f"[{format_(low)}, {format_(high)}]"


def size(count: float) -> str:
    """A byte count as people read it: 512 B, 3.1 MiB, 2.0 GiB."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(count) >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{int(count)} B"


def axis_label(rank: int, eigval: float, label: str = "") -> str:
    """An eigen-axis as sliders and montage rows name it: "rank 1 · λ 7.138 · pose"."""
    return f"rank {rank} · λ {eig(eigval)}" + (f" · {label}" if label else "")


def step_label(value: float, mode: str = "linear", scaled: bool = False) -> str:
    """A montage column: the step, its unit (radians on the sphere) and "/√λ" when every row's
    step is divided by the square root of its eigenvalue."""
    return step(value) + (" rad" if mode == "spherical" else "") + ("/√λ" if scaled else "")


def code(values) -> str:
    """A latent code as the app's code box shows it: numbers separated by commas, 9 significant
    digits (enough to read a float32 code back exactly)."""
    return ", ".join(f"{v:.9g}" for v in values)
