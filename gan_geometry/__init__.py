"""GAN Geometry Lab engine: the Riemannian metric of a generator's latent space.

    from gan_geometry import load_generator, load_distance, metric_tensor, MetricResult
    G = load_generator("dcgan-face64")
    D = load_distance("lpips-alex")
    m = metric_tensor(G, D, G.sample(1, seed=0)[0], method="exact")   # m.H (n, n), m.eigvals, m.eigvecs

Bring your own model or distance:

    G = from_module(my_net, latent_dim=128, image_shape=(3, 64, 64),
                    distribution=LatentDistribution(scale=0.7, bound=2.0))
    class MyDistance(FeatureDistance):          # D(x0, x) = ||features(x) - features(x0)||^2
        def features(self, x): ...              # (N, C, H, W) in [0, 1] -> (N, F)
    register(GeneratorEntry(...))               # then load_generator, sweeps, the CLI and Ray find it

Many positions and their statistics:

    sweep = run_sweep("results/face", G, D, n=100, seed=0)    # resumable; load_sweep(folder) reopens
    s = sweep.summary()                                       # SweepSummary: spectrum, anisotropy, C^H, ...

Everything not listed in ``__all__`` is internal and may change.
"""

from gan_geometry.analysis.statistics import SweepSummary, summarise
from gan_geometry.analysis.sweeps import Sweep, load_sweep, run_sweep
from gan_geometry.core.distances import DISTANCE_NAMES, Distance, FeatureDistance, load_distance
from gan_geometry.core.generators import ConcatDistribution, Generator, LatentDistribution, from_module
from gan_geometry.core.methods import ITERATIVE, METHODS
from gan_geometry.core.metric import MetricResult, metric_tensor
from gan_geometry.core.pullback import Pullback
from gan_geometry.errors import GeometryError, ResourceError, WeightsUnavailableError
from gan_geometry.registry import REGISTRY, GeneratorEntry, load_generator, register
from gan_geometry.version import __version__

__all__ = [
    "DISTANCE_NAMES",
    "ITERATIVE",
    "METHODS",
    "REGISTRY",
    "ConcatDistribution",
    "Distance",
    "FeatureDistance",
    "GeneratorEntry",
    "GeometryError",
    "Generator",
    "LatentDistribution",
    "MetricResult",
    "Pullback",
    "ResourceError",
    "Sweep",
    "SweepSummary",
    "WeightsUnavailableError",
    "__version__",
    "from_module",
    "load_distance",
    "load_generator",
    "load_sweep",
    "metric_tensor",
    "register",
    "run_sweep",
    "summarise",
]
