"""What gradients come back *in*: type, shape and dtype of every returned gradient, zeros included.

``np.testing.assert_array_equal(got, 0.0)`` passes for a 0-d object array and
for an array of any shape, because it broadcasts; a comparison with a list
passes whatever the dtype. Every comparison here is strict
(:func:`assert_gradient`: an ``ndarray`` of exactly the expected shape and
dtype, then the values with ``strict=True``), over float64 and float32, 0-d
inputs, broadcast inputs, and gradients that are zero because the output does
not depend on the input.

No tolerances: the generated values are small integers (as floats), so every
sum and product here is exact in float32 and float64 alike, in any order.
"""

from __future__ import annotations

import numpy as np
import pytest
from compiled_graph import compiled
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nnd import OPS, Tensor, grad, gradients, hvp, value_and_grad
from tinygrad_nnd.testing import broadcastable_shape_pairs, op_inputs, shapes

DTYPES = [np.float64, np.float32]
DTYPE_IDS = ["float64", "float32"]


def assert_gradient(got, expected, dtype) -> None:
    """``got`` is an ndarray of ``expected``'s shape and of ``dtype``, holding exactly ``expected``'s values."""
    expected = np.asarray(expected, dtype=dtype)
    assert type(got) is np.ndarray, f"a gradient of type {type(got).__name__}, not ndarray"
    assert got.dtype == dtype, f"a gradient of dtype {got.dtype}, not {np.dtype(dtype)}"
    assert got.shape == expected.shape, f"a gradient of shape {got.shape}, not {expected.shape}"
    np.testing.assert_array_equal(got, expected, strict=True)


def integer_arrays(shape, dtype) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``dtype`` holding integers in [-3, 3]: every sum of a few dozen products is exact."""
    return hnp.arrays(dtype, shape, elements=st.integers(-3, 3).map(float))


def sum_to_shape(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``g`` summed over the axes that broadcasting ``shape`` to ``g.shape`` added or stretched."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True)


# ---------------------------------------------------------------- gradients() and backward()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@given(pair=broadcastable_shape_pairs(), c_shape=shapes(), data=st.data())
def test_gradients_have_each_inputs_shape_and_dtype(dtype, pair, c_shape, data):
    """gradients(sum(a * b + 2a), [a, b, c]), c unused: (b + 2) and a summed back to each input's own
    shape, and zeros of c's shape; all of the inputs' dtype."""
    a = data.draw(integer_arrays(pair[0], dtype), label="a")
    b = data.draw(integer_arrays(pair[1], dtype), label="b")
    c = np.ones(c_shape, dtype=dtype)
    ta, tb, tc = (Tensor(x, requires_grad=True) for x in (a, b, c))
    full = np.broadcast_shapes(a.shape, b.shape)
    ga, gb, gc = gradients((ta * tb + ta * 2.0).sum(), [ta, tb, tc])
    assert_gradient(ga, sum_to_shape(np.broadcast_to(b + 2.0, full), a.shape), dtype)
    assert_gradient(gb, sum_to_shape(np.broadcast_to(a, full), b.shape), dtype)
    assert_gradient(gc, np.zeros(c_shape), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@given(pair=broadcastable_shape_pairs(), data=st.data())
def test_backward_puts_gradients_of_each_leafs_shape_and_dtype_into_grad(dtype, pair, data):
    """Tensor.backward fills .grad of every leaf with an ndarray of the leaf's shape and dtype, twice summed."""
    a = data.draw(integer_arrays(pair[0], dtype), label="a")
    b = data.draw(integer_arrays(pair[1], dtype), label="b")
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    y = (ta * tb).sum()
    y.backward()
    y.backward()
    full = np.broadcast_shapes(a.shape, b.shape)
    assert_gradient(ta.grad, 2.0 * sum_to_shape(np.broadcast_to(b, full), a.shape), dtype)
    assert_gradient(tb.grad, 2.0 * sum_to_shape(np.broadcast_to(a, full), b.shape), dtype)


