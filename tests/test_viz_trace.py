"""Tests for tinygrad_nnd.viz.trace: the recorded backward pass and the network explanation."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_nnd import NeuralNetwork, Tensor, gradients, topological_order
from tinygrad_nnd.datasets import sleep_study
from tinygrad_nnd.engine.ops import Op
from tinygrad_nnd.viz import (
    BackwardTrace,
    ChainRuleComparison,
    GradientComparison,
    explain_network,
    graph_nodes,
    network_cost_graph,
    node_labels,
    rule_explanation,
    trace_backward,
)

RTOL = 1e-12


def seed_network_data() -> tuple[NeuralNetwork, np.ndarray, np.ndarray]:
    X, y = sleep_study()
    return NeuralNetwork(seed=0), X, y


def deep_network_data(**options: object) -> tuple[NeuralNetwork, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return NeuralNetwork((4, 5, 5, 3), seed=3, **options), rng.normal(size=(8, 4)), rng.random((8, 3))


def sample_graphs() -> list[Tensor]:
    """Graphs with the situations a trace must get right: shared nodes, broadcasting, constants."""
    N, X, y = seed_network_data()
    seed_J = network_cost_graph(N, X, y)
    N_reg, X_deep, y_deep = deep_network_data(Lambda=1e-3, mean_cost=True)
    deep_J = network_cost_graph(N_reg, X_deep, y_deep)  # W_l used twice: in z and in the penalty

    x = Tensor([[1.0, -2.0, 0.5]], requires_grad=True, name="x")
    b = Tensor([0.1, 0.2, 0.3], requires_grad=True, name="b")
    h = (x * x + b).tanh()  # b is broadcast over the rows
    shared = (h * h.exp() - h / 2.0).mean()
    shared.name = "L"
    return [seed_J, deep_J, shared]


def op_nodes_in_backward_order(root: Tensor) -> list[Tensor]:
    return [node for node in reversed(topological_order(root)) if node.op is not None]


# ----------------------------------------------------------------------------- trace_backward


@pytest.mark.parametrize("case", range(3))
def test_steps_run_in_reverse_topological_order_one_per_op(case: int) -> None:
    """Property: one step per op node, in the engine's reverse topological order."""
    root = sample_graphs()[case]
    trace = trace_backward(root)
    labels = node_labels(graph_nodes(root))
    expected = [labels[id(node)] for node in op_nodes_in_backward_order(root)]
    assert [step.label for step in trace.steps] == expected
    assert [step.index for step in trace.steps] == list(range(len(expected)))
    assert len(set(expected)) == len(expected)


@pytest.mark.parametrize("case", range(3))
def test_incoming_gradient_at_each_step_is_the_gradient_of_the_node(case: int) -> None:
    """Property: each step's gradient in equals gradients(root, [node]) for that node."""
    root = sample_graphs()[case]
    trace = trace_backward(root)
    nodes = op_nodes_in_backward_order(root)
    expected = gradients(root, nodes)
    for step, node, g in zip(trace.steps, nodes, expected, strict=True):
        assert step.grad_in.shape == node.shape == step.output_shape
        np.testing.assert_allclose(step.grad_in, g, rtol=1e-13, atol=0)
        assert trace.gradient_of(step.label) is step.grad_in


@pytest.mark.parametrize("case", range(3))
def test_leaf_gradients_match_gradients_and_leave_grad_untouched(case: int) -> None:
    """Property: trace.grads equals gradients(root, leaves); no leaf's .grad changes."""
    root = sample_graphs()[case]
    leaves = [t for t in graph_nodes(root) if t.op is None and t.requires_grad]
    before = []
    for k, leaf in enumerate(leaves):
        leaf.grad = None if k % 2 else np.full(leaf.shape, 7.0)  # some None, some set
        before.append(None if leaf.grad is None else leaf.grad.copy())
    trace = trace_backward(root)
    labels = node_labels(graph_nodes(root))
    for leaf, g, old in zip(leaves, gradients(root, leaves), before, strict=True):
        np.testing.assert_allclose(trace.grads[labels[id(leaf)]], g, rtol=1e-13, atol=0)
        if old is None:
            assert leaf.grad is None
        else:
            np.testing.assert_array_equal(leaf.grad, old)
        assert leaf.grad_tensor is None
    assert list(trace.grads) == [labels[id(leaf)] for leaf in leaves]


