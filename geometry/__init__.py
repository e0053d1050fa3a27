"""GAN Geometry Lab engine: the Riemannian metric of a generator's latent space.

    from geometry import load_generator, load_distance, metric_tensor, MetricResult
    G = load_generator("dcgan-face64")
    D = load_distance("lpips-alex")
    m = metric_tensor(G, D, G.sample(1, seed=0)[0], method="exact")
"""

from geometry.core.distances import DISTANCE_NAMES, load_distance
from geometry.core.generators import Generator, from_module
from geometry.core.methods import ITERATIVE, METHODS
from geometry.core.metric import MetricResult, metric_tensor
from geometry.errors import GeometryError, ResourceError, WeightsUnavailableError
from geometry.registry import REGISTRY, load_generator
from geometry.version import __version__

__all__ = [
    "DISTANCE_NAMES",
    "ITERATIVE",
    "METHODS",
    "REGISTRY",
    "GeometryError",
    "Generator",
    "MetricResult",
    "ResourceError",
    "WeightsUnavailableError",
    "__version__",
    "from_module",
    "load_distance",
    "load_generator",
    "metric_tensor",
]
