"""The page: a header, the controls every tab shares (``page.Page``) and one module per tab
(``tabs``), wired together here.

- The generator menu says whether each model runs here; choosing one that cannot load keeps the
  last good one and says why (the menu is read anew on every page load: installed weights show up).
- Choosing a code anywhere (gallery, seed, pasted or uploaded) updates every view of it at once:
  the output on each tab, its player for sound, the caption, the gallery's highlight, and resets
  the explorer.
- The page opens on the default view already computed: the server computed it at start-up.
"""

from __future__ import annotations

import html

import gradio as gr

from gan_geometry import GeometryError
from gan_geometry.app import handlers as h
from gan_geometry.app.page import Page, on_page
from gan_geometry.app.state import AppState
from gan_geometry.app.tabs import axes, compare, metric, pick, report
from gan_geometry.presentation.glossary import glossary_markdown
from gan_geometry.presentation.sentences import cache_sentence
from gan_geometry.registry import REGISTRY

DEFAULT_GENERATOR = "dcgan-face64"
INTRO = ("**In the first minute:** pick a generator (each says whether it runs here) and click a sample; "
         "**Metric** shows which latent directions change the output most; **Axes** walks and drags along them; "
         "**Compare** runs sweeps over many codes and compares models; **Report** writes a PDF. Every number comes "
         "from the `gan_geometry` engine.")
NO_CODE = "**No current code:** fix the field the message names."
CSS = """
.gradio-container { overflow: clip !important; }  /* hidden would make it the sticky explorer's scroller */
#gallery .grid-wrap { padding-top: 30px; height: auto !important; max-height: none !important;
                     min-height: 0 !important; }
#gallery { height: auto !important; }
.table-wrap, .table-container { overflow-x: auto !important; }
#compute-button { font-size: 1.15em; }
#explore-images { position: sticky; top: 0; z-index: 20; background: var(--body-background-fill);
                  padding: 4px 0; align-self: flex-start; }
@media (max-width: 700px) {
  #explorer { flex-direction: column !important; }
  #explore-images { width: 100% !important; }
  #explore-images .row { flex-wrap: nowrap !important; }
  #traverse-image, #explore-image { min-width: 0 !important; width: 48% !important; flex: 1 1 45% !important; }
  #traverse-image img, #explore-image img { max-height: 120px; object-fit: contain; }
  #explore-readout { font-size: 13px; line-height: 1.3; min-height: 124px; }  /* room kept: sliders stay put */
  #explore-readout p { margin: 0 0 4px 0 !important; }
  #explore-readout p:nth-child(n+3) { display: none; }  /* on a phone: the distances and the moves only */
  #units, #units label, #units span { white-space: normal; word-break: normal; min-width: 0 !important; }
  .block:has(> div .js-plotly-plot), .block:has(.js-plotly-plot) { overflow-x: auto !important; }
  .js-plotly-plot { min-width: 620px; }  /* figures keep their layout and scroll sideways on a phone */
  #traverse-image, #explore-image, #traverse-image .image-container, #explore-image .image-container {
    height: auto !important; }
  .tab-wrapper .tab-container button { padding-left: 6px !important; padding-right: 6px !important;
                                        font-size: 14px !important; }
}
"""


def header(state: AppState) -> None:
    gr.Markdown("# GAN Geometry Lab\nThe Riemannian metric of a GAN's latent space, pulled back from an image "
                "distance: which directions change the output most, how anisotropic and homogeneous the space is.")
    gr.Markdown(INTRO + "\n\n" + cache_sentence(state.settings.cache_bytes))
    with gr.Accordion("Glossary: what the words and numbers mean", open=False):
        gr.Markdown(glossary_markdown())


