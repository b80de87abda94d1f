"""backpropagate itself, where its callers in the engine do not reach: its defaults, and a node that
no gradient reaches although it requires one.

No tolerances: every value here is a small integer, exact in float64.
"""

from __future__ import annotations

import numpy as np

from tinygrad_nnd import Tensor, gradients
from tinygrad_nnd.engine import backpropagate, topological_order


def test_backpropagate_by_default_returns_array_gradients_of_the_leaves():
    """backpropagate(root, seed) without options (as the backward-pass trace calls it): plain ndarrays, no graph."""
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    found = backpropagate((w * w).sum(), np.ones(()))
    assert list(found) == [w]
    assert type(found[w]) is np.ndarray
    np.testing.assert_array_equal(found[w], np.array([2.0, 4.0]), strict=True)


def test_a_tensor_made_to_require_a_gradient_after_it_was_used_gets_none_and_the_others_still_do():
    """c was a constant when c * w was recorded (mul computed no gradient for it); requiring one later
    gives c zeros from gradients() and no .grad, while w and d, sorted after c, still get theirs."""
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = Tensor(np.array([3.0, 4.0]))
    d = Tensor(np.array([5.0, 6.0]), requires_grad=True)
    y = (d * d).sum() + (w * c).sum()  # c comes before w and d in the backward order
    c.requires_grad = True
    gw, gc, gd = gradients(y, [w, c, d])
    np.testing.assert_array_equal(gw, np.array([3.0, 4.0]), strict=True)
    np.testing.assert_array_equal(gc, np.zeros(2), strict=True)
    np.testing.assert_array_equal(gd, np.array([10.0, 12.0]), strict=True)
    y.backward()
    assert c.grad is None
    np.testing.assert_array_equal(w.grad, np.array([3.0, 4.0]), strict=True)
    np.testing.assert_array_equal(d.grad, np.array([10.0, 12.0]), strict=True)


def test_on_step_sees_each_op_node_once_result_first_with_its_gradient_and_its_rules_output():
    """backpropagate(..., on_step=hook) calls hook(node, dL/dnode, input gradients) after each rule:
    the result first, then each op node once, never a leaf (what the backward-pass trace shows)."""
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = w * 3.0
    y = (h * h).sum()
    steps = []
    backpropagate(y, np.ones(()), on_step=lambda node, g, grads: steps.append((node, np.copy(g), grads)))
    assert [node for node, _, _ in steps] == [y, y.parents[0], h]
    np.testing.assert_array_equal(steps[1][1], np.ones(2), strict=True)  # dy/d(h*h)
    np.testing.assert_array_equal(steps[2][1], np.array([6.0, 12.0]), strict=True)  # dy/dh = 2h
    np.testing.assert_array_equal(steps[2][2][0], np.array([18.0, 36.0]), strict=True)  # dy/dw = 3 * 2h


def test_topological_order_visits_what_inputs_of_gives_constants_included_inputs_first():
    """With ``inputs_of`` (the graph views' walk) every node it names is visited, constants too, each
    after all of its inputs and in the order ``inputs_of`` gives; without it, constants are skipped."""
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    c = Tensor([3.0, 4.0], name="c")  # a constant: no gradient flows to it
    root = (w * c).sum()
    asked = []

    def inputs_reversed(node):
        asked.append(node)
        return tuple(reversed(node.parents))

    order = topological_order(root, inputs_of=inputs_reversed)
    assert order[-1] is root and len(order) == len({id(n) for n in order}) == 4
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)
    assert order.index(w) > order.index(c)  # mul's inputs reversed: c is visited before w
    assert all(node is not None for node in asked) and {id(n) for n in asked} == {id(n) for n in order}
    assert [n for n in topological_order(root) if n is c] == []


def test_backpropagate_returns_the_leaves_and_exactly_the_wanted_inner_nodes():
    """``wanted`` adds those inner nodes to the leaves' gradients, and no other inner node."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    hidden = w * 3.0
    other = hidden.sigmoid()
    root = other.sum()
    grads = backpropagate(root, np.array(1.0), wanted=[hidden])
    assert set(map(id, grads)) == {id(w), id(hidden)}
    s = other.data  # the sigmoid the rule reads, so the check does not depend on how exp rounds here
    # The rule is g * s * (1 - s), then mul's rule multiplies by 3: the same float operations, so the
    # results are equal to the bit, whatever the machine.
    np.testing.assert_array_equal(grads[hidden], s * (1.0 - s))
    np.testing.assert_array_equal(grads[w], (s * (1.0 - s)) * 3.0)
