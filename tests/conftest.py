"""Hypothesis profiles for the suite, and fixtures shared by several test files.

Pick a profile with ``--hypothesis-profile=NAME``:

- ``ci``: deterministic (derandomized, no example database), moderate example counts;
  what ``.ci/run`` uses.
- ``dev``: few examples, for a quick run while editing.
- ``thorough``: many examples, for a long hunt for counterexamples.
- ``mutation``: ``ci``'s examples (the same derandomized draws) without shrinking a failure, which
  only makes the report readable: a test fails under it exactly when it fails under ``ci``. For
  mutmut (``[tool.mutmut]`` in pyproject.toml), which only needs to know *whether* a mutant fails.
"""

import sys
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "mutation",
    parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
settings.register_profile("dev", max_examples=15, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("dev")


@pytest.fixture
def global_rng_restored() -> Iterator[None]:
    """Put NumPy's global generator back afterwards, for tests that seed it.

    ``NeuralNetwork()`` without a seed draws from it, as the series' ``np.random.rand`` does.
    """
    state = np.random.get_state()
    yield
    np.random.set_state(state)


@pytest.fixture
def registry_restored() -> Iterator[None]:
    """Put the op registry (OPS) back as it was afterwards, for tests that define op classes."""
    from tinygrad_nnd import OPS

    saved = dict(OPS)
    yield
    OPS.clear()
    OPS.update(saved)


#: Frames a test may use above its own depth under :func:`shallow_recursion`: enough for the
#: engine's iterative walks and NumPy's printing, far fewer than a chain's length.
RECURSION_HEADROOM = 250


@pytest.fixture
def shallow_recursion() -> Iterator[int]:
    """Lower Python's recursion limit to ``RECURSION_HEADROOM`` frames above the test; yield that many.

    A graph a few thousand ops deep then shows that a walk is iterative as surely as a chain of
    100,000 ops does under the default limit of 1,000: a walk that recursed once per op would raise
    RecursionError. The limit is put back afterwards.
    """
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + RECURSION_HEADROOM)
    try:
        yield RECURSION_HEADROOM
    finally:
        sys.setrecursionlimit(old)
