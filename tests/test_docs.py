"""The API reference renders from the docstrings without a warning (``make docs``)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_api_reference_builds_without_warnings(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "WARNING" not in done.stderr, done.stderr
    engine = (tmp_path / "site" / "reference" / "engine" / "index.html").read_text()
    assert "metric_tensor" in engine and "MetricResult" in engine  # the docstrings, rendered
    methods = (tmp_path / "site" / "reference" / "methods" / "index.html").read_text()
    assert "verified_top_k" in methods
