"""What a report is made of, before it is rendered: sections of figures, tables, images, sounds
and text (``ReportData``), and the picture helpers the sections share."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from gan_geometry.presentation.tables import Table


@dataclass
class Figure:
    """A plotly figure with its caption; rendered interactive (HTML) or as SVG (PDF)."""

    plot: go.Figure
    caption: str


@dataclass
class Section:
    """One report section: ``key`` (its anchor), ``title``, and what it shows, in this order: text,
    paragraphs (one formula each), tables, figures, images ({"caption", "png": bytes}) and sounds
    ({"caption", "name", "wav": bytes}, for sound generators)."""

    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    sounds: list[dict] = field(default_factory=list)
    text: str = ""
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    """A whole report: its title, the provenance and headline tables of its title page, and its sections."""

    title: str
    provenance: Table
    summary: Table
    sections: list[Section]
    intro: str = ("GAN Geometry Lab analysis report: the Riemannian metric of the latent space pulled back from an "
                  "image distance, and its statistics over sampled positions.")


def png(array: np.ndarray) -> bytes:
    """A uint8 image (H, W, 3) as PNG bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def image_rows(rows: dict[str, np.ndarray]) -> bytes:
    """A labelled grid with one row of images (S, C, H, W) per label, as PNG bytes."""
    from gan_geometry.analysis.traversal import Montage

    images = np.stack(list(rows.values()))
    grid = Montage(images, np.zeros(images.shape[:2] + (0,)), list(rows), [str(i) for i in range(images.shape[1])])
    return png(grid.grid())
