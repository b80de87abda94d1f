"""Corner cases of a compiled graph (:mod:`~tinygrad_nnd.engine.compiler`) that the network never builds.

The network's cost always has ops between its inputs and the result, feeds its
data to inner ops, and asks for the gradient of every leaf that wants one. A
compiled program can still be wrong elsewhere: a backward loop that runs one step too far
applies the result's own rule twice, which only shows when the result's op
reads an input directly (``x.dot(x)``, ``w.sum()``); a leaf that requires a
gradient but is not an input must keep its recorded value and be no argument;
data may feed the very first op.

No tolerances: the program runs the same rules on the same arrays in the same
order as backpropagation through a freshly recorded graph, so both give
identical numbers; closed forms here are exact (small integers).
"""

from __future__ import annotations

import numpy as np
import pytest
from compiled_graph import compiled
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nnd import OPS, Tensor, gradients
from tinygrad_nnd.testing import floats_arrays, op_inputs, shapes

OP_NAMES = sorted(OPS)


def assert_same(got: np.ndarray, expected: np.ndarray) -> None:
    assert type(got) is np.ndarray and got.shape == np.shape(expected), f"got {got!r}, expected {expected!r}"
    np.testing.assert_array_equal(got, expected, strict=True)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=30)
@given(data=st.data())
def test_compiling_any_op_gives_the_fresh_graphs_value_and_gradients(name, data):
    """For every op: the compiled graph of op(x) (itself the result when it has one element, so the result's op reads
    the inputs directly; else sum(w * op(x))) run on copies of x equals backpropagation, exactly."""
    case = data.draw(op_inputs(name), label="case")
    tensors = [Tensor(a.copy(), requires_grad=True) for a in case.inputs]
    out = case.apply(*tensors)
    if out.data.size == 1:
        root = out
    else:
        root = (out * data.draw(floats_arrays(out.shape), label="weights")).sum()
    expected = gradients(root, tensors)
    program = compiled(root, tensors)
    for _ in range(2):  # a second call starts afresh: nothing carried over from the first
        J, got = program([a.copy() for a in case.inputs])
        assert_same(J, root.data)
        assert len(got) == len(tensors)
        for g, e in zip(got, expected):
            assert_same(g, e)


@given(floats_arrays(shapes(min_dims=1, max_dims=1)), floats_arrays(shapes(min_dims=1, max_dims=1)))
def test_a_compiled_graph_of_x_dot_x_gives_2x(x0, x1):
    """J = x . x, the result's op reading its input twice and directly: dJ/dx = 2x at every replayed point."""
    t = Tensor(x0, requires_grad=True)
    program = compiled(t.dot(t), [t])
    x = np.resize(x1, x0.shape)
    J, (g,) = program([x])
    assert_same(g, 2.0 * x)
    assert float(np.dot(x, x)) == J


@given(floats_arrays(shapes()), floats_arrays(shapes()))
def test_a_compiled_graph_of_w_sum_gives_ones(w0, w1):
    """J = sum(w), the result's op reading the input directly: dJ/dw = ones of w's shape, J the new sum."""
    t = Tensor(w0, requires_grad=True)
    program = compiled(t.sum(), [t])
    w = np.resize(w1, w0.shape)
    J, (g,) = program([w])
    assert_same(g, np.ones(w0.shape))
    assert np.sum(w) == J


def test_a_leaf_that_requires_a_gradient_but_is_not_an_input_keeps_its_recorded_value():
    """J = sum(w * v) with v a leaf that requires a gradient but is not an input of the program: it
    uses v's recorded values and returns dJ/dw = v only."""
    w = Tensor(np.zeros(3), requires_grad=True)
    v = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    program = compiled((w * v).sum(), [w])
    J, grads = program([np.array([2.0, 1.0, 1.0])])
    assert float(J) == 2.0 - 2.0 + 3.0
    assert len(grads) == 1
    assert_same(grads[0], np.array([1.0, -2.0, 3.0]))
    assert v.grad is None  # the program gives no leaf a .grad


def test_a_leaf_that_is_not_an_input_and_feeds_the_result_op_directly():
    """J = v . w with v a non-input leaf read by the result's op: dJ/dw = v, not 2v or 0."""
    w = Tensor(np.zeros(2), requires_grad=True)
    v = Tensor(np.array([3.0, 5.0]), requires_grad=True)
    program = compiled(v.dot(w), [w])
    J, (g,) = program([np.array([1.0, 1.0])])
    assert float(J) == 8.0
    assert_same(g, np.array([3.0, 5.0]))


def test_data_feeding_the_first_op_is_read_anew_on_every_call():
    """J = sum((d * w)**2) with the data d read by the first op: new d values change J and dJ/dw."""
    w = Tensor(np.ones(2), requires_grad=True)
    d = Tensor(np.ones(2))
    program = compiled(((d * w) ** 2).sum(), [w], [d])
    for d_new in (np.array([1.0, 2.0]), np.array([3.0, -1.0])):
        w_new = np.array([2.0, 1.0])
        J, (g,) = program([w_new], [d_new])
        assert float(J) == float(((d_new * w_new) ** 2).sum())
        assert_same(g, 2.0 * d_new * d_new * w_new)


def test_data_feeding_the_result_op_directly():
    """J = d . w, the result's op reading both the data and the input: dJ/dw = d, for each new d."""
    w = Tensor(np.ones(3), requires_grad=True)
    d = Tensor(np.zeros(3))
    program = compiled(d.dot(w), [w], [d])
    d_new = np.array([1.0, -2.0, 4.0])
    J, (g,) = program([np.array([1.0, 1.0, 2.0])], [d_new])
    assert float(J) == 7.0
    assert_same(g, d_new)


def test_two_inputs_read_only_by_the_result_op_and_one_reused():
    """J = sum(a * b) replayed with a and b: dJ/da = b and dJ/db = a (no input's gradient goes to the other)."""
    a, b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    program = compiled((a * b).sum(), [a, b])
    J, (ga, gb) = program([np.array([1.0, 2.0]), np.array([5.0, 7.0])])
    assert float(J) == 19.0
    assert_same(ga, np.array([5.0, 7.0]))
    assert_same(gb, np.array([1.0, 2.0]))


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["d + w", "d - w"])
def test_data_read_by_an_op_whose_rule_returns_a_gradient_for_every_operand(sign):
    """add and sub pass g to their first operand whether it wants it or not: data there gets no gradient
    computed (J = sum(w * (d +- w)) over two data arrays, dJ/dw = d +- 2w), and the data is read anew."""
    w = Tensor(np.ones(2), requires_grad=True)
    d, e = Tensor(np.zeros(2)), Tensor(np.zeros(2))

    def combine(a, b):
        return a + b if sign > 0 else a - b

    program = compiled((w * combine(d, w) + e).sum(), [w], [d, e])
    d_new, e_new, w_new = np.array([1.0, -3.0]), np.array([2.0, 0.5]), np.array([2.0, 5.0])
    J, (g,) = program([w_new], [d_new, e_new])
    assert float(J) == float((w_new * combine(d_new, w_new) + e_new).sum())
    assert_same(g, d_new + sign * 2.0 * w_new)
