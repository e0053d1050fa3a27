"""One line of help for every statistic and word the app and the report use (the app's glossary,
the report's methods section links here), with the paper's values where it has them."""

from __future__ import annotations

GLOSSARY = {
    "metric tensor H": "The Hessian of the image distance D(G(z0), G(z)) at z = z0: how fast the image changes as "
                       "the code moves in each direction. n × n, symmetric, positive semi-definite.",
    "eigenvalue λ, rank": "Rank 1 is the direction (eigenvector) that changes the image most; λ is its speed "
                          "(squared image change per squared latent step). Ranks count from 1.",
    "anisotropy (dims holding 99 %)": "How many top eigenvalues make up 99 % of their sum. Small = a few directions "
                                      "do almost everything. Two definitions: the paper's counts the ranks of the "
                                      "mean spectrum (over positions) whose cumulative share is below 99 % (Table 2: "
                                      "DCGAN-fashion 17 of 120, StyleGAN2 Z 7–13 of 512); per position, the smallest "
                                      "k holding 99 % at each code, averaged (one more than the paper's where the "
                                      "spectra agree).",
    "effective rank": "exp(entropy of λ / Σλ): the number of equally strong directions that would give the same "
                      "spread. Lower = more anisotropic.",
    "C^H (log / lin)": "Homogeneity: how well the eigenframe at one code predicts the eigenvalues at another "
                       "(correlation, 1 = the same geometry everywhere). Paper (Table 4): log scale 0.9+ for most "
                       "GANs, linear lower. Undefined for an isometry.",
    "log-Euclidean distance": "Distance between the trace-normalised metrics of two codes: 0 = the same metric "
                              "everywhere; larger = the geometry changes more between codes.",
    "metric cosine": "Alignment of two codes' metrics as matrices: 1 = the same everywhere, 0 = unrelated.",
    "top-k overlap": "Mean squared cosine between two codes' top-k eigenspaces, against k/n for random subspaces.",
    "isotropy illusion": "Random directions all change the image by about the mean eigenvalue, so the space looks "
                         "isotropic if probed at random, although eigenvectors span orders of magnitude.",
    "speed aᵀHa": "How fast the image changes along a unit axis a (an eigenvalue when a is an eigenvector).",
    "Grassmann distance": "Angle between the span of k axes and the top-k eigenspace (0 = the same subspace); "
                          "compared with random k-subspaces.",
    "purified axes": "An axis (SeFa, PCA, yours) with only its components on the top-k eigenvectors kept: usually "
                     "the same edit, faster and cleaner.",
    "quadratic prediction ½ δᵀHδ": "The metric's second-order prediction of the distance after a move δ. It holds "
                                   "for small moves; the measured distance falls below it as the image saturates "
                                   "or rises above it where the generator curves.",
    "shuffled control": "The same generator with every kernel's weights permuted: what the geometry looks like "
                        "without training (paper Fig. 4).",
    "amplification": "How each later layer stretches the first layer's eigenvectors: correlation near 1 means the "
                     "layers keep the first layer's ranking.",
}


def glossary_markdown() -> str:
    return "\n".join(f"- **{term}**: {text}" for term, text in GLOSSARY.items())
