"""Experiment trackers: a sweep's, a metric's, a layer sweep's and a montage's numbers and pictures
sent to TensorBoard (``--tensorboard DIR``) and Weights & Biases (``--wandb PROJECT``).

Every tracker takes the same four calls (``Tracker``); ``records`` says what is logged for each
kind of result, once, for every tracker:

- scalars: every statistic of a summary (``stats --json``'s numbers), and per position
  (step = position) its top eigenvalue, effective rank and dimensions holding 99 %;
- images: the spectrum, the montage, the consistency heatmap;
- histograms: the eigenvalue spectra (log10);
- text: the settings.

Both libraries are optional extras (``pip install 'gan-geometry-lab[trackers]'``), imported only
when a tracker is asked for.

    from gan_geometry.trackers import open_trackers, log_sweep
    with open_trackers(tensorboard="runs/face", wandb=None, name="face-lpips") as tracker:
        log_sweep(tracker, sweep)
"""

from gan_geometry.trackers.base import Tracker, Trackers, open_trackers
from gan_geometry.trackers.records import log_layers, log_metric, log_montage, log_sweep

__all__ = ["Tracker", "Trackers", "open_trackers", "log_layers", "log_metric", "log_montage", "log_sweep"]
