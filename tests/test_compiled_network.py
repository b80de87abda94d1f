"""The network's compiled cost: what a freshly recorded graph gives, at every new point, from any thread.

NeuralNetwork.cost_and_gradients (and so Trainer) runs a compiled program of
its cost graph (traced once per data shape), and Trainer's Hessian-vector
products run a jitted cost. These properties are what make that speed safe:
the same numbers as the Tensor graph, and a new trace whenever the old one would
no longer fit.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies_nn import Problem, points, problems

from tinygrad_nnd import OPS, AnomalyError, NeuralNetwork, Tensor, Trainer, detect_anomaly, gradients, hvp, no_grad
from tinygrad_nnd.engine.compiler import MIN_BUFFER_BYTES


@settings(max_examples=30)
@given(problems(), st.data())
def test_compiled_cost_and_gradient_equal_a_freshly_recorded_graph_at_every_new_point(p: Problem, data: st.DataObject):
    """For new weights and new data of the same shapes, the compiled program equals a new Tensor graph."""
    N, n_rows = p.N, p.X.shape[0]
    for step in range(3):  # the first call traces, the next ones reuse the program
        params, X, y = (N.get_params(), p.X, p.y) if step == 0 else data.draw(points(N, n_rows), label="point")
        N.set_params(params)
        J, gradient = N.cost_and_gradients(X, y)
        if step == 0:
            compiled = N._compiled_cost(X, y)
        else:
            assert N._compiled_cost(X, y) is compiled  # reused, not traced again
        weights = [Tensor(W, requires_grad=True) for W in N.weights]
        biases = [Tensor(b, requires_grad=True) for b in N.biases]  # problems() draws bias=True too
        J_fresh = N.cost_tensor(X, y, weights, biases)
        fresh = np.concatenate([g.ravel() for g in gradients(J_fresh, weights + biases)])
        # The same NumPy operations on the same arrays in the same order: equal to the last bit.
        assert float(J_fresh.data) == J
        np.testing.assert_array_equal(gradient, fresh)


def test_changing_Lambda_or_the_data_shape_traces_again():
    """The program is keyed on what shapes it: Lambda, mean_cost, layer sizes, data shapes and dtypes."""
    N = NeuralNetwork(seed=0)
    X, y = np.random.default_rng(0).random((3, 2)), np.random.default_rng(1).random((3, 1))
    N.cost_and_gradients(X, y)
    first = N._compiled_cost(X, y)
    assert N._compiled_cost(X.copy(), y.copy()) is first  # same shapes: reused
    N.Lambda = 0.5
    assert N._compiled_cost(X, y) is not first
    hand = N.compute_gradients_by_hand(X, y)
    np.testing.assert_allclose(N.compute_gradients(X, y), hand, rtol=1e-12)
    bigger = np.vstack([X, X]), np.vstack([y, y])
    np.testing.assert_allclose(N.compute_gradients(*bigger), N.compute_gradients_by_hand(*bigger), rtol=1e-12)


def test_data_changed_in_place_is_seen_by_the_compiled_cost():
    """The program reads the data it is given at each call: X and y are its arguments, not constants."""
    N = NeuralNetwork(seed=0)
    X, y = np.random.default_rng(0).random((3, 2)), np.random.default_rng(1).random((3, 1))
    N.cost_and_gradients(X, y)
    X *= 2.0
    np.testing.assert_allclose(N.compute_gradients(X, y), N.compute_gradients_by_hand(X, y), rtol=1e-12)
    assert "X" in N._compiled_cost(X, y).arguments and "y" in N._compiled_cost(X, y).arguments


def test_the_source_reads_like_the_series_chain_rule():
    """dJ_dz_3 is delta_3, dJ_dz_2 is delta_2; dJ_dW_2 = a_2.T @ delta_3 and dJ_dW_1 = X.T @ delta_2."""
    N = NeuralNetwork(seed=0)
    source = N.cost_and_gradients_source(np.ones((3, 2)), np.ones((3, 1)))
    for line in (
        "z_2 = X @ W_1",
        "a_2 = expit(z_2)",
        "y_hat = expit(z_3)",
        "dJ_dz_3 = dJ_dy_hat * y_hat * (1.0 - y_hat)",
        "dJ_dW_2 = a_2.T @ dJ_dz_3",
        "dJ_da_2 = dJ_dz_3 @ W_2.T",
        "dJ_dz_2 = dJ_da_2 * a_2 * (1.0 - a_2)",
        "dJ_dW_1 = X.T @ dJ_dz_2",
    ):
        assert f"    {line}  #" in source, line


def test_each_backward_line_of_the_networks_source_states_its_ops_rule_in_words():
    """Every backward line ends with the rule that made it, as docs/backward-pass-as-code.md reads them: the op,
    which of its inputs (a or b), and that op's own rule in words (OPS[op].rule, its fields shown as letters)."""
    N = NeuralNetwork(seed=0)
    source = N.cost_and_gradients_source(np.ones((3, 2)), np.ones((3, 1)))
    made_by = {  # each gradient line: the op whose rule it is, and for which input
        "dJ_dsub_5": ("square", 0),
        "dJ_dy_hat": ("sub", 1),
        "dJ_dz_3": ("sigmoid", 0),
        "dJ_da_2": ("dot", 0),
        "dJ_dW_2": ("dot", 1),
        "dJ_dz_2": ("sigmoid", 0),
        "dJ_dW_1": ("dot", 1),
    }
    comments = {}
    for line in source.split("    # backward: dJ_dv is dJ/dv\n")[1].splitlines()[:-1]:  # the last line returns
        target, comment = re.fullmatch(r"    (\w+) = .*  # (.*)", line).groups()
        comments[target] = comment
    assert set(comments) == set(made_by)
    for target, (op, i) in made_by.items():
        words = re.sub(r"\{(\w+)\}", r"\1", OPS[op].rule[i])
        assert comments[target] == f"{op}: dJ/d{'ab'[i]} = {words}", target
    assert comments["dJ_dz_3"] == "sigmoid: dJ/da = g * c * (1 - c)"  # the series' f'(z) = a (1 - a), read off


