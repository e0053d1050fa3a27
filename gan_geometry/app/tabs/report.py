"""Report: the sweeps to report on (the newest preselected when the page opens, so a fresh page can
build at once), and the PDF and HTML to download. Build stays disabled while nothing is chosen."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from gan_geometry.app import handlers as h
from gan_geometry.app.page import Page


@dataclass
class ReportTab:
    selection: gr.Dropdown
    build: gr.Button
    hint: gr.Markdown
    files: gr.File


NO_SWEEPS = "No sweep yet: run one in the **Compare** tab (a few seconds for N = 10), then come back."


def build(page: Page) -> ReportTab:
    with gr.Tab("Report"):
        selection = gr.Dropdown([], multiselect=True, label="Sweeps to report on", allow_custom_value=True,
                                elem_id="report-sweeps", info="The first in full; the others compared with it.")
        hint = gr.Markdown(NO_SWEEPS, elem_id="report-hint")
        build_button = gr.Button("Build report (PDF + HTML)", variant="primary", interactive=False,
                                 elem_id="report-button")
        files = gr.File(label="Report", file_count="multiple", elem_id="report-files")
    return ReportTab(selection, build_button, hint, files)


def readiness(selected) -> dict:
    """Build is clickable once a sweep is chosen; the hint says what is missing."""
    chosen = bool(selected)
    return gr.update(interactive=chosen), ("" if chosen else NO_SWEEPS)


def wire(page: Page, tab: ReportTab) -> None:
    state = page.state

    def newest():
        names = h.sweeps_available(state)
        return gr.update(choices=names, value=names[:1])

    def make_report(selected, progress=gr.Progress()):
        return h.make_report(state, selected, lambda f, message: progress(f, desc=message))

    page.demo.load(newest, None, tab.selection, api_name=False).then(
        readiness, tab.selection, [tab.build, tab.hint], api_name=False)
    tab.selection.change(readiness, tab.selection, [tab.build, tab.hint], api_name=False)
    page.act([tab.build.click], make_report, tab.selection, tab.files, api_name="build_report",
             concurrency_id="reports", concurrency_limit=1)