def test_step_records_shapes_inputs_and_rule_outputs() -> None:
    N, X, y = seed_network_data()
    trace = trace_backward(network_cost_graph(N, X, y))
    z_3 = trace.step("z_3")
    assert z_3.op == z_3.op_name == "dot"
    assert z_3.input_labels == ("a_2", "W_2")
    assert z_3.input_shapes == ((3, 3), (3, 1)) and z_3.output_shape == (3, 1)
    assert z_3.input_requires_grad == (True, True)
    N.forward(X)
    np.testing.assert_allclose(z_3.input_grads[0], z_3.grad_in @ N.W_2.T, rtol=1e-14)
    np.testing.assert_allclose(z_3.input_grads[1], N.a_2.T @ z_3.grad_in, rtol=1e-14)
    z_2 = trace.step("z_2")
    assert z_2.input_labels == ("X", "W_1") and z_2.input_requires_grad == (False, True)
    assert z_2.input_grads[0] is None  # the rule skips the constant X
    assert z_2.rule == "dot backward: W_1 gets X.T @ g (X is a constant: no gradient)"
    assert trace.step("y_hat").rule == "sigmoid backward: z_3 gets g * y_hat * (1 - y_hat)"


def test_records_are_copies() -> None:
    """Property: changing a recorded array changes neither the graph nor other records."""
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x + x).sum()
    trace = trace_backward(y)
    add = trace.steps[1]
    assert add.input_grads[0] is not add.input_grads[1]  # the rule passed one array twice
    add.input_grads[0][:] = 99.0
    np.testing.assert_array_equal(add.input_grads[1], [1.0, 1.0])


def test_gradient_of_unknown_label_lists_the_labels() -> None:
    N, X, y = seed_network_data()
    trace = trace_backward(network_cost_graph(N, X, y))
    with pytest.raises(KeyError, match="z_2"):
        trace.gradient_of("z_9")
    with pytest.raises(KeyError, match="no step"):
        trace.step("W_1")
    np.testing.assert_array_equal(trace.gradient_of("W_1"), trace.grads["W_1"])


def test_trace_of_a_constant_is_refused_and_seed_is_checked() -> None:
    with pytest.raises(ValueError, match="does not require a gradient"):
        trace_backward(Tensor(1.0) * 2.0)
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="seed of shape"):
        trace_backward(x * 2.0, seed=[1.0])
    trace = trace_backward(x * 2.0, seed=[1.0, 10.0])
    np.testing.assert_array_equal(trace.grads["%0"], [2.0, 20.0])


def test_trace_of_a_leaf_has_no_steps() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    trace = trace_backward(x)
    assert trace.steps == [] and list(trace.grads) == ["x"]
    np.testing.assert_array_equal(trace.gradient_of("x"), [1.0, 1.0])


def test_trace_of_a_chain_far_deeper_than_the_recursion_limit_does_not_recurse(shallow_recursion: int) -> None:
    """Property: a chain 20 times deeper than the recursion limit allows traces without RecursionError, every step receiving 1."""
    n = 20 * shallow_recursion
    y = Tensor(0.0, requires_grad=True, name="x")
    for _ in range(n):
        y = y + 1.0
    trace = trace_backward(y)
    assert len(trace.steps) == n
    assert all(step.grad_in == 1.0 for step in trace.steps)
    assert trace.grads["x"] == 1.0


def test_format_lists_every_step_and_the_leaf_gradients() -> None:
    N, X, y = seed_network_data()
    trace = trace_backward(network_cost_graph(N, X, y))
    text = trace.format()
    assert str(trace) == text
    assert text.splitlines()[0] == "Backward pass of J: 8 steps, starting from dJ/dJ = 1"
    for step in trace.steps:
        assert f"step {step.index}: {step.label} = {step.op_name}(" in text
        assert step.rule in text
    assert "step 1: %10 = sum(%9)" in text
    assert "dJ/dW_1 = [[" in text and "dJ/dW_2 = [[" in text
    assert "0x" not in text
    assert trace_backward(network_cost_graph(N, X, y)).format() == text  # deterministic


def test_format_notes_broadcast_gradients() -> None:
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    b = Tensor([0.5, -0.5], requires_grad=True, name="b")
    out = (x + b).sum()
    text = trace_backward(out).format()
    assert "summed over the broadcast axes to b's shape (2,)" in text


def test_rule_explanation_falls_back_to_the_op_docstring() -> None:
    class Cube(Op):
        """``c = a ** 3``;  dc/da = 3 a**2."""

        __slots__ = ()

    # Set after the class is made, so the op is not added to the engine's registry.
    Cube.name = "cube"
    text = rule_explanation(Cube(), ("x",), "%1", (True,))
    assert text == "cube backward: ``c = a ** 3``;  dc/da = 3 a**2."


