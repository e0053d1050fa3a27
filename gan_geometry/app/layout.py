"""The page: components and event wiring over ``handlers``.

- Engine errors become messages (``gr.Error``, text escaped, shown until closed) naming the
  problem, never tracebacks; the outputs a failed call would have replaced are cleared
  (``.failure``), so nothing stale and no "Error" badge is left behind.
- The generator menu says whether each model runs here; choosing one that cannot load keeps the
  last good one and says why (read anew on every page load: installed weights show up).
- Tables from ``gan_geometry.presentation`` become dataframes with their own headers; every control
  has one line of help and the glossary explains the statistics.
- Events whose inputs are plain numbers skip Gradio's preprocessing (``preprocess=False``) so a
  value sent as text through the API reaches the handler, which refuses it naming the field.
"""

from __future__ import annotations

import functools
import html
import logging

import gradio as gr

from gan_geometry import ITERATIVE, METHODS, GeometryError
from gan_geometry.analysis.axes import FAMILIES
from gan_geometry.app import handlers as h
from gan_geometry.app.state import AppState
from gan_geometry.core.distances import IMAGE_DISTANCES
from gan_geometry.presentation.glossary import glossary_markdown
from gan_geometry.presentation.sentences import cache_sentence
from gan_geometry.presentation.tables import Table

log = logging.getLogger("gan-geometry-lab")

INTRO = ("**In the first minute:** pick a generator (each says whether it runs here) and click a sample; "
         "**Metric** shows which latent directions change the image most; **Axes** walks and drags along them; "
         "**Compare** runs sweeps over many codes and compares models; **Report** writes a PDF. Every number comes "
         "from the `geometry` engine.")
CSS = """
#gallery .grid-container { grid-template-columns: repeat(auto-fill, minmax(88px, 1fr)) !important; }
.table-wrap, .table-container { overflow-x: auto !important; }
#explore-images { position: sticky; top: 0; z-index: 20; background: var(--body-background-fill);
                  padding: 4px 0; }
@media (max-width: 700px) {
  #explore-images { flex-wrap: wrap !important; }
  #traverse-image, #explore-image { min-width: 0 !important; width: 46% !important; flex: 1 1 40% !important; }
  #traverse-image img, #explore-image img { max-height: 150px; object-fit: contain; }
  #explore-readout { flex: 1 1 100% !important; font-size: 13px; }
  #gallery .grid-wrap { height: auto !important; max-height: none !important; }
  .tab-wrapper .tab-container button { padding-left: 6px !important; padding-right: 6px !important;
                                        font-size: 14px !important; }
}
"""


def shown(value):
    """A handler's value as a component takes it: tables as a dataframe value with headers."""
    if isinstance(value, Table):
        return {"headers": value.header, "data": value.rows}
    return value


