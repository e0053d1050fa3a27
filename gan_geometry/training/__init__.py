"""Training a generator this project can ship: ``wavegan-notes``, a WaveGAN trained on
synthesised piano-like notes (``notes``) with the WGAN-GP objective (``wavegan``).
``python -m gan_geometry.training --help``."""
