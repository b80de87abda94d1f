"""Corner cases of the compiled path (:func:`~tinygrad_nnd.jit`) that generated programs rarely build.

As for the replayed tape (tests/test_replay_corners.py): the result's own op
reading the input directly (``x.dot(x)``, ``x.sum()``), where a backward pass
that runs one step too far or seeds the wrong variable doubles or loses the
gradient; a leaf that requires a gradient but is not the argument being
differentiated (a constant of the compiled code); array data feeding the very
first op and the result's op. Each case is called at several points, so the
first call (tracing) and the later ones (running the compiled code) are both
checked.

Then what a compiled function shows its user, each found by mutation testing
(tests/MUTATION.md): the value of any shape from a plain call, the value of
``value_and_grad`` as a Python float, its repr, and :meth:`Jitted.source`'s
argument names (trees, ``*args``) and its ``kind="hvp"``.

No tolerances: the closed forms here are exact for small integer values, and
the eager engine runs the same arithmetic as the compiled code.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nnd import Tensor, hvp, jit, value_and_grad
from tinygrad_nnd.testing import floats_arrays, shapes


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


# ---------------------------------------------------------------- what a Jitted shows: its value's type, repr, source


@given(floats_arrays(shapes(min_dims=1, min_side=2)))
def test_calling_a_jitted_function_gives_its_value_of_any_shape_as_eager_does(x):
    """jit(f)(x) is f's value whatever its shape (only the gradient needs one element), the same as eager's."""
    f = jit(lambda x: (x * 0.5).exp() + x)
    got = f(x)
    assert type(got) is np.ndarray and got.shape == x.shape and got.dtype == x.dtype
    # The same NumPy operations as the eager engine's, in the same order: equal to the last bit.
    np.testing.assert_array_equal(got, ((Tensor(x) * 0.5).exp() + x).data, strict=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)], ids=str)
def test_value_and_grad_gives_the_value_as_a_python_float(shape, dtype):
    """(J, g): J a Python float (what scipy.optimize.minimize(jac=True) takes), g of x's shape and dtype, for
    every one-element result and both float dtypes, as the eager value_and_grad gives them."""
    f = jit(lambda x: (x * x).sum().reshape(shape))
    x = np.array([1.5, -2.0], dtype=dtype)
    for _ in range(2):  # tracing, then the compiled code
        J, g = f.value_and_grad(x)
        assert type(J) is float and J == 6.25  # exact: 1.5**2 + 2**2 in either dtype
        assert type(g) is np.ndarray and g.dtype == dtype and g.tolist() == [3.0, -4.0]
    eager_J, _ = value_and_grad(f.f)(x)
    assert type(eager_J) is float and eager_J == J


class CallableWithoutName:
    def __call__(self, x):
        return (x * x).sum()

    def __repr__(self) -> str:
        return "<a callable object>"


def named_cost(x):
    return (x * x).sum()


def test_repr_names_the_compiled_function():
    """repr(jit(f)) is jit(<f's __name__>), or jit(<f's repr>) for a callable without a name."""
    assert repr(jit(named_cost)) == "jit(named_cost)"
    assert repr(jit(CallableWithoutName())) == "jit(<a callable object>)"


def test_source_names_the_arguments_after_the_parameters_and_the_keys_of_trees():
    """The compiled code's arguments are named as the docs say: a tree's leaves after the parameter and the
    keys (params_W_0), positions without a parameter name (f(*args)) x, arg_1, ..."""

    def loss(params, X):
        return ((X @ (params["W"][0] + params["W"][1]) + params["bX"]) ** 2).sum()

    params = {"bX": np.ones(1), "W": [np.ones((2, 1)), np.ones((2, 1))]}
    source = jit(loss).source(params, np.ones((3, 2)))
    assert source.splitlines()[0] == "def program(params_W_0, params_W_1, params_bX, X, _buffers):"
    assert all(f"dJ_dparams_{key} = " in source for key in ("W_0", "W_1", "bX"))  # and so their gradients

    unnamed = jit(lambda *a: (a[0] * a[1] * a[2]).sum(), argnums=(0, 1))
    source = unnamed.source(np.ones(2), np.ones(2), np.ones(2))
    assert source.splitlines()[0] == "def program(x, arg_1, arg_2, _buffers):"


def test_source_for_hvp_is_the_code_hvp_runs():
    """source(x, v, kind="hvp") shows the program hvp(x, v) runs (the same one, not a new trace): its arguments
    are x, then v (v_<name> for each leaf of a tree), then the data; and hvp equals the eager hvp."""
    f = jit(lambda x: (x * x * x).sum())
    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    assert f.hvp(x, v).tolist() == hvp(f.f)(x, v).tolist() == [6.0, -12.0]  # H = diag(6x): exact
    source = f.source(x, v, kind="hvp")
    assert len(f._programs) == 1
    assert source.splitlines()[0] == "def program(x, v, _buffers):"
    assert "* v" in source and source != f.source(x)

    def loss(params, X):
        return ((X @ params["W"] + params["bX"]) ** 3).sum()

    params, X = {"W": np.ones((2, 1)), "bX": np.ones(1)}, np.array([[1.0, 0.0], [0.0, -1.0]])
    direction = {"W": np.array([[1.0], [0.0]]), "bX": np.array([-1.0])}
    g = jit(loss)
    got, want = g.hvp(params, direction, X), hvp(loss)(params, direction, X)
    assert got.keys() == want.keys() == {"W", "bX"}
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], strict=True)  # small integers: exact
    source = g.source(params, direction, X, kind="hvp")
    assert len(g._programs) == 1
    assert source.splitlines()[0] == "def program(params_W, params_bX, v_params_W, v_params_bX, X, _buffers):"
