"""Builders of the registered generators, one module per model family (see geometry.registry)."""
