"""Compare: sweeps over many codes (each new one joins the selection), spectra normalised by their
top eigenvalue, Tables 2 and 4, consistency and isotropy figures; the layer mechanism at the
current code; and Michelis et al.'s comparison of interpolation in two models."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from gan_geometry.app import handlers as h
from gan_geometry.app.page import Page, on_page
from gan_geometry.registry import REGISTRY


@dataclass
class CompareTab:
    n: gr.Slider
    run: gr.Button
    selection: gr.Dropdown
    refresh: gr.Button
    compare: gr.Button
    overlay: gr.Plot
    table2: gr.Dataframe
    table4: gr.Dataframe
    heatmap: gr.Plot
    histograms: gr.Plot
    isotropy: gr.Plot
    mechanism: gr.Button
    layer_table: gr.Dataframe
    layer_plot: gr.Plot
    amplification: gr.Plot
    versus: gr.Dropdown
    pairs: gr.Slider
    interpolate: gr.Button
    models_plot: gr.Plot
    models_table: gr.Dataframe
    models_summary: gr.Markdown

    @property
    def comparison(self) -> list:
        return [self.overlay, self.table2, self.table4, self.heatmap, self.histograms, self.isotropy]


def build(page: Page) -> CompareTab:
    limits = page.state.settings.limits
    with gr.Tab("Compare"):
        with gr.Row():
            n = gr.Slider(2, limits["positions"], value=10, step=1, label="Positions N",
                          info="Codes sampled with the current seed.")
            run = gr.Button("Run sweep (current generator, space, distance, seed)", variant="primary")
        with gr.Row():
            selection = gr.Dropdown([], multiselect=True, label="Sweeps to compare", allow_custom_value=True, scale=4,
                                    elem_id="compare-sweeps",
                                    info="A new sweep is added to the selection.")
            refresh = gr.Button("Refresh list", scale=1, size="sm")
        compare = gr.Button("Compare")
        overlay = gr.Plot(label="Spectra", elem_id="overlay")
        table2 = gr.Dataframe(label="Table 2: dimensions holding each fraction (the paper's definition)",
                              elem_id="models-table", wrap=True)
        table4 = gr.Dataframe(label="Table 4: homogeneity, mean ± std over pairs of positions (see the glossary)",
                              elem_id="homogeneity-table", wrap=True)
        heatmap = gr.Plot(label="Consistency matrix (first sweep)", elem_id="heatmap")
        histograms = gr.Plot(label="Consistency histograms (first sweep)", elem_id="histograms")
        isotropy = gr.Plot(label="Illusion of isotropy (first sweep)")
        with gr.Accordion("Mechanism at the current code: layer metrics, amplification, shuffled control", open=False):
            mechanism = gr.Button("Analyse the layers")
            layer_table = gr.Dataframe(label="Each layer's metric and the image metric, original against "
                                             "weight-shuffled", elem_id="layer-table", wrap=True)
            layer_plot = gr.Plot(label="Spectra by layer", elem_id="layer-spectra")
            amplification = gr.Plot(label="Amplification of the first layer's eigenvectors")
        with gr.Accordion("Interpolation in two models (Michelis et al., Appendix D)", open=False):
            with gr.Row():
                versus = gr.Dropdown(list(REGISTRY), value="vae-olivetti64", label="Compare with",
                                     info="The same output pairs of the current generator, found in this one by "
                                          "inversion.")
                pairs = gr.Slider(1, limits["pairs"], value=2, step=1, label="Pairs")
                interpolate = gr.Button("Compare interpolations")
            models_summary = gr.Markdown(elem_id="models-summary")
            models_plot = gr.Plot(label="Relative improvements, side by side", elem_id="models-plot")
            models_table = gr.Dataframe(label="Per pair", elem_id="models-pairs", wrap=True)
    return CompareTab(n, run, selection, refresh, compare, overlay, table2, table4, heatmap, histograms, isotropy,
                      mechanism, layer_table, layer_plot, amplification, versus, pairs, interpolate, models_plot,
                      models_table, models_summary)


def wire(page: Page, tab: CompareTab, report_selection: gr.Dropdown) -> None:
    state = page.state

    def add_sweep(gen, space, dist, n, seed, selected, progress=gr.Progress()):
        names, name = h.add_sweep(state, gen, space, dist, n, seed, lambda f, message: progress(f, desc=message))
        chosen = [*(selected or []), name] if name not in (selected or []) else list(selected)
        return {tab.selection: gr.update(choices=names, value=chosen),
                report_selection: gr.update(choices=names, value=chosen)}

    def refresh():
        names = h.sweeps_available(state)
        return {tab.selection: gr.update(choices=names), report_selection: gr.update(choices=names)}

    compare = page.bound(h.compare_spectra)
    page.act([tab.run.click], add_sweep, [page.generator, page.space, page.distance, tab.n, page.seed, tab.selection],
             [tab.selection, report_selection], api_name="run_sweep", concurrency_id="sweeps", concurrency_limit=1,
             preprocess=False).success(on_page(compare), tab.selection, tab.comparison, api_name=False)
    tab.refresh.click(refresh, None, [tab.selection, report_selection], api_name=False)
    page.demo.load(lambda: gr.update(choices=h.sweeps_available(state)), None, tab.selection, api_name=False)
    page.act([tab.compare.click], compare, tab.selection, tab.comparison, api_name="compare_spectra")
    page.act([tab.mechanism.click], page.bound(h.mechanism), [*page.code_inputs, page.distance],
             [tab.layer_plot, tab.amplification, tab.layer_table], api_name="mechanism")

    def interpolate(gen, space, versus, dist, pairs, seed, progress=gr.Progress()):
        return h.compare_interpolation(state, gen, space, versus, dist, pairs, seed,
                                       lambda f, message: progress(f, desc=message))

    page.act([tab.interpolate.click], interpolate,
             [page.generator, page.space, tab.versus, page.distance, tab.pairs, page.seed],
             [tab.models_plot, tab.models_table, tab.models_summary], api_name="compare_interpolation",
             concurrency_id="sweeps", concurrency_limit=1, preprocess=False)