@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 1)], ids=str)
def test_gradients_of_an_output_that_needs_none_are_zeros_of_each_inputs_shape_and_dtype(shape):
    """A constant output (no input requires a gradient): zeros, of each input's shape and dtype, per input."""
    x64, x32 = Tensor(np.ones(shape)), Tensor(np.ones(shape, dtype=np.float32))
    out = (x64 * 2.0).sum()
    g64, g32 = gradients(out, [x64, x32])
    assert_gradient(g64, np.zeros(shape), np.float64)
    assert_gradient(g32, np.zeros(shape), np.float32)
    t64, t32 = gradients(out, [x64, x32], create_graph=True)
    assert isinstance(t64, Tensor) and isinstance(t32, Tensor)
    assert_gradient(t64.data, np.zeros(shape), np.float64)
    assert_gradient(t32.data, np.zeros(shape), np.float32)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("shape", [(), (1,), (2, 3)], ids=str)
def test_create_graph_gradients_are_tensors_of_each_inputs_shape_and_dtype(dtype, shape):
    """With create_graph=True: a Tensor per input, unused inputs included, with the input's shape and dtype."""
    x = Tensor(np.full(shape, 3.0, dtype=dtype), requires_grad=True)
    unused = Tensor(np.ones(shape, dtype=dtype), requires_grad=True)
    gx, gu = gradients((x * x).sum(), [x, unused], create_graph=True)
    assert isinstance(gx, Tensor) and isinstance(gu, Tensor)
    assert gx.requires_grad
    assert_gradient(gx.data, np.full(shape, 6.0), dtype)
    assert_gradient(gu.data, np.zeros(shape), dtype)


def test_a_float32_leaf_keeps_float32_gradients_when_a_float64_constant_upcasts_the_graph():
    """float32 leaf * float64 array is computed in float64, yet .grad and gradients() are float32."""
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = (x * np.array([3.0, -1.0])).sum()
    assert y.dtype == np.float64
    (g,) = gradients(y, [x])
    assert_gradient(g, [3.0, -1.0], np.float32)
    y.backward()
    assert_gradient(x.grad, [3.0, -1.0], np.float32)


def test_a_0d_leaf_gets_a_0d_gradient():
    """A 0-d leaf broadcast against a vector: its gradient is 0-d, the sum over the vector."""
    s = Tensor(np.array(2.0), requires_grad=True)
    v = Tensor(np.array([1.0, -3.0, 4.0]), requires_grad=True)
    (s * v).sum().backward()
    assert_gradient(s.grad, np.array(2.0), np.float64)
    assert_gradient(v.grad, np.full(3, 2.0), np.float64)


