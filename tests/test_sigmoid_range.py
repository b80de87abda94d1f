"""The sigmoid and its derivative over the whole float64 range: finite, bounded, no warnings.

pytest runs with ``filterwarnings = error``, so any NumPy overflow warning would
fail these tests already; ``np.errstate(all="raise")`` additionally turns every
floating-point error flag (overflow, invalid, divide, underflow) into an
exception, even one that would not surface as a warning.
"""

from __future__ import annotations

import sys

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nnd import Tensor, functions

TINY = sys.float_info.min  # smallest normal float64, 2.2e-308
SUBNORMAL = 5e-324  # smallest positive subnormal
HUGE = sys.float_info.max  # 1.8e308

#: Every finite float64, with the extremes drawn often.
any_finite_float = st.one_of(
    st.sampled_from([0.0, -0.0, 1e308, -1e308, HUGE, -HUGE, TINY, -TINY, SUBNORMAL, -SUBNORMAL, 710.0, -710.0, -745.0]),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
any_finite_array = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=5), elements=any_finite_float
)


@given(any_finite_array)
@example(np.array([-1e308, 1e308, -HUGE, HUGE, SUBNORMAL, -SUBNORMAL, 0.0, -800.0, 800.0]))
def test_sigmoid_and_its_gradient_are_finite_and_bounded_for_every_finite_input(x):
    """For every finite float64 x: 0 <= sigmoid(x) <= 1 and 0 <= sigmoid'(x) <= 1/4, all finite, no FP error."""
    t = Tensor(x, requires_grad=True)
    with np.errstate(all="raise"):
        s = t.sigmoid()
        s.backward(np.ones(x.shape))
    assert np.isfinite(s.data).all() and np.isfinite(t.grad).all()
    assert ((s.data >= 0.0) & (s.data <= 1.0)).all()
    assert ((t.grad >= 0.0) & (t.grad <= 0.25)).all()


@given(any_finite_array)
def test_sigmoid_is_monotone_and_symmetric(x):
    """sigmoid is non-decreasing, and sigmoid(-x) = 1 - sigmoid(x).

    Tolerance: expit is accurate to a few ulps, and for s in [0.5, 1) one ulp
    is 2**-53 = 1.1e-16 absolute, which 1 - s carries over unchanged; atol
    allows 4 such ulps (4.4e-16).
    """
    with np.errstate(all="raise"):
        flat = np.sort(x.ravel())
        s = functions.sigmoid(flat).data
        s_neg = functions.sigmoid(-flat).data
    assert (np.diff(s) >= 0).all()
    np.testing.assert_allclose(s_neg, 1.0 - s, rtol=0, atol=4 * 2.0**-53)


def test_sigmoid_of_one_is_the_series_value_exactly():
    """sigmoid(1) == 0.7310585786300049, bit for bit (reference value of the series)."""
    assert float(functions.sigmoid(1.0)) == 0.7310585786300049
    assert Tensor(1.0).sigmoid().item() == 0.7310585786300049


def test_sigmoid_of_minus_one_zero_one_matches_the_series_table():
    """sigmoid([-1, 0, 1]) = [0.26894142, 0.5, 0.73105858] (the series prints 8 decimals: atol 5e-9)."""
    np.testing.assert_allclose(
        functions.sigmoid(np.array([-1.0, 0.0, 1.0])).data, [0.26894142, 0.5, 0.73105858], rtol=0, atol=5e-9
    )


@given(st.floats(-30.0, 30.0))
def test_sigmoid_gradient_equals_closed_form_derivative(x):
    """sigmoid'(x) = e**-x / (1 + e**-x)**2, the series' formula, where that formula does not overflow."""
    t = Tensor(x, requires_grad=True)
    t.sigmoid().backward()
    # The engine computes s (1 - s); both forms are accurate to a few ulps,
    # except that 1 - s loses relative accuracy for s near 1 (x > 0): an error
    # of k ulps in s (ulp 2**-53 just below 1) is an absolute error of
    # k * 1.1e-16 in 1 - s. atol allows 4 ulps (4.4e-16); rtol covers the rest.
    np.testing.assert_allclose(t.grad, np.exp(-x) / (1.0 + np.exp(-x)) ** 2, rtol=1e-12, atol=4 * 2.0**-53)