def on_page(function):
    """``function`` as an event handler: engine errors as messages (escaped: a name in angle
    brackets stays visible), anything unexpected logged and answered with a short message, tables
    shown with their headers."""

    @functools.wraps(function)
    def handler(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except gr.Error:
            raise
        except GeometryError as err:
            raise gr.Error(html.escape(str(err), quote=False), duration=None) from None
        except Exception as err:  # the app never shows a traceback
            log.exception("unexpected error in %s", getattr(function, "__name__", function))
            message = html.escape(f"Unexpected error ({type(err).__name__}): {err}", quote=False)
            raise gr.Error(message, duration=None) from None
        return tuple(shown(v) for v in result) if isinstance(result, tuple) else shown(result)

    return handler


def cleared(outputs: list):
    """What a failed call leaves in ``outputs``: nothing (no stale result, no error badge)."""
    def clear():
        return tuple(None for _ in outputs) if len(outputs) > 1 else None
    return clear


def pick(evt: gr.SelectData):
    """Clicking tile i makes sample i current and clears a pasted or uploaded code."""
    return evt.index, ""


def current_image(side: int, elem_id: str, label: str = "Current image") -> gr.Image:
    """The current image. PNG, while the gallery's tiles are WebP: Gradio names a cached file by its
    content, so the chosen image (the same pixels as its tile) must not rewrite the tile's file
    while the browser may be reading it."""
    return gr.Image(label=label, height=side + 40, width=side + 16, interactive=False, scale=0, min_width=side + 16,
                    buttons=[], elem_id=elem_id, format="png")


def sound_player(elem_id: str, label: str) -> gr.Audio:
    """A player for a sound generator's output; hidden while the generator makes images."""
    return gr.Audio(label=label, type="numpy", interactive=False, visible=False, elem_id=elem_id,
                    buttons=["download"])


def build(state: AppState) -> gr.Blocks:
    """The interface over ``state`` (one per server)."""
    s = state.settings
    limits = s.limits
    axes_n = s.explore_axes

    def act(triggers: list, fn, inputs, outputs, **kwargs):
        """Wire ``fn`` to ``triggers`` (errors shown, ``outputs`` cleared on failure)."""
        dependency = gr.on(triggers, on_page(fn), inputs, outputs, **kwargs)
        dependency.failure(cleared(outputs), None, outputs, api_name=False)
        return dependency

    def bound(handler):  # a handler of this server's state
        return functools.partial(handler, state)

    def show_code(*inputs):
        code, index = inputs[4], inputs[3]
        image, caption, sound = h.show_code(state, *inputs)
        selected = -1 if code and str(code).strip() else int(index)  # -1: no tile (a pasted code)
        audible = sound is not None
        players = [gr.update(value=sound, visible=audible), gr.update(value=None, visible=audible), ""]
        return (image, image, image, image, caption, "", gr.update(selected_index=selected),
                *[gr.update(value=0.0, label=f"rank {i + 1}") for i in range(axes_n)], *players)

    def code_failed():
        message = "**No current code:** fix the field the message names."
        return (None, None, None, None, message, "", gr.skip(), *[gr.skip()] * axes_n, None, None, "")

    def choose_generator(gen, last, seed, dist):
        """A generator that cannot run here keeps the last good one, with a message that stays. The
        distances offered are those that apply to its output (sound or images)."""
        try:
            spaces, gallery, index, code = h.choose_generator(state, gen, seed)
        except GeometryError as err:
            gr.Warning(html.escape(f"{gen} cannot be used here: {err}", quote=False), duration=None)
            return gr.update(value=last), gr.skip(), gr.skip(), gr.skip(), gr.skip(), last, gr.skip()
        names, chosen_distance = h.distance_choices(gen, dist)
        return (gen, gr.update(choices=spaces, value=spaces[0]), gallery, index, code, gen,
                gr.update(choices=names, value=chosen_distance))

    def refresh_generators(gen):
        return gr.update(choices=h.generator_choices(state), value=gen)

    def upload_code(path, gen, space):
        return (gr.skip(), gr.skip()) if not path else h.upload_code(state, path, gen, space)

    def explorer_labels(gen, space, seed, index, code, dist, labels_text):
        """Slider labels with rank, eigenvalue and label; plain ranks where the metric cannot be had
        now (a bad field, a model over the time cap): labels never raise."""
        try:
            texts = h.slider_labels(state, gen, space, seed, index, code, dist, labels_text)
        except GeometryError:
            texts = [f"rank {i + 1}" for i in range(axes_n)]
        return [gr.update(label=text) for text in texts] + [gr.skip()] * (axes_n - len(texts))

    def explorer_range(wide):
        bound_ = 3.0 if wide else 1.0
        return [gr.update(minimum=-bound_, maximum=bound_) for _ in range(axes_n)]

    def add_sweep(gen, space, dist, n, seed, selected, progress=gr.Progress()):
        names, name = h.add_sweep(state, gen, space, dist, n, seed, lambda f, message: progress(f, desc=message))
        chosen = [*(selected or []), name] if name not in (selected or []) else list(selected)
        return gr.update(choices=names, value=chosen), gr.update(choices=names, value=chosen)

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
        gr.Markdown(INTRO + "\n\n" + cache_sentence(s.cache_bytes))
        with gr.Accordion("Glossary: what the words and numbers mean", open=False):
            gr.Markdown(glossary_markdown())
        with gr.Row():
            gen_box = gr.Dropdown(h.generator_choices(state), value="dcgan-face64", label="Generator",
                                  info="Each says whether it runs here; install weights with "
                                       "'gan-geometry install-weights'.", elem_id="generator")
            space_box = gr.Dropdown(["noise"], value="noise", label="Latent space", allow_custom_value=True,
                                    info="Which input the geometry is measured in.")
            seed_box = gr.Number(value=0, label="Seed", info="Seeds the gallery's codes.")
            index_box = gr.Number(value=0, label="Sample index (click a sample)", elem_id="sample-index",
                                  info="The gallery tile that is the current code.")
            dist_box = gr.Dropdown(list(IMAGE_DISTANCES), value="lpips-alex", label="Distance",
                                   info="The distance pulled back: LPIPS (perceptual), MSE (pixels), SSIM; for "
                                        "sound, MSE of waveforms, STFT or log-mel spectrograms.")
        last_gen = gr.State("dcgan-face64")
        caption = gr.Markdown(elem_id="code-caption")
        origin = gr.State("pasted code")
        code = [gen_box, space_box, seed_box, index_box]

        with gr.Tab("Pick"):
            with gr.Row():
                random_button = gr.Button("Random seed", variant="primary")
                upload = gr.File(label="Upload a latent code (.npy)", file_types=[".npy"], type="filepath",
                                 height=110)
            gallery = gr.Gallery(label="Samples (click one to choose it)", columns=s.gallery, height=240,
                                 allow_preview=False, elem_id="gallery")
            with gr.Row():
                code_box = gr.Textbox(label="Or paste a latent code and press Enter",
                                      info="Numbers separated by commas or spaces, as many as the latent space has.",
                                      lines=1, max_lines=1, scale=3, elem_id="code-box")
                chosen = current_image(s.view_side, "chosen-image", "Chosen image")
            current_sound = sound_player("current-sound", "Current sound (its spectrogram is the image)")
        code_inputs = code + [code_box]

        with gr.Tab("Metric"):
            with gr.Row():
                compute_image = current_image(s.view_side, "compute-image")
                with gr.Column():
                    with gr.Row():
                        method_box = gr.Dropdown(list(METHODS), value="exact", label="Method",
                                                 info="exact: all eigenpairs, fastest; topk / lanczos: the top k "
                                                      "only; bp: the paper's double back-propagation.")
                        k_box = gr.Slider(1, 50, value=10, step=1, label="k (top-k methods)", visible=False,
                                          info="How many top eigenpairs to compute.")
                    compute_button = gr.Button("Compute metric", variant="primary")
                    summary_box = gr.Markdown(elem_id="compute-summary")
            spectrum_plot = gr.Plot(label="Spectrum", elem_id="spectrum")
            with gr.Row():
                eig_table = gr.Dataframe(headers=["rank", "eigenvalue"], label="Top eigenvalues (rank 1 = largest)",
                                         max_height=300, elem_id="eig-table")
                result_file = gr.File(label="Result (metric.npz + provenance.json)")

        with gr.Tab("Axes") as traverse_tab:
            with gr.Row(elem_id="explore-images"):  # stays in view while the sliders below are dragged
                traverse_image = current_image(s.view_side, "traverse-image", "Original (current code)")
                explore_image = gr.Image(label="Edited image", height=s.view_side + 40, width=s.view_side + 16,
                                         interactive=False, scale=0, min_width=s.view_side + 16, buttons=[],
                                         elem_id="explore-image")
                readout = gr.Markdown(elem_id="explore-readout")
            edited_sound = sound_player("edited-sound", "Edited sound")
            labels_box = gr.Textbox(label="Axis labels", placeholder="1=pose, 2=light",
                                    info="Name eigen-axes by rank; shown on the sliders and montage rows.")
            with gr.Accordion("Explore the top eigen-axes live (drag a slider)", open=True):
                with gr.Row():
                    axes_k = gr.Slider(1, axes_n, value=5, step=1, label="Axes",
                                       info="How many top eigen-axes have sliders.")
                    explore_scaled = gr.Checkbox(value=True, label="Units of λ^-1/2",
                                                 info="Each unit predicts the same image change on every axis "
                                                      "(off: latent units).")
                    wide_box = gr.Checkbox(value=False, label="Wide range (±3)",
                                           info="The default ±1 stays near the image manifold.")
                sliders = [gr.Slider(-1, 1, value=0, step=0.05, label=f"rank {i + 1}", visible=i < 5,
                                     elem_id=f"axis-{i}") for i in range(axes_n)]
                with gr.Row():
                    reset_button = gr.Button("Reset")
                    download_button = gr.Button("Download edited code (.npy)")
                edited_file = gr.File(label="Edited code", elem_id="edited-code", height=80, interactive=False,
                                      visible=False)
            with gr.Row():
                ranks_box = gr.Textbox(value="1, 2, 3, 6, 11", label="Eigen-ranks (1 = top)",
                                       info="Rows of the montage.")
                max_step = gr.Number(value=3.0, label="Largest step", info="Steps run from −this to +this.")
                n_steps = gr.Slider(2, limits["steps"], value=7, step=1, label="Steps", info="Columns.")
            with gr.Row():
                mode_box = gr.Radio(["linear", "spherical"], value="linear", label="Path",
                                    info="spherical keeps |z| (steps in radians).")
                scaled_box = gr.Checkbox(label="Scale steps by 1/√λ", info="Every row reaches the same predicted "
                                                                           "distance.")
                montage_button = gr.Button("Make montage", variant="primary")
            montage_image = gr.Image(label="Montage", type="numpy", elem_id="montage")
            montage_sounds = gr.HTML(elem_id="montage-sounds")  # a player per row, for a sound generator
            curves_plot = gr.Plot(label="Distance along each axis", elem_id="curves")
            with gr.Accordion("Apply an axis to other reference codes", open=False):
                with gr.Row():
                    rank_box = gr.Number(value=1, precision=0, label="Rank", info="1 = top.")
                    refs_box = gr.Slider(1, limits["references"], value=4, step=1, label="References")
                    refs_button = gr.Button("Apply to references")
                refs_image = gr.Image(label="Same axis, other codes", type="numpy")
            with gr.Accordion("Compare with SeFa / PCA / uploaded axes", open=False):
                with gr.Row():
                    family_box = gr.Radio(list(FAMILIES), value="sefa", label="Family",
                                          info="SeFa: first-layer weights; PCA: activations (GANSpace); file: yours.")
                    axes_upload = gr.File(label="Axes file (.npy or .csv)", file_types=[".npy", ".csv"],
                                          type="filepath")
                    family_k = gr.Slider(1, limits["ranks"], value=8, step=1, label="k")
                    family_button = gr.Button("Compare axes")
                family_summary = gr.Markdown()
                family_image = gr.Image(label="Axes | purified axes", type="numpy")
                family_plot = gr.Plot(label="Projection power on the eigenvectors")

        with gr.Tab("Compare"):
            with gr.Row():
                n_box = gr.Slider(2, limits["positions"], value=10, step=1, label="Positions N",
                                  info="Codes sampled with the current seed.")
                sweep_button = gr.Button("Run sweep (current generator, space, distance, seed)", variant="primary")
            with gr.Row():
                sweeps_box = gr.Dropdown([], multiselect=True, label="Sweeps to compare", allow_custom_value=True,
                                         scale=4, info="A new sweep is added to the selection.")
                list_button = gr.Button("Refresh list", scale=1)
            compare_button = gr.Button("Compare")
            overlay_plot = gr.Plot(label="Spectra", elem_id="overlay")
            aniso_table = gr.Dataframe(label="Dimensions holding each fraction of the spectrum (mean ± std), and "
                                             "homogeneity (see the glossary)", elem_id="models-table")
            heatmap_plot = gr.Plot(label="Consistency matrix (first sweep)", elem_id="heatmap")
            histogram_plot = gr.Plot(label="Consistency histograms (first sweep)", elem_id="histograms")
            isotropy_plot = gr.Plot(label="Illusion of isotropy (first sweep)")
            with gr.Accordion("Mechanism at the current code: layer metrics, amplification, shuffled control",
                              open=False):
                mechanism_button = gr.Button("Analyse the layers")
                layer_table = gr.Dataframe(label="Each layer's metric and the image metric, original against "
                                                 "weight-shuffled", elem_id="layer-table")
                layer_plot = gr.Plot(label="Spectra by layer", elem_id="layer-spectra")
                amplification_plot = gr.Plot(label="Amplification of the first layer's eigenvectors")

        with gr.Tab("Report"):
            report_box = gr.Dropdown([], multiselect=True, label="Sweeps to report on", allow_custom_value=True,
                                     info="The first in full; the others compared with it.")
            report_button = gr.Button("Build report (PDF + HTML)", variant="primary")
            report_files = gr.File(label="Report", file_count="multiple", elem_id="report-files")

        views = [chosen, compute_image, traverse_image, explore_image, caption, readout, gallery, *sliders,
                 current_sound, edited_sound, montage_sounds]
        view_inputs = code_inputs + [origin]
        gallery_outputs = [gallery, index_box, code_box]
        labels_inputs = code_inputs + [dist_box, labels_box]

        def then_show(dependency):
            """After ``dependency``: the current image, caption and gallery highlight on every tab."""
            shown_ = dependency.then(on_page(show_code), view_inputs, views, api_name=False)
            shown_.failure(code_failed, None, views, api_name=False)
            return shown_

        sample = bound(h.sample)
        then_show(gen_box.select(choose_generator, [gen_box, last_gen, seed_box, dist_box],
                                [gen_box, space_box, *gallery_outputs, last_gen, dist_box], api_name=False))
        then_show(random_button.click(h.random_seed, None, seed_box, api_name=False).then(
            on_page(sample), [gen_box, space_box, seed_box], gallery_outputs, api_name=False))
        then_show(act([seed_box.submit, seed_box.blur, space_box.input, demo.load], sample,
                      [gen_box, space_box, seed_box], gallery_outputs, api_name="sample"))
        demo.load(refresh_sweeps, None, [sweeps_box, report_box], api_name=False)
        demo.load(refresh_generators, gen_box, gen_box, api_name=False)
        then_show(gallery.select(pick, None, [index_box, code_box], api_name=False))
        then_show(act([upload.upload], upload_code, [upload, gen_box, space_box], [code_box, origin],
                      api_name=False))
        code_box.input(lambda: "pasted code", None, origin, api_name=False)
        shown = gr.on([code_box.submit, index_box.submit, index_box.blur], on_page(show_code), view_inputs, views,
                      api_name=False)
        shown.failure(code_failed, None, views, api_name=False)
        method_box.change(lambda method: gr.update(visible=method in ITERATIVE), method_box, k_box, api_name=False)
        act([compute_button.click], bound(h.compute), code_inputs + [dist_box, method_box, k_box],
            [spectrum_plot, summary_box, eig_table, result_file], api_name="compute_metric", preprocess=False)
        act([montage_button.click], bound(h.montage),
            code_inputs + [dist_box, ranks_box, max_step, n_steps, mode_box, scaled_box, labels_box],
            [montage_image, curves_plot, montage_sounds], api_name="traverse", preprocess=False)
        explore_inputs = code_inputs + [dist_box, explore_scaled, axes_k, *sliders]
        explore = bound(h.explore_axes)
        # slider moves skip the queue (answered at once, never behind sweeps or reports; about 12 ms of work)
        act([slider.input for slider in sliders] + [explore_scaled.input], explore, explore_inputs,
            [explore_image, readout, edited_sound], api_name="explore", trigger_mode="always_last", preprocess=False,
            queue=False, show_progress="hidden")
        gr.on([labels_box.submit, labels_box.blur, traverse_tab.select], explorer_labels, labels_inputs, sliders,
              api_name=False)
        # labels kept by the command line (traverse --keep-labels) for this generator, space and distance
        gr.on([demo.load, gen_box.select, space_box.input, dist_box.input],
              on_page(lambda gen, space, dist: h.kept_labels(state, gen, space, dist)), [gen_box, space_box, dist_box],
              labels_box, api_name=False)
        axes_k.input(lambda k: [gr.update(visible=i < int(k)) for i in range(axes_n)], axes_k, sliders,
                     api_name=False)
        wide_box.input(explorer_range, wide_box, sliders, api_name=False)
        act([reset_button.click], lambda: [0.0] * axes_n, None, sliders, api_name=False).then(
            on_page(explore), explore_inputs, [explore_image, readout, edited_sound], api_name=False,
            preprocess=False)
        act([download_button.click], bound(h.download_code), explore_inputs, edited_file, api_name="download_code",
            preprocess=False).success(lambda: gr.update(visible=True), None, edited_file, api_name=False)
        act([refs_button.click], bound(h.references),
            code_inputs + [dist_box, rank_box, refs_box, max_step, n_steps, mode_box], refs_image,
            api_name="apply_to_references", preprocess=False)
        act([family_button.click], bound(h.families),
            code_inputs + [dist_box, family_box, axes_upload, family_k, max_step, n_steps],
            [family_image, family_plot, family_summary], api_name="compare_axes")
        comparison = [overlay_plot, aniso_table, heatmap_plot, histogram_plot, isotropy_plot]
        compare = bound(h.compare_spectra)
        act([sweep_button.click], add_sweep, [gen_box, space_box, dist_box, n_box, seed_box, sweeps_box],
            [sweeps_box, report_box], api_name="run_sweep", concurrency_id="sweeps", concurrency_limit=1,
            preprocess=False).success(on_page(compare), sweeps_box, comparison, api_name=False)
        list_button.click(refresh_sweeps, None, [sweeps_box, report_box], api_name=False)
        gr.api(sweeps_available, api_name="list_sweeps")
        act([compare_button.click], compare, sweeps_box, comparison, api_name="compare_spectra")
        act([mechanism_button.click], bound(h.mechanism), code_inputs + [dist_box],
            [layer_plot, amplification_plot, layer_table], api_name="mechanism")
        act([report_button.click], make_report, report_box, report_files, api_name="build_report",
            concurrency_id="reports", concurrency_limit=1)
    return demo
