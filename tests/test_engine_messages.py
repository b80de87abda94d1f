"""The engine's words: op descriptions in graph views, and the full text of its error messages.

Other tests check that an error names the op and the shapes; these pin down the
rest of the sentence where it carries information (which dimensions disagree,
which function was called), and :meth:`Op.describe`, which graph views and
error messages print. Found by mutation testing (tests/MUTATION.md): mutants
that garbled these texts survived the suite.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from named_functions import CallableWithoutName, as_plain_array, named_vector

from tinygrad_nnd import Tensor, grad, hvp, softmax_cross_entropy, value_and_grad, where
from tinygrad_nnd.engine.ops import Add, GetItem, Mean, Pow, Reshape, ScatterAdd, Sum, Transpose


@pytest.mark.parametrize(
    "op, text",
    [
        (Add(), "add"),
        (Sum(), "sum"),
        (Sum(axis=0), "sum(axis=0)"),
        (Sum(keepdims=True), "sum(keepdims=True)"),
        (Mean(axis=(0, 1), keepdims=True), "mean(axis=(0, 1), keepdims=True)"),
        (Pow(2.0), "pow(exponent=2.0)"),
        (Transpose(), "transpose"),
        (Transpose((1, 0)), "transpose(axes=(1, 0))"),
        (Reshape((2, 3)), "reshape(shape=(2, 3))"),
        (GetItem(slice(1, 2)), "getitem(index=slice(1, 2, None))"),
        (ScatterAdd(0, (2,)), "scatter_add(index=0, shape=(2,))"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_describe_shows_the_op_and_only_the_parameters_that_differ_from_their_defaults(op, text):
    """Op.describe(): the name alone when every parameter has its default, else name(param=value, ...)."""
    assert op.describe() == text


def test_a_failed_forward_names_the_described_op_and_the_input_shapes():
    """An index out of range: IndexError naming getitem with its index and the input's shape."""
    with pytest.raises(IndexError, match=r"^getitem\(index=5\): cannot apply to input shapes \(3,\): "):
        Tensor(np.ones(3), requires_grad=True)[5]


@pytest.mark.parametrize("shapes", [((2, 2, 2), (2,)), ((2,), (2, 2, 2)), ((), (2,)), ((2, 2), ())], ids=str)
def test_dot_refuses_operands_that_are_not_1d_or_2d(shapes):
    """np.dot would batch 3-D operands and scale by 0-d ones; dot takes vectors and matrices only."""
    a, b = (np.ones(s) for s in shapes)
    message = re.escape(f"dot: operands must be 1-D or 2-D, got shapes {shapes[0]} and {shapes[1]}")
    with pytest.raises(ValueError, match=f"^{message}$"):
        Tensor(a, requires_grad=True).dot(b)


@pytest.mark.parametrize("shapes", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((5,), (2, 5))], ids=str)
def test_dot_of_misaligned_operands_says_which_dimensions_differ(shapes):
    """The message gives both shapes and the two lengths that should have been equal."""
    a, b = (np.ones(s) for s in shapes)
    k, j = shapes[0][-1], shapes[1][0]
    message = re.escape(
        f"dot: shapes {shapes[0]} and {shapes[1]} are not aligned: "
        f"{k} (last dim of the first) != {j} (first dim of the second)"
    )
    with pytest.raises(ValueError, match=f"^{message}$"):
        Tensor(a, requires_grad=True).dot(b)


@pytest.mark.parametrize(
    "shapes",
    [((3,), (2,), (2,)), ((2,), (3,), (2,)), ((2,), (2,), (3,)), ((4,), (2,), ())],
    ids=["condition", "a", "b", "condition and a"],
)
def test_where_of_shapes_that_do_not_broadcast_names_all_three(shapes):
    """where(condition, a, b) with any one of the three out of step with the others: the message gives
    the condition's shape and both values' shapes, whichever of them is the odd one out."""
    condition, a, b = np.ones(shapes[0]) > 0, np.ones(shapes[1]), np.ones(shapes[2])
    message = re.escape(
        f"where: the condition of shape {shapes[0]} and values of shapes {shapes[1]} and {shapes[2]} "
        "cannot be broadcast together"
    )
    with pytest.raises(ValueError, match=f"^{message}$"):
        where(condition, Tensor(a, requires_grad=True), b)


