"""Metric: the metric at the current code by any method, its spectrum, the anisotropy sentence, the
eigenvalues by rank and the result to download. Computed for the default view when the page opens."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from gan_geometry import ITERATIVE, METHODS
from gan_geometry.app import handlers as h
from gan_geometry.app.page import Page, current_image


@dataclass
class MetricTab:
    image: gr.Image
    method: gr.Dropdown
    k: gr.Slider
    compute: gr.Button
    summary: gr.Markdown
    spectrum: gr.Plot
    eigenvalues: gr.Dataframe
    result: gr.File

    @property
    def outputs(self) -> list:
        return [self.spectrum, self.summary, self.eigenvalues, self.result]


def build(page: Page) -> MetricTab:
    s = page.state.settings
    with gr.Tab("Metric"):
        with gr.Row(equal_height=False):
            image = current_image(s.view_side, "compute-image", "Current output")
            with gr.Column(min_width=260):
                with gr.Row():
                    method = gr.Dropdown([(f"{name}", name) for name in METHODS], value="exact", label="Method",
                                         info="exact: all eigenpairs, fastest; topk / lanczos: the top k only; bp: "
                                              "the paper's double back-propagation.", min_width=200)
                    k = gr.Slider(1, 50, value=10, step=1, label="k (top-k methods)", visible=False,
                                  info="How many top eigenpairs to compute.", min_width=200)
                compute = gr.Button("Compute metric", variant="primary", size="lg", elem_id="compute-button")
                summary = gr.Markdown(elem_id="compute-summary")
        spectrum = gr.Plot(label="Spectrum", elem_id="spectrum")
        with gr.Row():
            eigenvalues = gr.Dataframe(headers=["rank", "eigenvalue"], label="Top eigenvalues (rank 1 = largest)",
                                       max_height=300, elem_id="eig-table")
            result = gr.File(label="Result (metric.npz + provenance.json)")
    page.show("image", image, ("Current output", "Current sound: its spectrogram"))
    return MetricTab(image, method, k, compute, summary, spectrum, eigenvalues, result)


def wire(page: Page, tab: MetricTab) -> None:
    tab.method.change(lambda method: gr.update(visible=method in ITERATIVE), tab.method, tab.k, api_name=False)
    inputs = [*page.code_inputs, page.distance, tab.method, tab.k]
    page.act([tab.compute.click], page.bound(h.compute), inputs, tab.outputs, api_name="compute_metric",
             preprocess=False)
    page.act([page.demo.load], page.bound(h.compute), inputs, tab.outputs, api_name=False, preprocess=False)