def test_the_buffer_plan_frees_z_2_into_a_2_as_the_tape_did():
    """Only the sigmoid reads z_2, and its rule needs its output: a_2 is written over z_2 (one buffer),
    and the backward pass reuses the buffers of values it no longer needs: no more than two
    n x hidden arrays, like the hand-written NumPy in place."""
    N = NeuralNetwork((2, 8, 1), seed=0)
    n = MIN_BUFFER_BYTES // (8 * 8) + 1  # z_2 (n x 8 float64) just gets a buffer
    X, y = np.random.default_rng(0).random((n, 2)), np.random.default_rng(1).random((n, 1))
    program = N._compiled_cost(X, y)
    assert program.plan["z_2"] == program.plan["a_2"]
    assert sum(1 for shape, _ in program.buffers if shape == (n, 8)) == 2
    np.testing.assert_allclose(N.compute_gradients(X, y), N.compute_gradients_by_hand(X, y), rtol=1e-12)


def test_detect_anomaly_catches_nan_weights_in_the_networks_compiled_cost():
    """Inside detect_anomaly the program checks each op like the Tensor graph: NaN in W_1 names the dot."""
    N = NeuralNetwork(seed=0)
    X, y = np.ones((3, 2)), np.ones((3, 1))
    N.cost_and_gradients(X, y)  # compiled outside, run checked inside
    N.W_1[0, 0] = np.nan
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^dot forward produced NaN"):
        N.cost_and_gradients(X, y)


