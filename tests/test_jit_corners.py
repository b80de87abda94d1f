"""Corner cases of the compiled path (:func:`~tinygrad_nnd.jit`) that generated programs rarely build.

As for the replayed tape (tests/test_replay_corners.py): the result's own op
reading the input directly (``x.dot(x)``, ``x.sum()``), where a backward pass
that runs one step too far or seeds the wrong variable doubles or loses the
gradient; a leaf that requires a gradient but is not the argument being
differentiated (a constant of the compiled code); array data feeding the very
first op and the result's op. Each case is called at several points, so the
first call (tracing) and the later ones (running the compiled code) are both
checked.

No tolerances: the closed forms here are exact for small integer values, and
the eager engine runs the same arithmetic as the compiled code.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nnd import Tensor, jit, value_and_grad


def small_integers(shape) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of integers in [-3, 3]: every sum and product below is exact."""
    return hnp.arrays(np.float64, shape, elements=st.integers(-3, 3).map(float))


def assert_same(got, expected) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert type(got) is np.ndarray and got.dtype == np.float64 and got.shape == expected.shape, repr(got)
    np.testing.assert_array_equal(got, expected, strict=True)


@given(st.integers(1, 4).flatmap(lambda n: st.lists(small_integers((n,)), min_size=3, max_size=3)))
def test_jit_of_x_dot_x_gives_2x_at_every_call(points):
    """J = x . x: the result's op reads x twice and directly; dJ/dx = 2x and J the new dot, call after call."""
    f = jit(lambda x: x.dot(x))
    for x in points:
        J, g = f.value_and_grad(x)
        assert float(x @ x) == J
        assert_same(g, 2.0 * x)
        assert_same(f.hvp(x, np.ones_like(x)), np.full(x.shape, 2.0))


@given(st.lists(small_integers((2, 3)), min_size=3, max_size=3))
def test_jit_of_x_sum_gives_ones_at_every_call(points):
    """J = sum(x): the result's op reads x directly; dJ/dx = ones of x's shape, J the new sum."""
    f = jit(lambda x: x.sum())
    for x in points:
        J, g = f.value_and_grad(x)
        assert float(x.sum()) == J
        assert_same(g, np.ones((2, 3)))
        assert_same(f.hvp(x, np.ones_like(x)), np.zeros((2, 3)))


def test_a_leaf_that_requires_a_gradient_but_is_not_differentiated_is_a_constant_of_the_code():
    """f(x) = sum(x * v) with v a closed-over leaf that requires a gradient: dJ/dx = v, v gets no .grad,
    and the compiled code keeps the value v had when traced."""
    v = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    f = jit(lambda x: (x * v).sum())
    for x in (np.array([2.0, 1.0, 1.0]), np.array([0.0, 5.0, -1.0])):
        J, g = f.value_and_grad(x)
        assert float((x * v.data).sum()) == J
        assert_same(g, v.data)
        assert v.grad is None
    eager_J, eager_g = value_and_grad(lambda x: (x * v).sum())(np.array([1.0, 1.0, 1.0]))
    assert (eager_J, eager_g.tolist()) == (2.0, [1.0, -2.0, 3.0])


def test_a_non_input_leaf_read_by_the_result_op_directly():
    """J = v . x with v a closed-over leaf that requires a gradient, read by the result's op: dJ/dx = v."""
    v = Tensor(np.array([3.0, 5.0]), requires_grad=True)
    f = jit(lambda x: v.dot(x))
    for x in (np.array([1.0, 1.0]), np.array([-2.0, 4.0])):
        J, g = f.value_and_grad(x)
        assert float(v.data @ x) == J
        assert_same(g, np.array([3.0, 5.0]))


def test_data_feeding_the_first_op_is_read_anew_on_every_call():
    """J = sum((d * x)**2) with the array argument d read by the first op: each call's d is used."""
    f = jit(lambda x, d: ((d * x) ** 2).sum())
    x = np.array([2.0, 1.0])
    for d in (np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.0, 0.0])):
        J, g = f.value_and_grad(x, d)
        assert float(((d * x) ** 2).sum()) == J
        assert_same(g, 2.0 * d * d * x)


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["d + x", "d - x"])
def test_data_read_by_the_result_op_directly(sign):
    """J = sum(d +- x) and J = d . x: the result's op reads the data and x; dJ/dx = +-1 and d."""
    plus_minus = jit(lambda x, d: (d + x).sum() if sign > 0 else (d - x).sum())
    dot = jit(lambda x, d: d.dot(x))
    x = np.array([1.0, 1.0, 2.0])
    for d in (np.array([1.0, -2.0, 4.0]), np.array([0.5, 0.0, -1.0])):
        J, g = plus_minus.value_and_grad(x, d)
        assert float((d + sign * x).sum()) == J
        assert_same(g, np.full(3, sign))
        J, g = dot.value_and_grad(x, d)
        assert float(d @ x) == J
        assert_same(g, d)
