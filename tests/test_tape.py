"""The Tape: a recorded graph replayed on new values gives what a freshly recorded graph gives.

NeuralNetwork.cost_and_gradients (and so Trainer) runs on a Tape, so these
properties are what make its speed safe: same numbers as the Tensor graph, and
a new recording whenever the recorded one would no longer fit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies_nn import Problem, points, problems

from tinygrad_nnd import OPS, NeuralNetwork, Tensor, gradients
from tinygrad_nnd.engine.tape import Tape
from tinygrad_nnd.testing import floats_arrays, op_inputs

OP_NAMES = sorted(OPS)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=20)
@given(data=st.data())
def test_an_op_that_says_it_does_not_save_a_value_computes_its_backward_without_it(name, data):
    """Op.saves_inputs / saves_output are honest: the rule gives the same gradients with None in their place.

    The Tape frees the values no rule reads; an op that claimed too little would
    fail here (a TypeError on None, or different numbers) before it could fail there.
    """
    case = data.draw(op_inputs(name))
    op = case.make_op()
    op.needs = (True,) * len(case.inputs)
    out = np.asarray(op.forward(*case.inputs))
    g = data.draw(floats_arrays(out.shape))
    full = op.backward(g, out, *case.inputs)
    lean = op.backward(
        g,
        out if op.saves_output else None,
        *(case.inputs if op.saves_inputs else (None,) * len(case.inputs)),
    )
    for got, want in zip(lean, full):
        np.testing.assert_array_equal(got, want)  # the same arithmetic: exactly equal


@settings(max_examples=30)
@given(problems(), st.data())
def test_replayed_cost_and_gradient_equal_a_freshly_recorded_graph_at_every_new_point(p: Problem, data: st.DataObject):
    """For new weights and new data of the same shapes, the replay equals a new Tensor graph (to rounding)."""
    N, n_rows = p.N, p.X.shape[0]
    for step in range(3):  # the first call records, the next ones replay
        params, X, y = (N.get_params(), p.X, p.y) if step == 0 else data.draw(points(N, n_rows), label="point")
        N.set_params(params)
        J, gradient = N.cost_and_gradients(X, y)
        if step == 0:
            recorded = N._cost_tape(X, y)
        else:
            assert N._cost_tape(X, y) is recorded  # replayed, not recorded again
        weights = [Tensor(W, requires_grad=True) for W in N.weights]
        J_fresh = N.cost_tensor(X, y, weights)
        fresh = np.concatenate([g.ravel() for g in gradients(J_fresh, weights)])
        # The same ops on the same arrays in the same order: equal up to summation order (none differs here).
        assert pytest.approx(float(J_fresh.data), rel=1e-14, abs=1e-300) == J
        np.testing.assert_allclose(gradient, fresh, rtol=1e-13, atol=1e-300)


def test_changing_Lambda_or_the_data_shape_records_a_new_graph():
    """The recorded graph is keyed on what shapes it: Lambda, mean_cost, layer sizes and data shapes."""
    N = NeuralNetwork(seed=0)
    X, y = np.random.default_rng(0).random((3, 2)), np.random.default_rng(1).random((3, 1))
    N.cost_and_gradients(X, y)
    first = N._cost_tape(X, y)
    assert N._cost_tape(X.copy(), y.copy()) is first  # same shapes: replayed
    N.Lambda = 0.5
    assert N._cost_tape(X, y) is not first
    hand = N.compute_gradients_by_hand(X, y)
    np.testing.assert_allclose(N.compute_gradients(X, y), hand, rtol=1e-12)
    bigger = np.vstack([X, X]), np.vstack([y, y])
    np.testing.assert_allclose(N.compute_gradients(*bigger), N.compute_gradients_by_hand(*bigger), rtol=1e-12)


def test_data_changed_in_place_is_seen_by_the_replay():
    """The replay reads the data it is given at each call, not a copy made when it recorded."""
    N = NeuralNetwork(seed=0)
    X, y = np.random.default_rng(0).random((3, 2)), np.random.default_rng(1).random((3, 1))
    N.cost_and_gradients(X, y)
    X *= 2.0
    np.testing.assert_allclose(N.compute_gradients(X, y), N.compute_gradients_by_hand(X, y), rtol=1e-12)


def test_the_replay_frees_z_2_and_z_3_which_no_backward_rule_reads():
    """Only the sigmoid reads z_l, and its rule needs its output: z_2 and z_3 are freed after their sigmoid."""
    N = NeuralNetwork(seed=0)
    X, y = np.ones((3, 2)), np.ones((3, 1))
    tape = N._cost_tape(X, y)
    freed = sorted(i for after in tape.release_after for i in after)
    assert [tape.ops[i].name for i in freed] == ["dot", "dot"]


def test_a_tape_refuses_inputs_of_other_shapes_and_non_scalar_results():
    """A tape only fits the shapes it recorded, and only a one-element result."""
    w = Tensor(np.zeros(2), requires_grad=True)
    tape = Tape((w * w).sum(), [w])
    with pytest.raises(ValueError, match="shapes"):
        tape.value_and_grad([np.zeros(3)])
    with pytest.raises(ValueError, match="one element"):
        Tape(w * w, [w])
    with pytest.raises(ValueError, match="requires a gradient"):
        Tape((w * w).sum(), [Tensor(np.zeros(2))])


def test_detect_anomaly_catches_nan_weights_in_the_networks_replayed_cost():
    """Inside detect_anomaly the replay checks each op like the Tensor graph: NaN in W_1 names the dot."""
    from tinygrad_nnd import AnomalyError, detect_anomaly

    N = NeuralNetwork(seed=0)
    X, y = np.ones((3, 2)), np.ones((3, 1))
    N.cost_and_gradients(X, y)  # recorded outside, replayed inside
    N.W_1[0, 0] = np.nan
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^dot forward produced NaN"):
        N.cost_and_gradients(X, y)


def test_replaying_a_relu_tape_leaves_the_recorded_graph_and_other_threads_alone():
    """relu's rule keeps no state: a replay at other values changes neither the recorded graph's gradient
    nor the gradient another thread replays at the same time."""
    import threading

    w = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    J = (w.relu() * np.array([2.0, 3.0])).sum()
    tape = Tape(J, [w])
    tape.value_and_grad([np.array([-1.0, 1.0])])
    J.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 0.0])

    wrong: list[np.ndarray] = []

    def replay(sign: float) -> None:
        for _ in range(300):
            _, (g,) = tape.value_and_grad([np.array([sign, -sign])])
            expected = np.array([2.0, 0.0]) if sign > 0 else np.array([0.0, 3.0])
            if not np.array_equal(g, expected):
                wrong.append(g)

    threads = [threading.Thread(target=replay, args=(s,)) for s in (1.0, -1.0, 1.0, -1.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong


def test_a_tape_input_must_be_a_leaf():
    """An inner node as an input would be overwritten by its own op: refused."""
    w = Tensor(np.ones(2), requires_grad=True)
    h = w * 3.0
    with pytest.raises(ValueError, match="leaf"):
        Tape((h * h).sum(), [h])


def test_the_replayed_result_is_not_an_array_the_caller_gave():
    """A root that is a view of an input comes back as a fresh array."""
    w = Tensor(np.ones((1, 1)), requires_grad=True)
    tape = Tape(w.reshape(()), [w])
    given = np.array([[4.0]])
    J, _ = tape.value_and_grad([given])
    J[...] = 0.0
    assert given[0, 0] == 4.0


def test_threads_differentiating_one_network_on_batches_of_different_shapes_get_right_answers():
    """The network's recorded graph is swapped as a whole: no thread replays a graph of another shape."""
    import threading

    N = NeuralNetwork(seed=0)
    rng = np.random.default_rng(0)
    batches = [(rng.random((n, 2)), rng.random((n, 1))) for n in (1, 2, 3, 4)]
    expected = [N.compute_gradients_by_hand(X, y) for X, y in batches]
    failures: list[str] = []

    def work(k: int) -> None:
        for _ in range(200):
            try:
                got = N.compute_gradients(*batches[k])
            except ValueError as error:
                failures.append(str(error))
                return
            if not np.allclose(got, expected[k], rtol=1e-12, atol=1e-15):
                failures.append(f"batch {k}: wrong gradient")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_compute_gradients_works_inside_no_grad_even_on_first_use():
    """The network records its cost graph with recording on, whatever the caller's mode."""
    from tinygrad_nnd import no_grad

    N = NeuralNetwork(seed=0)
    X, y = np.ones((3, 2)), np.ones((3, 1))
    with no_grad():
        got = N.compute_gradients(X, y)
    np.testing.assert_allclose(got, N.compute_gradients_by_hand(X, y), rtol=1e-12)
