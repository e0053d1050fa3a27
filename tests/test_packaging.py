"""The project as a package: one top-level import name, a wheel that installs with its core
dependencies only and works from outside the checkout, and an engine that loads no app, report
or cluster library."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = ("gradio", "plotly", "kaleido", "jinja2", "weasyprint", "ray")
LOADED_OPTIONAL = (f"import sys; print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(OPTIONAL)!r}))")


def python(code: str, executable: str = sys.executable, cwd: Path | None = None) -> str:
    done = subprocess.run([executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_engine_loads_no_app_report_or_cluster_library():
    assert python("import gan_geometry, gan_geometry.__main__; " + LOADED_OPTIONAL) == "[]"


def test_the_engines_commands_load_no_app_report_or_cluster_library(tmp_path):
    code = ("import contextlib, io\nfrom gan_geometry.__main__ import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main(['metric', '--generator', 'linear-toy', '--distance', 'mse', '--out', "
            f"r'{tmp_path / 'm'}']) == 0\n"
            f"    assert main(['sweep', '--generator', 'linear-toy', '--distance', 'mse', '--n', '2', '--out', "
            f"r'{tmp_path / 's'}']) == 0\n"
            f"    assert main(['stats', r'{tmp_path / 's'}', '--n-boot', '10']) == 0\n" + LOADED_OPTIONAL)
    assert python(code) == "[]"


def test_the_version_comes_from_the_distributions_metadata():
    import importlib.metadata

    import gan_geometry

    assert gan_geometry.__version__ == importlib.metadata.version("gan-geometry-lab")
    assert gan_geometry.__version__ in (ROOT / "CHANGELOG.md").read_text()


@pytest.mark.slow  # builds a wheel and installs it in a fresh virtual environment
def test_the_wheel_installs_with_its_core_dependencies_and_works_outside_the_checkout(tmp_path):
    import shutil

    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ and *.egg-info there
    shutil.copytree(ROOT / "gan_geometry", source / "gan_geometry", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w",
                            str(tmp_path / "dist"), "--disable-pip-version-check", "-q"],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("gan_geometry_lab-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"gan_geometry", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "gan_geometry/models/weights/wavegan-notes.safetensors" in names  # the package's run-time data
    assert "gan_geometry/reports/templates/report.html.j2" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "assets/"))]

    venv = tmp_path / "venv"  # the dependencies come from this environment (a .pth), the wheel alone is installed
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    site = python("import sysconfig; print(sysconfig.get_paths()['purelib'])", str(venv / "bin" / "python"))
    here = python("import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(site) / "dependencies.pth").write_text(here + "\n")
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                                "--disable-pip-version-check", str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    checked = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True,
                             timeout=120)  # every declared core dependency is installed, at a version it allows
    assert not [line for line in checked.stdout.splitlines() if line.lower().startswith("gan-geometry-lab")], \
        checked.stdout
    requires = [line for line in zipfile.ZipFile(wheel).read(f"{wheel.name.split('-py3')[0]}.dist-info/METADATA")
                .decode().splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert {line.split()[1].split(">")[0].split("=")[0].lower() for line in requires} >= {"torch", "numpy", "scipy",
                                                                                            "lpips"}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    code = ("import gan_geometry as g, numpy as np\n"
            "G, D = g.load_generator('linear-toy'), g.load_distance('mse')\n"
            "m = g.metric_tensor(G, D, G.sample(1, seed=0)[0])\n"
            "A = G.module.A.double().numpy()\n"
            "assert np.allclose(m.H, 2 * A.T @ A / A.shape[0], rtol=1e-4, atol=1e-9)\n"
            "print(g.__file__, g.__version__)\n" + LOADED_OPTIONAL)
    first, loaded = python(code, str(venv / "bin" / "python"), cwd=outside).split("\n")
    location, version = first.split()
    assert location.startswith(str(venv)) and version == python("import gan_geometry; print(gan_geometry.__version__)")
    assert loaded == "[]"
    for command in ([str(venv / "bin" / "gan-geometry"), "--help"], [str(venv / "bin" / "python"), "-m",
                                                                       "gan_geometry", "--help"]):
        done = subprocess.run(command, capture_output=True, text=True, cwd=outside, timeout=120)
        assert done.returncode == 0 and "usage: gan-geometry" in done.stdout and "report" in done.stdout
