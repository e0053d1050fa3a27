"""What every report section reads: the sweep, its statistics, and the models that made it, each
computed or loaded once however many sections use it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from gan_geometry.analysis.statistics import SweepSummary
from gan_geometry.analysis.sweeps import Sweep, load_sweep
from gan_geometry.errors import GeometryError, WeightsUnavailableError
from gan_geometry.presentation import tables


@dataclass
class ReportContext:
    """The results ``directory`` (a completed sweep, which may also hold axes/, compare/,
    montages/, layers/ and applications/), the sweeps of other models to compare (``models``) and
    the bootstrap resamples of the headline intervals (``n_boot``)."""

    directory: Path
    models: tuple[Path, ...] = ()
    n_boot: int = 1000

    @functools.cached_property
    def sweep(self) -> Sweep:
        return load_sweep(self.directory)

    @functools.cached_property
    def summary(self) -> SweepSummary:
        return self.sweep.summary(n_boot=self.n_boot)

    @functools.cached_property
    def row(self) -> tables.ModelRow:
        return tables.model_row(tables.sweep_label(self.sweep.settings), self.sweep, self.summary)

    @functools.cached_property
    def models_loaded(self):
        """(generator, distance) of the sweep, built once; None where they cannot be loaded here
        (weights absent): sections that need them are then left out or show what was saved."""
        from gan_geometry import load_distance, load_generator

        s = self.sweep.settings
        try:
            return (load_generator(s["generator"], space=s["space"], **(s.get("generator_options") or {})),
                    load_distance(s["distance"]))
        except (GeometryError, WeightsUnavailableError):
            return None
