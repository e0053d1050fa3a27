"""GAN Geometry Lab: the Gradio app (a first version: pick a code, compute its metric).

Thin over ``geometry``: every number shown comes from ``geometry.metric_tensor``. Locally
``make demo`` serves it on http://127.0.0.1:7860; on Hugging Face Spaces the same file runs
unchanged.
"""

from __future__ import annotations

import functools
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no version check or telemetry

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from geometry import GeometryError, load_distance, load_generator, metric_tensor  # noqa: E402
from geometry.distances import DISTANCE_NAMES  # noqa: E402
from geometry.methods import METHODS  # noqa: E402
from geometry.registry import REGISTRY  # noqa: E402
from geometry.statistics import ANISOTROPY_FRACTIONS, anisotropy_dims  # noqa: E402

generator = functools.lru_cache(maxsize=4)(load_generator)
distance = functools.lru_cache(maxsize=4)(load_distance)


def sample_image(generator_name: str, seed: float) -> np.ndarray:
    G = generator(generator_name)
    image = G(G.sample(1, seed=int(seed)))[0].permute(1, 2, 0).clamp(0, 1)
    return (image.numpy() * 255).astype(np.uint8)


def compute(generator_name: str, seed: float, distance_name: str, method: str):
    try:
        G, D = generator(generator_name), distance(distance_name)
        result = metric_tensor(G, D, G.sample(1, seed=int(seed))[0], method=method, seed=int(seed))
    except GeometryError as err:
        raise gr.Error(str(err)) from None
    top = [[i, float(v)] for i, v in enumerate(result.eigvals[:10])]
    dims = anisotropy_dims(result.eigvals[: result.n_computed])
    held = ", ".join(f"{f:g}: {d}" for f, d in zip(ANISOTROPY_FRACTIONS, dims, strict=True))
    summary = (f"n = {result.latent_dim}, {result.provenance['method']} in {result.provenance['seconds']:.2f} s. "
               f"Dimensions holding {held} of the spectrum.")
    return top, summary


with gr.Blocks(title="GAN Geometry Lab") as demo:
    gr.Markdown("# GAN Geometry Lab\nThe Riemannian metric of a GAN's latent space, pulled back from an "
                "image distance. Pick a latent code, compute its metric, read the spectrum.")
    with gr.Row():
        with gr.Column():
            generator_box = gr.Dropdown(list(REGISTRY), value="dcgan-face64", label="Generator")
            seed_box = gr.Number(value=0, precision=0, label="Seed of the latent code")
            image = gr.Image(label="G(z)", height=192)
        with gr.Column():
            distance_box = gr.Dropdown(list(DISTANCE_NAMES), value="lpips-alex", label="Distance")
            method_box = gr.Dropdown(list(METHODS), value="exact", label="Method")
            run = gr.Button("Compute metric", variant="primary")
            summary_box = gr.Markdown()
            table = gr.Dataframe(headers=["rank", "eigenvalue"], label="Top eigenvalues")
    for trigger in (generator_box.change, seed_box.change, demo.load):
        trigger(sample_image, [generator_box, seed_box], image, api_name=False)
    run.click(compute, [generator_box, seed_box, distance_box, method_box], [table, summary_box],
              api_name="compute_metric")

if __name__ == "__main__":
    on_spaces = "SPACE_ID" in os.environ
    demo.queue(default_concurrency_limit=2).launch(
        server_name=None if on_spaces else "127.0.0.1",
        server_port=None if on_spaces else int(os.environ.get("GRADIO_SERVER_PORT", 7860)),
    )