# ---------------------------------------------------------------- grad, value_and_grad, hvp


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@given(data=st.data())
def test_grad_and_value_and_grad_return_an_ndarray_of_xs_shape_and_dtype(dtype, data):
    """grad(f)(x) and value_and_grad(f)(x)[1] are ndarrays of x's shape and dtype; the value is a float."""
    x = data.draw(integer_arrays(shapes(), dtype), label="x")

    def f(t):
        return (t * t).sum() + (t * np.float64(0.0)).sum()  # a float64 constant: the cost is float64

    assert_gradient(grad(f)(x), 2.0 * x, dtype)
    value, g = value_and_grad(f)(x)
    assert type(value) is float and value == float((x.astype(np.float64) ** 2).sum())
    assert_gradient(g, 2.0 * x, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@given(data=st.data())
def test_hvp_returns_an_ndarray_of_xs_shape_and_dtype(dtype, data):
    """hvp(f)(x, v) is an ndarray of x's shape and dtype (f = sum(x**3), H v = 6 x v)."""
    x = data.draw(integer_arrays(shapes(), dtype), label="x")
    v = data.draw(integer_arrays(x.shape, dtype), label="v")
    assert_gradient(hvp(lambda t: (t * t * t).sum())(x, v), 6.0 * x * v, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("shape", [(), (1,), (2, 3)], ids=str)
def test_hvp_of_a_linear_or_constant_function_is_zeros_of_xs_shape_and_dtype(dtype, shape):
    """A zero Hessian comes back as zeros of x's shape and dtype, not as a scalar 0 that broadcasts."""
    x, v = np.ones(shape, dtype=dtype), np.ones(shape, dtype=dtype)
    assert_gradient(hvp(lambda t: (t * 2.0).sum())(x, v), np.zeros(shape), dtype)
    assert_gradient(hvp(lambda t: Tensor(1.0) + 0.0 * t.sum())(x, v), np.zeros(shape), dtype)


# ---------------------------------------------------------------- a compiled graph


@given(pair=broadcastable_shape_pairs(), data=st.data())
def test_a_compiled_graph_returns_a_one_element_result_and_gradients_of_each_inputs_shape(pair, data):
    """A compiled program: the result as a one-element array of the root's shape, and per input a float64
    ndarray of its shape (b is broadcast against a: its gradient is summed back)."""
    a = data.draw(integer_arrays(pair[0], np.float64), label="a")
    b = data.draw(integer_arrays(pair[1], np.float64), label="b")
    ta, tb = Tensor(np.zeros_like(a), requires_grad=True), Tensor(np.zeros_like(b), requires_grad=True)
    program = compiled((ta * tb).sum(), [ta, tb])
    J, (ga, gb) = program([a, b])
    full = np.broadcast_shapes(a.shape, b.shape)
    assert type(J) is np.ndarray and J.shape == () and (np.broadcast_to(a, full) * b).sum() == J
    assert_gradient(ga, sum_to_shape(np.broadcast_to(b, full), a.shape), np.float64)
    assert_gradient(gb, sum_to_shape(np.broadcast_to(a, full), b.shape), np.float64)


@given(data=st.data())
def test_grad_with_three_argnums_gives_each_argument_its_own_gradient_in_its_own_structure(data):
    """grad(f, argnums=(0, 1, 2)) of f(p, q, r) = sum(p[0] q) + 2 sum(p[1]) + 3 sum(r q) with a tree p of
    two leaves: (p's tree of gradients, q's, r's), each leaf's gradient in its own place (the flat list of
    leaf gradients is cut at the right offsets: 2, then 1, then 1)."""
    p0, p1, q, r = (data.draw(integer_arrays((3,), np.float64), label=n) for n in ("p0", "p1", "q", "r"))

    def f(p, q, r):
        return (p[0] * q).sum() + 2.0 * p[1].sum() + 3.0 * (r * q).sum()

    gp, gq, gr = grad(f, argnums=(0, 1, 2))((p0, p1), q, r)
    assert isinstance(gp, tuple) and len(gp) == 2
    assert_gradient(gp[0], q, np.float64)
    assert_gradient(gp[1], np.full(3, 2.0), np.float64)
    assert_gradient(gq, p0 + 3.0 * r, np.float64)
    assert_gradient(gr, 3.0 * q, np.float64)


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=20)  # dtype plumbing, not math
@given(data=st.data())
def test_every_backward_rule_keeps_float32_gradients_float32(name, data):
    """For every op, the rule run on float32 inputs and a float32 incoming gradient returns float32
    gradients of each input's shape: no rule allocates a float64 buffer behind the user's back."""
    case = data.draw(op_inputs(name), label="case")
    inputs = tuple(a.astype(np.float32) for a in case.inputs)
    op = case.make_op()
    op.needs_input_grad = (True,) * len(inputs)
    out = np.asarray(op.forward(*inputs))
    g = np.ones(out.shape, dtype=np.float32)
    for x, gx in zip(inputs, op.backward(g, out, *inputs)):
        gx = np.asarray(gx)
        assert gx.dtype == np.float32, f"{name}{case.params}: a float32 input got a {gx.dtype} gradient"
        assert np.broadcast_shapes(gx.shape, x.shape) == gx.shape  # the input's shape, or one it was broadcast to
