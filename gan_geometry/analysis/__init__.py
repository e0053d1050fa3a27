"""Analysis over metrics: statistics, sweeps, axes and traversals (and layer-wise metrics)."""