def controls(state: AppState, demo: gr.Blocks) -> Page:
    """The controls every tab reads: generator, latent space, seed, sample index and distance."""
    with gr.Row():
        generator = gr.Dropdown(h.generator_choices(state), value=DEFAULT_GENERATOR, label="Generator",
                                info="Each says whether it runs here; install weights with "
                                     "'gan-geometry install-weights'.", elem_id="generator")
        space = gr.Dropdown(["noise"], value="noise", label="Latent space", allow_custom_value=True,
                            info="Which input the geometry is measured in.")
        seed = gr.Number(value=0, label="Seed", info="Seeds the gallery's codes.")
        index = gr.Number(value=0, label="Sample index (click a sample)", elem_id="sample-index",
                          info="The gallery tile that is the current code.")
        distance = gr.Dropdown(h.distance_choices(DEFAULT_GENERATOR, "lpips-alex")[0], value="lpips-alex",
                               label="Distance", info="The distance pulled back: LPIPS (perceptual), MSE (pixels), "
                                                      "SSIM; for sound, MSE of waveforms or of spectrograms.")
    caption = gr.Markdown(elem_id="code-caption")
    return Page(state, demo, generator, space, seed, index, distance, caption, gr.State(DEFAULT_GENERATOR),
                gr.State("pasted code"))


def refresher(page: Page, pick_tab: pick.PickTab, axes_tab: axes.AxesTab) -> tuple:
    """(function, outputs, on failure) for every view of the current code (``Page.refresh``)."""
    probe = axes.reset_on_code_change(axes_tab, None)
    outputs = [page.caption, pick_tab.gallery, *(c for c, (kind, _) in page.views.items() if kind != "label"),
               *probe]

    def shown(gen, space, seed, index, code, origin):
        views = page.code_changed(gen, space, seed, index, code, origin)
        pasted = bool(code and str(code).strip())
        return {**views, pick_tab.gallery: gr.update(selected_index=-1 if pasted else int(index)),
                **axes.reset_on_code_change(axes_tab, views[axes_tab.original])}

    def failed():
        return {page.caption: NO_CODE, **{c: None for c in outputs if c not in (page.caption, pick_tab.gallery)}}

    return shown, outputs, failed


def wire_generator(page: Page, pick_tab: pick.PickTab) -> None:
    """Choosing a generator: its spaces, gallery and distances, the views named for its output; one
    that cannot run here keeps the last good one, with a message that stays."""
    state = page.state
    gallery_outputs = [pick_tab.gallery, page.index, page.code]
    labelled = list(page.views)

    def choose(gen, last, seed, dist):
        try:
            spaces, gallery, index, code = h.choose_generator(state, gen, seed)
        except GeometryError as err:
            gr.Warning(html.escape(f"{gen} cannot be used here: {err}", quote=False), duration=None)
            return {page.generator: gr.update(value=last)}
        names, chosen = h.distance_choices(gen, dist)
        return {page.generator: gen, page.space: gr.update(choices=spaces, value=spaces[0]),
                pick_tab.gallery: gallery, page.index: index, page.code: code, page.last_generator: gen,
                page.distance: gr.update(choices=names, value=chosen),
                **page.relabel(bool(REGISTRY[gen].sample_rate))}

    page.then_show(page.generator.select(
        on_page(choose), [page.generator, page.last_generator, page.seed, page.distance],
        [page.generator, page.space, *gallery_outputs, page.last_generator, page.distance, *labelled],
        api_name=False))
    page.demo.load(lambda gen: gr.update(choices=h.generator_choices(state), value=gen), page.generator,
                   page.generator, api_name=False)


def build(state: AppState) -> gr.Blocks:
    """The interface over ``state`` (one per server)."""
    s = state.settings
    with gr.Blocks(title="GAN Geometry Lab", delete_cache=(s.download_age, s.download_age)) as demo:
        header(state)
        page = controls(state, demo)
        pick_tab, metric_tab, axes_tab = pick.build(page), metric.build(page), axes.build(page)
        compare_tab, report_tab = compare.build(page), report.build(page)
        page.refresh = refresher(page, pick_tab, axes_tab)
        wire_generator(page, pick_tab)
        pick.wire(page, pick_tab)
        metric.wire(page, metric_tab)
        axes.wire(page, axes_tab)
        compare.wire(page, compare_tab, report_tab.selection)
        report.wire(page, report_tab)

        def list_sweeps() -> list[str]:
            return h.sweeps_available(state)

        gr.api(list_sweeps, api_name="list_sweeps")
    return demo
