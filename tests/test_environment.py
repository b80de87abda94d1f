"""What the CI run must have, so that no test is skipped there for a missing extra."""

import importlib.util
import os

import pytest


@pytest.mark.skipif(not os.environ.get("CI"), reason="only CI promises every extra (.ci/run installs test and plot)")
def test_ci_installs_matplotlib_so_the_figure_tests_run():
    """In CI the plot extra is installed: the tests that write each figure as PNG are not skipped."""
    assert importlib.util.find_spec("matplotlib") is not None
