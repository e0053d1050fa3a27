"""Builders of the registered generators, one module per model family (see gan_geometry.registry)."""
