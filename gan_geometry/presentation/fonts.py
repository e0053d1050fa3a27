"""The font that labels pictures (montage rows and columns, spectrogram axes): DejaVu Sans, which
has the Greek of "rank 1 · λ 7.14" (Debian's fonts-dejavu-core, in ``packages.txt`` for the
Makefile and Hugging Face Spaces); where it is missing, Pillow's default font, with Greek letters
spelt out, so a label never shows an empty box."""

from __future__ import annotations

import functools

SPELT = {"λ": "lambda ", "δ": "delta ", "μ": "mu "}


@functools.cache
def label_font(size: int):
    """A Pillow font of ``size`` pixels: DejaVu Sans where installed, else Pillow's default."""
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def drawable(text: str, font) -> str:
    """``text`` as ``font`` can draw it: Greek letters spelt out unless the font is DejaVu."""
    if "DejaVu" in str(getattr(font, "path", "")):
        return text
    for letter, name in SPELT.items():
        text = text.replace(letter, name)
    return text
