"""What the CI run must have, so that no test is skipped there for a missing extra."""

import importlib.util
import os
import shutil

import pytest


@pytest.mark.skipif(
    not os.environ.get("CI"), reason="only CI promises every extra (.ci/run installs test, plot and browser)"
)
def test_ci_installs_matplotlib_so_the_figure_tests_run():
    """In CI the plot extra is installed: the tests that write each figure as PNG are not skipped."""
    assert importlib.util.find_spec("matplotlib") is not None


@pytest.mark.skipif(not os.environ.get("CI"), reason="only CI promises Chromium, Graphviz and the browser extra")
def test_ci_installs_chromium_playwright_and_graphviz_so_the_browser_tests_run():
    """In CI the backward-pass page is tested in the real browser: test_browser_page.py finds all it needs."""
    from test_browser_page import browser_missing

    assert browser_missing() is None
    assert shutil.which("dot") is not None  # the drawings of test_viz_drawing.py are made too


@pytest.mark.skipif(not os.environ.get("CI"), reason="only CI promises the notebook extra (.ci/run installs it)")
def test_ci_installs_the_notebook_extra_so_the_notebooks_run():
    """In CI jupytext, nbclient and ipykernel are installed: test_notebooks.py runs every notebook in a kernel."""
    from test_notebooks import MISSING

    assert not MISSING
