"""Reports (extra ``[report]``): saved results -> self-contained HTML and PDF (Jinja2 + WeasyPrint).

``builder.build_report`` collects one section per module of ``sections`` over a shared context and
renders them; ``figures`` holds the plotly figures the app shares; ``command`` is ``gan-geometry
report``. Importing this package loads nothing heavy: jinja2, plotly and weasyprint load when a
report is built.
"""