def test_threads_differentiating_one_network_on_batches_of_different_shapes_get_right_answers():
    """The network's program is swapped as a whole and its buffers are per call: no thread runs a program of
    another shape or shares buffers, small or large."""
    N = NeuralNetwork((2, 8, 1), seed=0)
    rng = np.random.default_rng(0)
    large = MIN_BUFFER_BYTES // (8 * 8) + 1
    batches = [(rng.random((n, 2)), rng.random((n, 1))) for n in (1, 2, 3, large, large)]
    expected = [N.compute_gradients_by_hand(X, y) for X, y in batches]
    failures: list[str] = []

    def work(k: int) -> None:
        for _ in range(40):
            try:
                got = N.compute_gradients(*batches[k])
            except ValueError as error:
                failures.append(str(error))
                return
            if not np.allclose(got, expected[k], rtol=1e-12, atol=1e-15):
                failures.append(f"batch {k}: wrong gradient")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_compute_gradients_works_inside_no_grad_even_on_first_use():
    """The network traces its cost with recording on, whatever the caller's mode."""
    N = NeuralNetwork(seed=0)
    X, y = np.ones((3, 2)), np.ones((3, 1))
    with no_grad():
        got = N.compute_gradients(X, y)
    np.testing.assert_allclose(got, N.compute_gradients_by_hand(X, y), rtol=1e-12)


@settings(max_examples=20)
@given(problems(), st.data())
def test_the_trainers_compiled_hessian_vector_product_equals_the_eager_one(p: Problem, data: st.DataObject):
    """Newton-CG and trust-ncg get H v from the jitted cost: equal to eager hvp of cost_of_params."""
    v = data.draw(points(p.N, p.X.shape[0]), label="v")[0]
    params = p.N.get_params()
    got = Trainer(p.N, method="Newton-CG").hessian_vector_product(params, v, p.X, p.y)
    want = hvp(p.N.cost_of_params)(params, v, p.X, p.y)
    # The same rules on the same arrays; 1e-12 relative as for every compiled-vs-eager comparison.
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg"])
def test_second_order_training_on_the_compiled_path_takes_the_eager_path_step_for_step(method):
    """Trainer with Newton-CG / trust-ncg: same iterations and optimum as SciPy driven by the eager functions."""
    from scipy.optimize import minimize

    from tinygrad_nnd import value_and_grad
    from tinygrad_nnd.datasets import sleep_study

    X, y = sleep_study()
    T = Trainer(NeuralNetwork(seed=0), method=method)
    result = T.train(X, y)
    N = NeuralNetwork(seed=0)
    eager = minimize(
        value_and_grad(N.cost_of_params),
        N.get_params(),
        args=(X, y),
        jac=True,
        hessp=hvp(N.cost_of_params),
        method=method,
        options={"maxiter": 200},
    )
    assert result.nit == eager.nit
    # Compiled and eager values agree to rounding; over ~15 Newton steps that moves the optimum
    # by far less than SciPy's own stopping tolerance.
    np.testing.assert_allclose(result.x, eager.x, rtol=1e-8, atol=1e-10)


def test_a_program_refuses_inner_nodes_as_arguments_and_gradients_of_non_scalar_results():
    """An inner node as an argument would be overwritten by its own op; a gradient needs one element."""
    from compiled_graph import compiled

    w = Tensor(np.ones(2), requires_grad=True)
    h = w * 3.0
    with pytest.raises(ValueError, match="leaf"):
        compiled((h * h).sum(), [h])
    with pytest.raises(ValueError, match="one element"):
        compiled(w * w, [w])


def test_the_compiled_result_is_not_an_array_the_caller_gave():
    """A result that is a view of an input comes back as a fresh array."""
    from compiled_graph import compiled

    w = Tensor(np.ones((1, 1)), requires_grad=True)
    program = compiled(w.reshape(()), [w])
    given = np.array([[4.0]])
    J, (g,) = program([given])
    J[...] = 0.0
    g[...] = 5.0
    assert given[0, 0] == 4.0
    assert program([given])[1][0].tolist() == [[1.0]]
