"""The published numbers of Wang & Ponce (2021) that ``gan-geometry reproduce`` sets beside this
project's (read from the paper's text; where the copy is unreadable the value is None and the
report says so), and which registered generator stands for each of the paper's models. Data only:
the lowest layer of the package.
"""

from __future__ import annotations

from dataclasses import dataclass

FRACTIONS = (0.99, 0.999, 0.9999, 0.99999)

# Table 1: seconds per Hessian on a GTX 1060 GPU (BP, Backward Iteration, Forward Iteration; the
# iterative methods asked for half the dimension in eigenpairs).
TABLE1 = {"DCGAN": (120, 12.5, 13.4, 6.9), "FC6 GAN": (4096, 282.4, 101.2, 90.2), "BigGAN": (256, 69.4, 70.6, 67.0),
          "BigBiGAN": (120, 15.3, 15.2, 13.3), "PGGAN": (512, 95.4, 95.7, 61.2),
          "StyleGAN": (512, 112.8, 110.5, 64.5), "StyleGAN2": (512, 221.0, 217.0, 149.0)}

# Table 2: dimensions holding 0.99 / 0.999 / 0.9999 / 0.99999 of the spectrum (the authors' definition,
# ``statistics.paper_anisotropy``). WaveGAN STFT reads "20 9 19 42" in the OCR copy: 2 is the increasing reading.
TABLE2 = {"FC6": (4096, (297, 502, 661, 848)), "DCGAN-fashion": (120, (17, 35, 65, 97)),
          "BigGAN": (256, (10, 53, 149, 224)), "BigGAN_noise": (128, (29, 88, 120, 127)),
          "BigGAN_class": (128, (8, 38, 98, 123)), "BigBiGAN": (120, (21, 41, 62, 73)),
          "PGGAN-face": (512, (57, 167, 325, 450)), "StyleGAN-face_Z": (512, (12, 27, 52, 84)),
          "StyleGAN2-face512_Z": (512, (7, 17, 41, 78)), "StyleGAN2-face256_Z": (512, (13, 28, 63, 103)),
          "StyleGAN2-cat_Z": (512, (8, 14, 31, 62)), "StyleGAN-face_W": (512, (124, 355, 480, 507)),
          "StyleGAN2-face512_W": (512, (153, 345, 471, 506)), "StyleGAN2-face256_W": (512, (157, 350, 473, 506)),
          "StyleGAN2-cat_W": (512, (23, 57, 126, 269)), "WaveGAN MSE": (100, (17, 38, None, 94)),
          "WaveGAN STFT": (100, (2, 9, 19, 42))}

# Table 4: C^H on the log scale and the linear scale (mean, std).
TABLE4 = {"FC6GAN": ((0.984, 0.002), (0.600, 0.119)), "DCGAN": ((0.920, 0.028), (0.756, 0.192)),
          "BigGAN": ((0.934, 0.024), (0.658, 0.186)), "BigBiGAN": ((0.986, 0.007), (0.645, 0.180)),
          "PGGAN": ((0.928, 0.014), (0.861, 0.123)), "StyleGAN-Face_Z": ((0.638, 0.069), (0.376, 0.160)),
          "StyleGAN2-Face512_Z": ((0.616, 0.052), (0.769, 0.181)),
          "StyleGAN2-Face256_Z": ((0.732, 0.037), (0.802, 0.130)),
          "StyleGAN2-Cat256_Z": ((0.700, 0.040), (0.689, 0.151)), "StyleGAN-Face_W": ((0.878, 0.037), (0.780, 0.190)),
          "StyleGAN2-Face512_W": ((0.891, 0.048), (0.838, 0.127)),
          "StyleGAN2-Face256_W": ((0.869, 0.052), (0.756, 0.159)),
          "StyleGAN2-Cat256_W": ((0.895, 0.118), (0.539, 0.216)), "WaveGAN MSE": ((0.906, 0.022), (0.776, 0.139))}

# Table 3 and §A.5, as the text states them (the table itself is unreadable in the OCR copy).
TABLE3_TEXT = ("LPIPS against MSE and SSIM at 100 codes of BigGAN, PGGAN and StyleGAN2-256: element-wise H correlation "
               "0.94-0.99, eigenvalue spectra correlation 0.987-0.995, C^H concentrated at 0.99; for WaveGAN, MSE of "
               "wave forms against MSE of spectrograms: H correlation about 0.53.")
WAVEGAN_H_CORRELATION = 0.53


@dataclass(frozen=True)
class PaperModel:
    """A model of the paper's tables: its rows in Tables 2 and 4, the registered generator and
    space that stand for it, and the protocol it was measured with."""

    table2: str
    table4: str | None
    generator: str
    space: str


PAPER_MODELS = (
    PaperModel("FC6", "FC6GAN", "fc6", "fc6"),
    PaperModel("DCGAN-fashion", "DCGAN", "dcgan-fashion64", "noise"),
    PaperModel("BigGAN", "BigGAN", "biggan-deep-256", "both"),
    PaperModel("BigBiGAN", "BigBiGAN", "bigbigan", "noise"),
    PaperModel("PGGAN-face", "PGGAN", "pggan-celebahq512", "noise"),
    PaperModel("StyleGAN-face_Z", "StyleGAN-Face_Z", "stylegan-face256", "z"),
    PaperModel("StyleGAN-face_W", "StyleGAN-Face_W", "stylegan-face256", "w"),
    PaperModel("StyleGAN2-face512_Z", "StyleGAN2-Face512_Z", "stylegan2-ffhq-512", "z"),
    PaperModel("StyleGAN2-face512_W", "StyleGAN2-Face512_W", "stylegan2-ffhq-512", "w"),
    PaperModel("StyleGAN2-face256_Z", "StyleGAN2-Face256_Z", "stylegan2-ffhq-256", "z"),
    PaperModel("StyleGAN2-face256_W", "StyleGAN2-Face256_W", "stylegan2-ffhq-256", "w"),
    PaperModel("StyleGAN2-cat_Z", "StyleGAN2-Cat256_Z", "stylegan2-cat-256", "z"),
    PaperModel("StyleGAN2-cat_W", "StyleGAN2-Cat256_W", "stylegan2-cat-256", "w"),
)
