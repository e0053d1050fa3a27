"""The page: components and event wiring over ``handlers``. Engine errors become messages
(``gr.Error``) naming the problem, never tracebacks; tables from ``geometry.presentation`` become
dataframes with their own headers. Events whose inputs are plain numbers skip Gradio's
preprocessing (``preprocess=False``) so that a value sent as text through the API reaches the
handler, which refuses it naming the field."""

from __future__ import annotations

import functools
import logging

import gradio as gr

from geometry import DISTANCE_NAMES, METHODS, REGISTRY, GeometryError
from geometry.analysis.axes import FAMILIES
from geometry.presentation import Table
from webapp import handlers as h
from webapp.state import AppState

log = logging.getLogger("gan-geometry-lab")


def shown(value):
    """A handler's value as a component takes it: tables as a dataframe value with headers."""
    if isinstance(value, Table):
        return {"headers": value.header, "data": value.rows}
    return value


def on_page(function):
    """``function`` as an event handler: engine errors as messages, anything unexpected logged and
    answered with a short message, tables shown with their headers."""

    @functools.wraps(function)
    def handler(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except gr.Error:
            raise
        except GeometryError as err:
            raise gr.Error(str(err)) from None
        except Exception as err:  # the app never shows a traceback
            log.exception("unexpected error in %s", getattr(function, "__name__", function))
            raise gr.Error(f"Unexpected error ({type(err).__name__}): {err}") from None
        return tuple(shown(v) for v in result) if isinstance(result, tuple) else shown(result)

    return handler


def pick(evt: gr.SelectData):
    """Clicking tile i makes sample i current and clears a pasted or uploaded code."""
    return evt.index, ""


def current_image(side: int, elem_id: str, label: str = "Current image") -> gr.Image:
    return gr.Image(label=label, height=side + 40, width=side + 16, interactive=False, scale=0, min_width=side + 16,
                    buttons=[], elem_id=elem_id)


def build(state: AppState) -> gr.Blocks:
    """The interface over ``state`` (one per server)."""
    s = state.settings
    limits = s.limits

    def bound(handler):  # a handler of this server's state, shown on the page
        return on_page(functools.partial(handler, state))

    def show_code(*inputs):
        image, caption = h.show_code(state, *inputs)
        return (image, image, image, image, caption, "", *[0.0] * s.explore_axes)

    def choose_generator(gen, seed):
        spaces, gallery, index, code = h.choose_generator(state, gen, seed)
        return gr.update(choices=spaces, value=spaces[0]), gallery, index, code

    def upload_code(path, gen, space):
        return (gr.update(), gr.update()) if not path else h.upload_code(state, path, gen, space)

    def add_sweep(gen, space, dist, n, seed, progress=gr.Progress()):
        names, name = h.add_sweep(state, gen, space, dist, n, seed, lambda f, message: progress(f, desc=message))
        return gr.update(choices=names, value=[name]), gr.update(choices=names, value=name)

    def refresh_sweeps():
        names = h.sweeps_available(state)
        return gr.update(choices=names), gr.update(choices=names)

    def make_report(selected, progress=gr.Progress()):
        return h.make_report(state, selected, lambda f, message: progress(f, desc=message))

    def sweeps_available() -> list[str]:
        return h.sweeps_available(state)

    with gr.Blocks(title="GAN Geometry Lab", delete_cache=(s.download_age, s.download_age)) as demo:
        gr.Markdown("# GAN Geometry Lab\nThe Riemannian metric of a GAN's latent space, pulled back from an image "
                    "distance: which directions change the image most, how anisotropic and homogeneous the space is.")
        with gr.Row():
            gen_box = gr.Dropdown(list(REGISTRY), value="dcgan-face64", label="Generator")
            space_box = gr.Dropdown(list(REGISTRY["dcgan-face64"].spaces), value="noise", label="Latent space",
                                    allow_custom_value=True)  # choices follow the generator; the engine checks
            seed_box = gr.Number(value=0, label="Seed")
            index_box = gr.Number(value=0, label="Sample index (click a sample)", elem_id="sample-index")
            dist_box = gr.Dropdown(list(DISTANCE_NAMES), value="lpips-alex", label="Distance")
        caption = gr.Markdown(elem_id="code-caption")
        origin = gr.State("pasted code")
        code = [gen_box, space_box, seed_box, index_box]

        with gr.Tab("Pick GAN"):
            with gr.Row():
                random_button = gr.Button("Random seed", variant="primary")
                upload = gr.File(label="Upload a latent code (.npy)", file_types=[".npy"], type="filepath",
                                 height=110)
            gallery = gr.Gallery(label="Samples (click one to choose it)", columns=s.gallery, height=230,
                                 allow_preview=False, elem_id="gallery")
            with gr.Row():
                code_box = gr.Textbox(label="Or paste a latent code (numbers separated by commas; Enter to use it)",
                                      lines=2, scale=3)
                chosen = current_image(s.view_side, "chosen-image", "Chosen image")
        code_inputs = code + [code_box]

        with gr.Tab("Compute metric"):
            with gr.Row():
                compute_image = current_image(s.view_side, "compute-image")
                with gr.Column():
                    with gr.Row():
                        method_box = gr.Dropdown(list(METHODS), value="exact", label="Method")
                        k_box = gr.Slider(1, 50, value=10, step=1, label="k (top-k methods: topk, lanczos)")
                    compute_button = gr.Button("Compute metric", variant="primary")
                    summary_box = gr.Markdown()
            spectrum_plot = gr.Plot(label="Spectrum", elem_id="spectrum")
            with gr.Row():
                eig_table = gr.Dataframe(headers=["rank", "eigenvalue"], label="Top eigenvalues", max_height=300)
                result_file = gr.File(label="Result (metric.npz + provenance.json)")

        with gr.Tab("Traverse axes"):
            with gr.Row():
                traverse_image = current_image(s.view_side, "traverse-image")
                with gr.Column():
                    with gr.Row():
                        ranks_box = gr.Textbox(value="0, 1, 2, 5, 10", label="Eigen-ranks (0 = top)")
                        max_step = gr.Number(value=3.0, label="Largest step")
                        n_steps = gr.Slider(2, limits["steps"], value=7, step=1, label="Steps")
                    with gr.Row():
                        mode_box = gr.Radio(["linear", "spherical"], value="linear", label="Path")
                        scaled_box = gr.Checkbox(label="Scale steps by 1/sqrt(eigenvalue)")
                    montage_button = gr.Button("Make montage", variant="primary")
            with gr.Accordion("Explore the top eigen-axes live", open=True):
                with gr.Row():
                    with gr.Column(scale=2):
                        with gr.Row():
                            axes_k = gr.Slider(1, s.explore_axes, value=5, step=1, label="Axes")
                            explore_scaled = gr.Checkbox(label="Slider units of λ^-1/2 (equal predicted change)")
                        sliders = [gr.Slider(-3, 3, value=0, step=0.05, label=f"axis {i}", visible=i < 5,
                                             elem_id=f"axis-{i}") for i in range(s.explore_axes)]
                        with gr.Row():
                            reset_button = gr.Button("Reset")
                            download_button = gr.Button("Download edited code (.npy)")
                        edited_file = gr.File(label="Edited code", elem_id="edited-code", height=80)
                    with gr.Column(scale=1):
                        explore_image = gr.Image(label="Edited image", height=s.view_side + 40, interactive=False,
                                                 buttons=[], elem_id="explore-image")
                        readout = gr.Markdown(elem_id="explore-readout")
            montage_image = gr.Image(label="Montage", type="numpy", elem_id="montage")
            curves_plot = gr.Plot(label="Distance along each axis", elem_id="curves")
            with gr.Accordion("Apply an axis to other reference codes", open=False):
                with gr.Row():
                    rank_box = gr.Number(value=0, precision=0, label="Rank")
                    refs_box = gr.Slider(1, limits["references"], value=4, step=1, label="References")
                    refs_button = gr.Button("Apply to references")
                refs_image = gr.Image(label="Same axis, other codes", type="numpy")
            with gr.Accordion("Compare with SeFa / PCA / uploaded axes", open=False):
                with gr.Row():
                    family_box = gr.Radio(list(FAMILIES), value="sefa", label="Family")
                    axes_upload = gr.File(label="Axes file (.npy or .csv)", file_types=[".npy", ".csv"],
                                          type="filepath")
                    family_k = gr.Slider(1, limits["ranks"], value=8, step=1, label="k")
                    family_button = gr.Button("Compare axes")
                family_summary = gr.Markdown()
                family_image = gr.Image(label="Axes | purified axes", type="numpy")
                family_plot = gr.Plot(label="Projection power on the eigenvectors")

        with gr.Tab("Compare spectra"):
            with gr.Row():
                n_box = gr.Slider(2, limits["positions"], value=10, step=1, label="Positions N")
                sweep_button = gr.Button("Run sweep (current generator, space, distance, seed)", variant="primary")
            with gr.Row():
                sweeps_box = gr.Dropdown([], multiselect=True, label="Sweeps to compare", allow_custom_value=True,
                                         scale=4)
                list_button = gr.Button("Refresh list", scale=1)
            compare_button = gr.Button("Compare")
            overlay_plot = gr.Plot(label="Spectra", elem_id="overlay")
            aniso_table = gr.Dataframe(label="Dimensions holding each fraction of the spectrum (mean ± std), and "
                                             "homogeneity", elem_id="models-table")
            heatmap_plot = gr.Plot(label="Consistency matrix (first sweep)", elem_id="heatmap")
            histogram_plot = gr.Plot(label="Consistency histograms (first sweep)", elem_id="histograms")
            isotropy_plot = gr.Plot(label="Illusion of isotropy (first sweep)")
            with gr.Accordion("Mechanism at the current code: layer metrics, amplification, shuffled control",
                              open=False):
                mechanism_button = gr.Button("Analyse the layers")
                layer_table = gr.Dataframe(label="Each layer's metric and the image metric, original against "
                                                 "weight-shuffled")
                layer_plot = gr.Plot(label="Spectra by layer", elem_id="layer-spectra")
                amplification_plot = gr.Plot(label="Amplification of the first layer's eigenvectors")

        with gr.Tab("Report"):
            report_box = gr.Dropdown([], label="Sweep to report on", allow_custom_value=True)
            report_button = gr.Button("Build report (PDF + HTML)", variant="primary")
            report_files = gr.File(label="Report", file_count="multiple", elem_id="report-files")

        views = [chosen, compute_image, traverse_image, explore_image, caption, readout, *sliders]
        view_inputs = code_inputs + [origin]
        gallery_outputs = [gallery, index_box, code_box]
        show = on_page(show_code)
        gen_box.change(on_page(choose_generator), [gen_box, seed_box], [space_box, *gallery_outputs],
                       api_name=False).then(show, view_inputs, views, api_name=False)
        random_button.click(h.random_seed, None, seed_box, api_name=False).then(
            bound(h.sample), [gen_box, space_box, seed_box], gallery_outputs, api_name=False).then(
            show, view_inputs, views, api_name=False)
        gr.on([seed_box.submit, seed_box.blur, space_box.input, demo.load], bound(h.sample),
              [gen_box, space_box, seed_box], gallery_outputs, api_name="sample").then(show, view_inputs, views,
                                                                                      api_name=False)
        demo.load(refresh_sweeps, None, [sweeps_box, report_box], api_name=False)
        gallery.select(pick, None, [index_box, code_box], api_name=False).then(
            show, view_inputs, views, api_name=False)
        upload.upload(on_page(upload_code), [upload, gen_box, space_box], [code_box, origin], api_name=False).then(
            show, view_inputs, views, api_name=False)
        code_box.input(lambda: "pasted code", None, origin, api_name=False)
        gr.on([code_box.submit, code_box.blur, index_box.submit, index_box.blur], show, view_inputs, views,
              api_name=False)
        compute_button.click(bound(h.compute), code_inputs + [dist_box, method_box, k_box],
                             [spectrum_plot, summary_box, eig_table, result_file], api_name="compute_metric",
                             preprocess=False)
        montage_button.click(bound(h.montage),
                             code_inputs + [dist_box, ranks_box, max_step, n_steps, mode_box, scaled_box],
                             [montage_image, curves_plot], api_name="traverse", preprocess=False)
        explore_inputs = code_inputs + [dist_box, explore_scaled, axes_k, *sliders]
        explore = bound(h.explore_axes)
        gr.on([slider.input for slider in sliders] + [explore_scaled.input], explore, explore_inputs,
              [explore_image, readout], api_name="explore", trigger_mode="always_last", preprocess=False)
        axes_k.input(lambda k: [gr.update(visible=i < int(k)) for i in range(s.explore_axes)], axes_k, sliders,
                     api_name=False)
        reset_button.click(lambda: [0.0] * s.explore_axes, None, sliders, api_name=False).then(
            explore, explore_inputs, [explore_image, readout], api_name=False, preprocess=False)
        download_button.click(bound(h.download_code), explore_inputs, edited_file, api_name="download_code",
                              preprocess=False)
        refs_button.click(bound(h.references),
                          code_inputs + [dist_box, rank_box, refs_box, max_step, n_steps, mode_box], refs_image,
                          api_name="apply_to_references", preprocess=False)
        family_button.click(bound(h.families),
                            code_inputs + [dist_box, family_box, axes_upload, family_k, max_step, n_steps],
                            [family_image, family_plot, family_summary], api_name="compare_axes")
        comparison = [overlay_plot, aniso_table, heatmap_plot, histogram_plot, isotropy_plot]
        compare = bound(h.compare_spectra)
        sweep_button.click(on_page(add_sweep), [gen_box, space_box, dist_box, n_box, seed_box],
                           [sweeps_box, report_box], api_name="run_sweep", concurrency_limit=1,
                           preprocess=False).success(compare, sweeps_box, comparison, api_name=False)
        list_button.click(refresh_sweeps, None, [sweeps_box, report_box], api_name=False)
        gr.api(sweeps_available, api_name="list_sweeps")
        compare_button.click(compare, sweeps_box, comparison, api_name="compare_spectra")
        mechanism_button.click(bound(h.mechanism), code_inputs + [dist_box],
                               [layer_plot, amplification_plot, layer_table], api_name="mechanism")
        report_button.click(on_page(make_report), report_box, report_files, api_name="build_report",
                            concurrency_limit=1)
    return demo
