"""Hypothesis profiles for the suite: pick one with ``--hypothesis-profile=NAME``.

- ``ci``: deterministic (derandomized, no example database), moderate example counts;
  what ``.ci/run`` uses.
- ``dev``: few examples, for a quick run while editing.
- ``thorough``: many examples, for a long hunt for counterexamples.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=15, deadline=None)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("dev")