def test_softmax_cross_entropy_of_logits_and_labels_of_different_shapes_gives_both_shapes():
    """One label per class of each example: different shapes are refused, naming both and why they must agree."""
    message = re.escape(
        "softmax_cross_entropy: logits of shape (2, 3) and labels of shape (2, 2) must have the same shape "
        "(one column per class)"
    )
    with pytest.raises(ValueError, match=f"^{message}$"):
        softmax_cross_entropy(Tensor(np.ones((2, 3)), requires_grad=True), np.ones((2, 2)))


def test_softmax_cross_entropy_of_a_single_number_asks_for_an_axis_of_classes():
    """0-d logits have no classes to normalise over: refused, saying what is missing."""
    message = re.escape("softmax_cross_entropy: logits must have at least one axis (the classes)")
    with pytest.raises(ValueError, match=f"^{message}$"):
        softmax_cross_entropy(Tensor(np.float64(1.5), requires_grad=True), np.float64(1.0))


# ---------------------------------------------------------------- the functional API names itself

FUNCTIONS = {"grad": grad, "value_and_grad": value_and_grad, "hvp": hvp}


@pytest.mark.parametrize("who", sorted(FUNCTIONS))
def test_a_bad_argnums_is_refused_naming_the_function(who):
    """argnums of the wrong type, empty, or repeated: the error starts with the function's name."""
    make = FUNCTIONS[who]
    with pytest.raises(TypeError, match=rf"^{who}: argnums must be an int or a tuple of ints"):
        make(lambda x: x.sum(), argnums="0")
    with pytest.raises(ValueError, match=rf"^{who}: argnums=\(\) names no argument"):
        make(lambda x: x.sum(), argnums=())
    with pytest.raises(ValueError, match=rf"^{who}: argnums \(0, 0\) names an argument twice"):
        make(lambda x: x.sum(), argnums=(0, 0))
    for bad in [(1.5,), (0, "1"), (True,), 1.0, True]:  # never truncated or read as a number
        with pytest.raises(TypeError, match=rf"^{who}: argnums must be an int or a tuple of ints, got "):
            make(lambda x: x.sum(), argnums=bad)


@pytest.mark.parametrize("who", ["grad", "value_and_grad"])
def test_a_call_that_does_not_fit_argnums_is_refused_naming_the_function(who):
    """argnums out of range for the call, no arguments, or an integer array to differentiate: named errors."""
    made = FUNCTIONS[who](lambda x, y: (x * y).sum(), argnums=2)
    with pytest.raises(
        ValueError, match=rf"^{who}: argnums 2 is out of range: the function was called with 2 positional arguments$"
    ):
        made(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match=rf"^{who}: the function was called with no arguments"):
        FUNCTIONS[who](lambda x: x.sum())()
    with pytest.raises(TypeError, match=rf"^{who}: cannot differentiate with respect to argument 0: its dtype is int"):
        FUNCTIONS[who](lambda x: x.sum())(np.arange(3))


def test_hvp_names_the_leaf_of_the_vector_that_is_not_numbers():
    """A vector leaf that is not numbers: TypeError naming hvp and the leaf's place in the tree."""
    with pytest.raises(TypeError, match=r"^hvp: vector\[1\]: data of dtype <U1"):
        hvp(lambda w: (w[0] * w[1]).sum())((np.ones(2), np.ones(2)), (np.ones(2), np.array(["a", "b"])))


def test_hvp_names_itself_when_the_call_does_not_fit_argnums():
    """hvp(f, argnums=2)(x, v) with f of x alone: the argnums is out of range, and the error says hvp."""
    message = r"^hvp: argnums 2 is out of range: the function was called with 1 positional argument$"
    with pytest.raises(ValueError, match=message):
        hvp(lambda x: (x * x).sum(), argnums=2)(np.ones(2), np.ones(2))


@pytest.mark.parametrize("who", sorted(FUNCTIONS))
def test_a_function_that_returns_no_scalar_tensor_is_named_in_the_error(who):
    """f returning a vector or a non-Tensor: the error names f (its __name__, or its repr when it has none)."""
    call = (lambda made: made(np.ones(2), np.ones(2))) if who == "hvp" else (lambda made: made(np.ones(2)))
    with pytest.raises(ValueError, match=r"^named_vector must return a scalar \(one element\), got shape \(2,\)$"):
        call(FUNCTIONS[who](named_vector))
    with pytest.raises(ValueError, match=r"^<a callable object> must return a scalar"):
        call(FUNCTIONS[who](CallableWithoutName()))
    with pytest.raises(TypeError, match=r"^as_plain_array must return a Tensor built from its argument, got ndarray$"):
        call(FUNCTIONS[who](as_plain_array))