def test_rule_explanation_names_the_inputs() -> None:
    from tinygrad_nnd.engine import ops

    assert rule_explanation(ops.Mul(), ("a", "b"), "c", (True, True)) == "mul backward: a gets g * b; b gets g * a"
    assert rule_explanation(ops.Pow(3.0), ("x",), "y", (True,)) == "pow backward: x gets g * 3.0 * x**(3.0 - 1)"
    text = rule_explanation(ops.Sub(), ("y", "y_hat"), "e", (False, True))
    assert text == "sub backward: y_hat gets -g (y is a constant: no gradient)"


# ----------------------------------------------------------------------------- explain_network


def _check_deltas(N: NeuralNetwork, X: np.ndarray, y: np.ndarray) -> None:
    explanation = explain_network(N, X, y)
    N_copy = NeuralNetwork(N.layer_sizes, Lambda=N.Lambda, mean_cost=N.mean_cost, seed=0)
    N_copy.weights = N.weights
    N_copy.cost_function_prime(X, y)
    layers = list(range(N.n_layers + 1, 1, -1))
    assert [c.by_hand for c in explanation.delta_checks] == [f"delta_{l}" for l in layers]
    for l in layers:
        delta = getattr(N_copy, f"delta_{l}")
        from_trace = explanation.trace.gradient_of(f"z_{l}")
        np.testing.assert_allclose(from_trace, delta, rtol=RTOL, atol=RTOL * np.abs(delta).max())
    for check in explanation.delta_checks + explanation.weight_checks:
        assert check.relative_diff <= RTOL
    assert explanation.agrees(RTOL)


def test_explain_seed_network_gradients_at_z_are_the_deltas() -> None:
    """Property: on the seed 2-3-1 network, dJ/dz_3 == delta_3 and dJ/dz_2 == delta_2 (1e-12 relative)."""
    _check_deltas(*seed_network_data())


@pytest.mark.parametrize("options", [{}, {"Lambda": 1e-3, "mean_cost": True}])
def test_explain_deeper_network_gradients_at_z_are_the_deltas(options: dict) -> None:
    """Property: on a (4, 5, 5, 3) network, dJ/dz_l == delta_l for l = 4, 3, 2 (1e-12 relative)."""
    _check_deltas(*deep_network_data(**options))


def test_explain_does_not_change_the_network() -> None:
    N, X, y = seed_network_data()
    weights = [W.copy() for W in N.weights]
    explain_network(N, X, y)
    assert not hasattr(N, "delta_2") and not hasattr(N, "z_2")
    for W, W0 in zip(N.weights, weights):
        np.testing.assert_array_equal(W, W0)


def test_explain_text_walks_every_step_and_ends_with_the_delta_comparisons() -> None:
    """Property: the text names every step with the series' labels and ends with delta_3 then delta_2."""
    explanation = explain_network(*seed_network_data())
    text = explanation.format()
    assert str(explanation) == text
    lines = text.splitlines()
    assert lines[0].startswith("NeuralNetwork(layer_sizes=(2, 3, 1)) on 3 examples: J = ")
    for label in ["J", "y_hat", "z_3", "a_2", "z_2"]:
        assert f": {label} = " in text
    assert "sigmoid backward: z_3 gets g * y_hat * (1 - y_hat)" in text
    assert "sigmoid backward: z_2 gets g * a_2 * (1 - a_2)" in text
    assert "(this is delta_3 of Part IV" in text and "(this is delta_2 of Part IV" in text
    assert lines[-2].strip().startswith("dJ/dz_3 vs delta_3: max abs difference ")
    assert lines[-1].strip().startswith("dJ/dz_2 vs delta_2: max abs difference ")
    assert "dJ/dW_1 vs dJdW_1" in text


def test_gradient_comparison_relative_difference() -> None:
    assert GradientComparison is ChainRuleComparison  # the former name still works
    assert GradientComparison("a", "b", 0.0, 0.0).relative_diff == 0.0
    assert GradientComparison("a", "b", 1e-3, 0.0).relative_diff == float("inf")
    assert GradientComparison("a", "b", 1e-3, 2.0).relative_diff == 5e-4
    assert GradientComparison("a", "b", 1e-3, 2.0).format() == "a vs b: max abs difference 1.0e-03 (relative 5.0e-04)"


def test_backward_trace_is_a_plain_dataclass() -> None:
    trace = BackwardTrace(root_label="J")
    assert trace.steps == [] and trace.grads == {}
    assert trace.format() == "Backward pass of J: 0 steps, starting from dJ/dJ = 1"
