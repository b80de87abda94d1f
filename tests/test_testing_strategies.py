"""The public strategies of tinygrad_nnd.testing generate what they promise, and reach the edge cases.

"Reaches" is checked with :func:`hypothesis.find`: it searches (derandomized)
until it finds an example with the property, and fails if there is none
within its budget.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from tinygrad_nnd import OPS
from tinygrad_nnd.testing import (
    DENOMINATOR_MARGIN,
    KINK_MARGIN,
    LOG_MARGIN,
    MAX_DIMS,
    MAX_SIDE,
    VALUE_BOUND,
    away_from_zero,
    axes_for,
    broadcast_source_shapes,
    broadcastable_shape_pairs,
    floats_arrays,
    indices_for,
    op_inputs,
    reshape_targets,
    shapes,
    values,
)

OP_NAMES = sorted(OPS)
# No shrinking: any example with the property will do.
SEARCH = settings(max_examples=2000, derandomize=True, database=None, phases=[Phase.generate])


def reaches(strategy, condition) -> bool:
    """Whether Hypothesis finds an example of ``strategy`` satisfying ``condition``."""
    find(strategy, condition, settings=SEARCH)
    return True  # find raises NoSuchExample otherwise


# ---------------------------------------------------------------- elements, shapes and arrays


@given(values(), away_from_zero(0.5, 2.0))
def test_values_and_away_from_zero_stay_in_their_ranges(v, w):
    """values() is finite in [-VALUE_BOUND, VALUE_BOUND]; away_from_zero(lo, hi) has lo <= |w| <= hi."""
    assert np.isfinite(v) and -VALUE_BOUND <= v <= VALUE_BOUND
    assert 0.5 <= abs(w) <= 2.0


def test_away_from_zero_rejects_a_range_touching_zero():
    """away_from_zero needs 0 < low <= high."""
    with pytest.raises(ValueError, match="away_from_zero"):
        away_from_zero(0.0)
    with pytest.raises(ValueError, match="away_from_zero"):
        away_from_zero(2.0, 1.0)


def test_away_from_zero_reaches_both_signs():
    """Both negative and positive values are generated."""
    assert reaches(away_from_zero(KINK_MARGIN), lambda w: w < 0)
    assert reaches(away_from_zero(KINK_MARGIN), lambda w: w > 0)


@given(shapes())
def test_shapes_respect_the_default_bounds(shape):
    """Default shapes: at most MAX_DIMS axes, each of length 1..MAX_SIDE."""
    assert len(shape) <= MAX_DIMS and all(1 <= n <= MAX_SIDE for n in shape)


def test_shapes_reach_0d_and_size_1_axes():
    """The 0-d shape and axes of length 1 are generated."""
    assert reaches(shapes(), lambda s: s == ())
    assert reaches(shapes(), lambda s: len(s) >= 2 and 1 in s)


@given(floats_arrays(), floats_arrays(shape=(2, 3), min_value=-1.0, max_value=0.5))
def test_floats_arrays_are_finite_float64_in_range(a, b):
    """floats_arrays gives finite float64 arrays within the bounds, of the given shape."""
    assert a.dtype == np.float64 and np.isfinite(a).all() and (np.abs(a) <= VALUE_BOUND).all()
    assert b.shape == (2, 3) and ((b >= -1.0) & (b <= 0.5)).all()


@given(floats_arrays(shape=4, elements=away_from_zero(1.0)))
def test_floats_arrays_takes_an_int_shape_and_an_element_strategy(a):
    """shape=4 means (4,); elements= replaces the bounds."""
    assert a.shape == (4,) and (np.abs(a) >= 1.0).all()


@given(broadcastable_shape_pairs())
def test_broadcastable_shape_pairs_broadcast(pair):
    """Every pair broadcasts together (np.broadcast_shapes does not raise)."""
    np.broadcast_shapes(*pair)


def test_broadcastable_shape_pairs_reach_the_edge_cases():
    """0-d against n-d, size 1 stretched against a longer axis, and different numbers of axes all occur."""
    pairs = broadcastable_shape_pairs()
    assert reaches(pairs, lambda p: (p[0] == () and p[1] != ()) or (p[1] == () and p[0] != ()))
    assert reaches(pairs, lambda p: any(a == 1 and b > 1 for a, b in zip(p[0][::-1], p[1][::-1])))
    assert reaches(pairs, lambda p: len(p[0]) != len(p[1]))


# ---------------------------------------------------------------- shape-op parameters


@given(st.data())
def test_axes_for_gives_valid_distinct_reduction_axes(data):
    """axes_for(ndim) is accepted by np.sum, keepdims or not."""
    shape = data.draw(shapes())
    axis = data.draw(axes_for(len(shape)))
    if isinstance(axis, tuple):
        assert len({a % len(shape) for a in axis}) == len(axis)
    np.sum(np.zeros(shape), axis=axis, keepdims=data.draw(st.booleans()))


def test_axes_for_reaches_none_negative_int_and_tuple():
    """None, a negative int and a tuple of several axes are all generated."""
    assert reaches(axes_for(3), lambda a: a is None)
    assert reaches(axes_for(3), lambda a: isinstance(a, int) and a < 0)
    assert reaches(axes_for(3), lambda a: isinstance(a, tuple) and len(a) >= 2)


@given(st.data())
def test_reshape_targets_have_the_right_size(data):
    """np.reshape accepts every target (one -1 at most)."""
    shape = data.draw(shapes())
    target = data.draw(reshape_targets(int(np.prod(shape))))
    assert list(target).count(-1) <= 1
    np.zeros(shape).reshape(target)


@given(st.data())
def test_broadcast_source_shapes_broadcast_to_their_target(data):
    """np.broadcast_to(zeros(source), target) works."""
    target = data.draw(shapes())
    np.broadcast_to(np.zeros(data.draw(broadcast_source_shapes(target))), target)


@given(st.data())
def test_indices_for_are_valid_indices(data):
    """zeros(shape)[index] works for every generated index."""
    shape = data.draw(shapes())
    np.zeros(shape)[data.draw(indices_for(shape))]


def test_indices_for_reach_slices_integers_and_integer_arrays_with_repeats():
    """Slices, integers and integer arrays that repeat an element are all generated."""

    def parts(index):
        return index if isinstance(index, tuple) else (index,)

    strategy = indices_for((4, 3))
    assert reaches(strategy, lambda i: any(isinstance(p, slice) for p in parts(i)))
    assert reaches(strategy, lambda i: any(isinstance(p, int) for p in parts(i)))
    assert reaches(
        strategy,
        lambda i: any(
            isinstance(p, np.ndarray) and p.dtype.kind == "i" and len(np.unique(p % 4)) < p.size for p in parts(i)
        ),
    )


# ---------------------------------------------------------------- per-op inputs


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=20)
@given(data=st.data())
def test_op_inputs_run_forward_cleanly_to_finite_values(name, data):
    """For every op: the case's inputs are float64, one per op input, and the forward pass is finite, warning-free."""
    case = data.draw(op_inputs(name))
    assert case.name == name
    # n_inputs None: an op of any number of inputs (concatenate, stack), at least one.
    assert len(case.inputs) == OPS[name].n_inputs if OPS[name].n_inputs is not None else len(case.inputs) >= 1
    assert all(a.dtype == np.float64 and np.isfinite(a).all() for a in case.inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = case.apply()
    assert np.isfinite(out.data).all()
    assert case.make_op() is not case.make_op()  # a fresh op for every graph node


@given(op_inputs("log"), op_inputs("div"), op_inputs("relu"), op_inputs("pow"))
def test_op_inputs_keep_away_from_poles_kinks_and_non_real_powers(log_case, div_case, relu_case, pow_case):
    """log inputs >= LOG_MARGIN; div denominators and relu inputs away from 0; pow bases positive for fractional p."""
    assert (log_case.inputs[0] >= LOG_MARGIN).all()
    assert (np.abs(div_case.inputs[1]) >= DENOMINATOR_MARGIN).all()
    assert (np.abs(relu_case.inputs[0]) >= KINK_MARGIN).all()
    p, base = pow_case.params["exponent"], pow_case.inputs[0]
    if p != int(p):
        assert (base >= LOG_MARGIN).all()
    elif p < 0:
        assert (np.abs(base) >= LOG_MARGIN).all()


def test_op_inputs_reach_the_interesting_parameters():
    """Reductions with keepdims and negative axes, all four dot kinds, fractional powers, permuted transposes occur."""
    assert reaches(
        op_inputs("sum"),
        lambda c: c.params["keepdims"] and isinstance(c.params["axis"], int) and c.params["axis"] < 0,
    )
    assert reaches(op_inputs("mean"), lambda c: isinstance(c.params["axis"], tuple) and len(c.params["axis"]) >= 2)
    for kinds in [(1, 1), (2, 1), (1, 2), (2, 2)]:
        assert reaches(op_inputs("dot"), lambda c, k=kinds: (c.inputs[0].ndim, c.inputs[1].ndim) == k)
    assert reaches(op_inputs("pow"), lambda c: c.params["exponent"] != int(c.params["exponent"]))
    assert reaches(
        op_inputs("transpose"),
        lambda c: c.params["axes"] is not None and list(c.params["axes"]) != sorted(c.params["axes"]),
    )
    assert reaches(op_inputs("reshape"), lambda c: -1 in c.params["shape"])
    assert reaches(op_inputs("broadcast_to"), lambda c: c.inputs[0].shape != c.params["shape"])


def test_op_inputs_of_an_unknown_op_raise_key_error_pointing_to_testing_module():
    """A name without a strategy raises KeyError saying where to add one."""
    with pytest.raises(KeyError, match="testing.py"):
        op_inputs("no_such_op")
