"""Failure injection for the Ray tests, installed in each Ray worker by the test session's
``worker_process_setup_hook`` (production code has no test hook): every sweep position's first
attempt raises once, so Ray's retries are exercised on every test sweep. A marker file per
(folder, position) in ``$GGL_TEST_FAILURE_MARKERS`` records the first attempt."""

import os
from pathlib import Path


def fail_first_attempts() -> None:
    from gan_geometry.analysis.sweeps import task as sweep_task

    markers = Path(os.environ["GGL_TEST_FAILURE_MARKERS"])
    write = sweep_task.write_position

    def failing_once(directory, i, *args, **kwargs):
        marker = markers / f"failed-{Path(directory).name}-{i}"
        if not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
            raise RuntimeError(f"injected failure of position {i} (first attempt)")
        return write(directory, i, *args, **kwargs)

    sweep_task.write_position = failing_once
