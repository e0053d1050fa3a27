"""Axes: live exploration of the top eigen-axes (original and edited side by side, in view while the
sliders move, at every width), montages with distance curves, an axis on other codes, other axis
families, and Michelis et al.'s map of a 2-D slice through the code."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from gan_geometry import GeometryError
from gan_geometry.analysis.axes import FAMILIES
from gan_geometry.analysis.traversal import MODES
from gan_geometry.app import handlers as h
from gan_geometry.app.page import Page, current_image, sound_player


@dataclass
class AxesTab:
    tab: gr.Tab
    original: gr.Image
    edited: gr.Image
    readout: gr.Markdown
    edited_sound: gr.Audio
    labels: gr.Textbox
    count: gr.Slider
    scaled: gr.Checkbox
    wide: gr.Checkbox
    sliders: list
    reset: gr.Button
    download: gr.Button
    edited_code: gr.File
    ranks: gr.Textbox
    max_step: gr.Number
    n_steps: gr.Slider
    mode: gr.Radio
    scale_rows: gr.Checkbox
    montage_button: gr.Button
    montage: gr.Image
    montage_sounds: gr.HTML
    curves: gr.Plot
    rank: gr.Number
    references: gr.Slider
    references_button: gr.Button
    references_image: gr.Image
    family: gr.Radio
    family_file: gr.File
    family_k: gr.Slider
    family_button: gr.Button
    family_summary: gr.Markdown
    family_image: gr.Image
    family_plot: gr.Plot
    extent: gr.Number
    grid: gr.Slider
    slice_button: gr.Button
    slice_plot: gr.Plot
    slice_summary: gr.Markdown


def build(page: Page) -> AxesTab:
    s = page.state.settings
    limits, n = s.limits, s.explore_axes
    with gr.Tab("Axes") as tab:
        with gr.Row(equal_height=False, elem_id="explorer"):
            with gr.Column(scale=1, min_width=300, elem_id="explore-images"):  # in view while sliders move
                with gr.Row():
                    original = current_image(s.view_side, "traverse-image", "Original (current code)")
                    edited = current_image(s.view_side, "explore-image", "Edited")
                    edited_labels = ("Edited", "Edited sound: its spectrogram")
                readout = gr.Markdown(elem_id="explore-readout")
                edited_sound = sound_player("edited-sound", "Edited sound")
            with gr.Column(scale=1, min_width=300, elem_id="explore-sliders"):
                with gr.Row():
                    count = gr.Slider(1, n, value=5, step=1, label="Axes", info="Sliders for the top eigen-axes.",
                                      min_width=140)
                    scaled = gr.Checkbox(value=True, label="Units of λ^-1/2", min_width=140, elem_id="units",
                                         info="Each unit predicts the same change on every axis.")
                    wide = gr.Checkbox(value=False, label="Range ±3", info="±1 stays near the manifold.",
                                       min_width=120)
                sliders = [gr.Slider(-1, 1, value=0, step=0.05, label=f"rank {i + 1}", visible=i < 5,
                                     elem_id=f"axis-{i}") for i in range(n)]
                with gr.Row():
                    reset = gr.Button("Reset", size="sm")
                    download = gr.Button("Download edited code (.npy)", size="sm")
                edited_code = gr.File(label="Edited code", elem_id="edited-code", height=80, interactive=False,
                                      visible=False)
        labels = gr.Textbox(label="Axis labels", placeholder="1=pose, 2=light",
                            info="Name eigen-axes by rank; shown on the sliders and montage rows.")
        with gr.Accordion("Montage along eigen-axes, with distance curves", open=True):
            with gr.Row():
                ranks = gr.Textbox(value="1, 2, 3, 6, 11", label="Eigen-ranks (1 = top)", info="Rows of the montage.")
                max_step = gr.Number(value=3.0, label="Largest step", info="Steps run from −this to +this.")
                n_steps = gr.Slider(2, limits["steps"], value=7, step=1, label="Steps", info="Columns.")
            with gr.Row():
                mode = gr.Radio(list(MODES), value="linear", label="Path", info="spherical keeps |z| (radians).")
                scale_rows = gr.Checkbox(label="Scale steps by 1/√λ", info="Every row reaches the same predicted "
                                                                         "distance.")
                montage_button = gr.Button("Make montage", variant="primary")
            montage = gr.Image(label="Montage", type="numpy", elem_id="montage")
            montage_sounds = gr.HTML(elem_id="montage-sounds")  # a player per row, for a sound generator
            curves = gr.Plot(label="Distance along each axis", elem_id="curves")
        with gr.Accordion("Apply an axis to other reference codes", open=False):
            with gr.Row():
                rank = gr.Number(value=1, precision=0, label="Rank", info="1 = top.")
                references = gr.Slider(1, limits["references"], value=4, step=1, label="References")
                references_button = gr.Button("Apply to references")
            references_image = gr.Image(label="Same axis, other codes", type="numpy")
        with gr.Accordion("Compare with SeFa / PCA / uploaded axes", open=False):
            with gr.Row():
                family = gr.Radio(list(FAMILIES), value="sefa", label="Family",
                                  info="SeFa: first-layer weights; PCA: activations (GANSpace); file: yours.")
                family_file = gr.File(label="Axes file (.npy or .csv)", file_types=[".npy", ".csv"], type="filepath")
                family_k = gr.Slider(1, limits["ranks"], value=8, step=1, label="k")
                family_button = gr.Button("Compare axes")
            family_summary = gr.Markdown()
            family_image = gr.Image(label="Axes | purified axes", type="numpy")
            family_plot = gr.Plot(label="Projection power on the eigenvectors")
        with gr.Accordion("Map the metric over a 2-D slice (Michelis et al., Fig. 1)", open=False):
            with gr.Row():
                extent = gr.Number(value=2.0, label="Extent", info="Half-width of the slice along ranks 1 and 2.")
                grid = gr.Slider(3, limits["slice"], value=7, step=1, label="Grid points per side")
                slice_button = gr.Button("Map the slice")
            slice_summary = gr.Markdown(elem_id="slice-summary")
            slice_plot = gr.Plot(label="Condition number, log-determinant and fastest direction", elem_id="slice")
    page.show("image", original, ("Original (current code)", "Original sound: its spectrogram"))
    page.show("label", edited, edited_labels)
    page.show("sound", edited_sound)  # at 0 on every slider the edited sound is the original
    return AxesTab(tab, original, edited, readout, edited_sound, labels, count, scaled, wide, sliders, reset, download,
                   edited_code, ranks, max_step, n_steps, mode, scale_rows, montage_button, montage, montage_sounds,
                   curves, rank, references, references_button, references_image, family, family_file, family_k,
                   family_button, family_summary, family_image, family_plot, extent, grid, slice_button, slice_plot,
                   slice_summary)


def reset_on_code_change(tab: AxesTab, image) -> dict:
    """A new code: the edited output is the original, the sliders at 0 with plain ranks (their
    eigenvalues are those of the new code once the tab is shown), the readout empty."""
    return {tab.edited: image, tab.readout: "",
            **{slider: gr.update(value=0.0, label=f"rank {i + 1}") for i, slider in enumerate(tab.sliders)},
            tab.montage_sounds: ""}


def wire_explorer(page: Page, tab: AxesTab) -> None:
    n = len(tab.sliders)
    explore_inputs = [*page.code_inputs, page.distance, tab.scaled, tab.count, *tab.sliders]
    explored = [tab.edited, tab.readout, tab.edited_sound]
    explore = page.bound(h.explore_axes)
    # slider moves skip the queue (answered at once, never behind sweeps or reports; about 12 ms of work)
    page.act([slider.input for slider in tab.sliders] + [tab.scaled.input], explore, explore_inputs, explored,
             api_name="explore", trigger_mode="always_last", preprocess=False, queue=False, show_progress="hidden")

    def labels(gen, space, seed, index, code, dist, labels_text):
        """Slider labels with rank, eigenvalue and label; plain ranks where the metric cannot be had
        now (a bad field, a model over the time cap): labels never raise."""
        try:
            texts = h.slider_labels(page.state, gen, space, seed, index, code, dist, labels_text)
        except GeometryError:
            texts = [f"rank {i + 1}" for i in range(n)]
        return [gr.update(label=text) for text in texts] + [gr.skip()] * (n - len(texts))

    gr.on([tab.labels.submit, tab.labels.blur, tab.tab.select, page.demo.load], labels,
          [*page.code_inputs, page.distance, tab.labels], tab.sliders, api_name=False)
    gr.on([page.demo.load, page.generator.select, page.space.input, page.distance.input],
          lambda gen, space, dist: h.kept_labels(page.state, gen, space, dist),
          [page.generator, page.space, page.distance], tab.labels, api_name=False)
    tab.count.input(lambda k: [gr.update(visible=i < int(k)) for i in range(n)], tab.count, tab.sliders,
                    api_name=False)
    tab.wide.input(lambda wide: [gr.update(minimum=-3.0 if wide else -1.0, maximum=3.0 if wide else 1.0)
                                 for _ in range(n)], tab.wide, tab.sliders, api_name=False)
    page.act([tab.reset.click], lambda: [0.0] * n, None, tab.sliders, api_name=False).then(
        explore, explore_inputs, explored, api_name=False, preprocess=False)
    page.act([tab.download.click], page.bound(h.download_code), explore_inputs, tab.edited_code,
             api_name="download_code", preprocess=False).success(lambda: gr.update(visible=True), None,
                                                                tab.edited_code, api_name=False)


def wire(page: Page, tab: AxesTab) -> None:
    wire_explorer(page, tab)
    code = [*page.code_inputs, page.distance]
    page.act([tab.montage_button.click], page.bound(h.montage),
             [*code, tab.ranks, tab.max_step, tab.n_steps, tab.mode, tab.scale_rows, tab.labels],
             [tab.montage, tab.curves, tab.montage_sounds], api_name="traverse", preprocess=False)
    page.act([tab.references_button.click], page.bound(h.references),
             [*code, tab.rank, tab.references, tab.max_step, tab.n_steps, tab.mode], tab.references_image,
             api_name="apply_to_references", preprocess=False)
    page.act([tab.family_button.click], page.bound(h.families),
             [*code, tab.family, tab.family_file, tab.family_k, tab.max_step, tab.n_steps],
             [tab.family_image, tab.family_plot, tab.family_summary], api_name="compare_axes")
    page.act([tab.slice_button.click], page.bound(h.slice_at), [*code, tab.extent, tab.grid],
             [tab.slice_plot, tab.slice_summary], api_name="slice_maps", preprocess=False)
