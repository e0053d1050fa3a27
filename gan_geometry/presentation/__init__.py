"""One presentation layer: result objects in, tables and sentences out. The app, the command line
and the report only render what these modules return; none of them formats a number.

- ``formats``: one precision per quantity, the only place a number becomes text (also used by the
  engine for the labels it draws into montages);
- ``tables``: ``Table`` objects (caption, header, rows, units, a note for what cannot be given)
  from sweeps, summaries, layer analyses, distance curves, axis families and application runs;
- ``sentences``: what a spectrum, a comparison or a run says, in one set of words;
- ``glossary``: one line of help per statistic.
"""
