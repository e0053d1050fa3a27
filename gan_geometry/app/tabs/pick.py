"""Pick: the generator's gallery, a random seed, a pasted or uploaded code, and the chosen output
(with its player for sound); beside the gallery so both are in view at 1280 x 900."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from gan_geometry.app import handlers as h
from gan_geometry.app.page import Page, current_image, on_page, sound_player


@dataclass
class PickTab:
    gallery: gr.Gallery
    random: gr.Button
    upload: gr.File
    chosen: gr.Image
    player: gr.Audio
    target: gr.Dropdown
    hub: gr.Textbox
    install: gr.Button
    installed: gr.Markdown


def build(page: Page) -> PickTab:
    s = page.state.settings
    with gr.Tab("Pick"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                gallery = gr.Gallery(label="Samples: click one to choose it", columns=4, height="auto",
                                     allow_preview=False, elem_id="gallery", show_label=True)
                with gr.Row():
                    random = gr.Button("Random seed", variant="secondary", size="sm", scale=0, min_width=120)
                    page.code = gr.Textbox(label="Or paste a latent code and press Enter",
                                           info="Numbers separated by commas or spaces, as many as the latent space "
                                                "has.", lines=1, max_lines=1, scale=3, elem_id="code-box")
                upload = gr.File(label="Upload a latent code (.npy)", file_types=[".npy"], type="filepath", height=90)
            with gr.Column(scale=2, min_width=220):
                chosen = current_image(s.view_side, "chosen-image", "Chosen output")
                player = sound_player("current-sound", "Current sound")
        with gr.Accordion("Install weights from the Hugging Face Hub", open=False):
            with gr.Row():
                target = gr.Dropdown(h.installable(), label="Generator", elem_id="hub-generator", scale=1,
                                     info="The generators that take a weights file.")
                hub = gr.Textbox(label="Hub address", elem_id="hub-address",
                                 placeholder="hf://OWNER/REPO/PATH or hf://OWNER/REPO/PATH@REVISION", scale=3,
                                 info="Checked as 'gan-geometry install-weights' checks a file, then cached.")
                install = gr.Button("Install", scale=1)
            installed = gr.Markdown(elem_id="hub-installed")
    page.show("image", chosen, ("Chosen output", "Chosen sound: its spectrogram"))
    page.show("sound", player)
    return PickTab(gallery, random, upload, chosen, player, target, hub, install, installed)


def pick(evt: gr.SelectData):
    """Clicking tile i makes sample i current and clears a pasted or uploaded code."""
    return evt.index, ""


def wire(page: Page, tab: PickTab) -> None:
    """The gallery and the ways to choose a code; every view follows the code they choose."""
    gallery_outputs = [tab.gallery, page.index, page.code]
    sample = page.bound(h.sample)
    page.then_show(page.act([page.seed.submit, page.seed.blur, page.space.input, page.demo.load], sample,
                       [page.generator, page.space, page.seed], gallery_outputs, api_name="sample"))
    page.then_show(tab.random.click(h.random_seed, None, page.seed, api_name=False).then(
        on_page(sample), [page.generator, page.space, page.seed], gallery_outputs, api_name=False))
    page.then_show(tab.gallery.select(pick, None, [page.index, page.code], api_name=False))

    def upload_code(path, gen, space):
        return (gr.skip(), gr.skip()) if not path else h.upload_code(page.state, path, gen, space)

    page.then_show(page.act([tab.upload.upload], upload_code, [tab.upload, page.generator, page.space],
                       [page.code, page.origin], api_name=False))
    page.code.input(lambda: "pasted code", None, page.origin, api_name=False)

    page.act([tab.install.click], h.install_from_hub, [tab.target, tab.hub], tab.installed,
             api_name="install_weights").success(  # the menu now says the generator runs here
        lambda: gr.update(choices=h.generator_choices(page.state)), None, page.generator, api_name=False)
    page.show_on([page.code.submit, page.index.submit, page.index.blur])
