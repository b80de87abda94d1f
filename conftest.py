"""Settings for the doctests of the package's modules (the tests' own fixtures are in tests/conftest.py)."""

import importlib.util

import pytest

# The figures' examples draw with matplotlib, the `plot` extra: without it they cannot run
# (CI installs it, and tests/test_environment.py checks that it did).
collect_ignore = [] if importlib.util.find_spec("matplotlib") else ["tinygrad_nnd/plots.py"]


@pytest.fixture(autouse=True)
def _figures_saved_in_a_temporary_folder(request: pytest.FixtureRequest) -> None:
    """The examples of plots.py save figures (``save_figure(fig, "surface.png")``): in a fresh folder."""
    if request.node.nodeid.startswith("tinygrad_nnd/plots.py"):
        request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))
