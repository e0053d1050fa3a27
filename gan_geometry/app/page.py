"""What every tab of the page shares: the controls that say which code is current, how events are
wired (errors as messages, outputs cleared on failure, tables shown with their headers), and the
views of the current output that each tab registers.

- Engine errors become messages (``gr.Error``, text escaped, shown until closed) naming the
  problem, never tracebacks; the outputs a failed call would have replaced are cleared
  (``.failure``), so nothing stale and no "Error" badge is left behind.
- Events whose inputs are plain numbers skip Gradio's preprocessing (``preprocess=False``) so a
  value sent as text through the API reaches the handler, which refuses it naming the field.
- Handlers return named outputs: a dict from component to value (``Page.views`` and each tab's
  dataclass of components), never a tuple that must line up with a separate list.
"""

from __future__ import annotations

import functools
import html
import logging
from dataclasses import dataclass, field

import gradio as gr

from gan_geometry import GeometryError
from gan_geometry.app import handlers as h
from gan_geometry.app.state import AppState
from gan_geometry.presentation.tables import Table

log = logging.getLogger("gan-geometry-lab")


def shown(value):
    """A handler's value as a component takes it: tables as a dataframe value with headers."""
    if isinstance(value, Table):
        return {"headers": value.header, "data": value.rows}
    return value


def on_page(function):
    """``function`` as an event handler: engine errors as messages (escaped: a name in angle
    brackets stays visible), anything unexpected logged and answered with a short message, tables
    shown with their headers (in tuples and in dicts of named outputs)."""

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
        if isinstance(result, dict):
            return {component: shown(value) for component, value in result.items()}
        return tuple(shown(v) for v in result) if isinstance(result, tuple) else shown(result)

    return handler


def cleared(outputs: list):
    """What a failed call leaves in ``outputs``: nothing (no stale result, no error badge)."""
    def clear():
        return tuple(None for _ in outputs) if len(outputs) > 1 else None
    return clear


def current_image(side: int, elem_id: str, label: str) -> gr.Image:
    """A view of the current output. PNG, while the gallery's tiles are WebP: Gradio names a cached
    file by its content, so the chosen image (the same pixels as its tile) must not rewrite the
    tile's file while the browser may be reading it."""
    return gr.Image(label=label, height=side + 40, width=side + 16, interactive=False, scale=0, min_width=side + 16,
                    buttons=[], elem_id=elem_id, format="png")


def sound_player(elem_id: str, label: str) -> gr.Audio:
    """A player for a sound generator's output; hidden while the generator makes images."""
    return gr.Audio(label=label, type="numpy", interactive=False, visible=False, elem_id=elem_id,
                    buttons=["download"])


@dataclass
class Page:
    """The shared controls (which generator, space, seed, sample, pasted code and distance), the
    caption naming the current code, and the views of it each tab adds (``views``: component ->
    what it shows: "image" for the current output, "sound" for its player)."""

    state: AppState
    demo: gr.Blocks
    generator: gr.Dropdown
    space: gr.Dropdown
    seed: gr.Number
    index: gr.Number
    distance: gr.Dropdown
    caption: gr.Markdown
    last_generator: gr.State
    origin: gr.State
    code: gr.Textbox | None = None  # the pasted code's box, on the Pick tab
    views: dict = field(default_factory=dict)  # component -> (kind, labels): ``show``
    refresh: tuple | None = None  # (function, outputs, on failure) updating every view of the code: ``layout``

    @property
    def code_inputs(self) -> list:
        return [self.generator, self.space, self.seed, self.index, self.code]

    def bound(self, handler):
        """A handler of this server's state."""
        return functools.partial(handler, self.state)

    def act(self, triggers: list, fn, inputs: list, outputs: list, **kwargs):
        """Wire ``fn`` to ``triggers``: errors shown as messages, ``outputs`` cleared on failure."""
        dependency = gr.on(triggers, on_page(fn), inputs, outputs, **kwargs)
        dependency.failure(cleared(outputs), None, outputs, api_name=False)
        return dependency

    def then_show(self, dependency):
        """After ``dependency`` (which changed the code): every view of the current code."""
        return self._refreshed(dependency.then)

    def show_on(self, triggers: list):
        """On ``triggers``: every view of the current code."""
        return self._refreshed(lambda *args, **kwargs: gr.on(triggers, *args, **kwargs))

    def _refreshed(self, wire):
        function, outputs, failed = self.refresh
        shown_ = wire(on_page(function), [*self.code_inputs, self.origin], outputs, api_name=False)
        shown_.failure(failed, None, outputs, api_name=False)
        return shown_

    def show(self, kind: str, component, labels: tuple[str, str] | None = None) -> None:
        """Register a view of the current code (``kind``: "image" or "sound", or "label" for a view
        that is only named after the output); ``labels``: what it
        is called for an image generator and for a sound generator (the image is then the sound's
        spectrogram)."""
        self.views[component] = (kind, labels)

    def relabel(self, audible: bool) -> dict:
        """Every labelled view named for the current generator's output (images or sounds)."""
        return {component: gr.update(label=labels[int(audible)])
                for component, (_, labels) in self.views.items() if labels}

    def code_changed(self, gen, space, seed, index, code, origin) -> dict:
        """Every view of the current code: the output (a sound's spectrogram) on each tab, its
        player, and the caption."""
        image, caption, sound = h.show_code(self.state, gen, space, seed, index, code, origin)
        audible = sound is not None
        shown_ = {self.caption: caption}
        for component, (kind, _) in self.views.items():
            if kind != "label":  # "label": only named here (its content is the tab's own)
                shown_[component] = image if kind == "image" else gr.update(value=sound, visible=audible)
        return shown_
