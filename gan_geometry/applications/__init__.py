"""Using the geometry: inversion and search in eigenbases, shorter curves."""
