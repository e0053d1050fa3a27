"""Methods and formulas, with citations: what every number of the report is."""

from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Section

PARAGRAPHS = [
    "Metric tensor. At a latent code z0 the metric is the Hessian of the squared image distance pulled back "
    "through the generator: H = ∂²/∂z² D(G(z0), G(z)) at z = z0 (Wang & Ponce 2021, §2).",
    "Exact method. For squared feature distances D = ||ψ(x) − ψ(x0)||² (LPIPS, MSE) the residual vanishes at z0, so "
    "H = 2 JᵀJ with J = ∂ψ(G(z))/∂z, computed with batched forward-mode products; the paper's double "
    "back-propagation and Lanczos iterations are the reference methods.",
    "Anisotropy (paper's definition, Table 2). Average the eigenvalues over positions, sort their absolute values "
    "in descending order, expvar = cumsum / sum; the count for a fraction f is the number of ranks with expvar < f "
    "(the authors' Hessian/Figure2_spectra_synopsis.py).",
    "Anisotropy (per position). At each position the smallest k with Σ_{i≤k} λ_i ≥ f Σ λ_i, then mean and standard "
    "deviation over positions.",
    "Isotropy illusion. For a random unit v, α(v) = vᵀHv has mean E[α] = mean(λ) and variance "
    "Var[α] = 2/(n+2) · Var(λ) (Eq. 13–15).",
    "Homogeneity. C_ij = corr(diag(U_iᵀ H_j U_i), λ_j) on the linear and log scales (Eq. 5–6, Table 4); undefined "
    "for an isometry, whose eigenvalues do not vary, and for a single position.",
    "Average metric. The element-wise mean H̄ = (1/N) Σ_i H_i over positions, and its eigenbasis.",
    "Log-Euclidean distance. d_ij = ||log A_i − log A_j||_F between A = H/tr(H) + 10⁻⁶ I: 0 when the metric is the "
    "same everywhere.",
    "Metric cosine. cos_ij = ⟨B_i, B_j⟩ / (||B_i|| ||B_j||) with B = H/tr(H): 1 when the metric is the same "
    "everywhere.",
    "Top-k overlap. o_ij = ||U_iᵀ U_j||_F² / k between top-k eigenspaces, against k/n for random subspaces.",
    "Layer metrics. H_l = J_lᵀ J_l for each layer's output (Eq. 3); the shuffled control permutes every kernel's "
    "weights and re-converges spectral norms (paper A.8).",
    "Curve length. L = Σ_i sqrt(2 D(G(z_i), G(z_{i+1}))) over a fine polyline (Michelis et al. 2021).",
    "Intervals. Percentile bootstraps over positions.",
    "References. B. Wang and C. R. Ponce, A Geometric Analysis of Deep Generative Image Models and Its "
    "Applications, ICLR 2021. L. Michelis et al., On Linear Interpolation in the Latent Space of Deep Generative "
    "Models, 2021.",
]


def build(context: ReportContext) -> Section:
    return Section("methods", "Methods and formulas", paragraphs=PARAGRAPHS)
