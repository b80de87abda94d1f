"""jit's words: the full text of the errors :func:`~tinygrad_nnd.jit` raises.

Each names what was wrong and with which function or argument, so that the user
can fix the call without reading the engine: a wrong ``kind`` of
:meth:`Jitted.source` lists the kinds there are, a function that returns no
Tensor or no scalar is named (by its ``__name__``, or its repr when it has
none). Found by mutation testing (tests/MUTATION.md): mutants that garbled these
texts, or raised another error in their place, survived the suite.
"""

from __future__ import annotations

import numpy as np
import pytest

# The same named functions as the functional API's message tests use (their names appear in the messages).
from named_functions import CallableWithoutName, as_plain_array, named_vector

from tinygrad_nnd import jit


def test_source_of_an_unknown_kind_lists_the_kinds():
    with pytest.raises(ValueError) as info:
        jit(named_vector).source(np.ones(2), kind="grad")
    assert str(info.value) == "source: kind must be one of value, value_and_grad, hvp, got 'grad'"


def test_source_for_hvp_without_v_says_to_give_it():
    with pytest.raises(TypeError) as info:
        jit(named_vector).source(np.ones(2), kind="hvp")
    assert str(info.value) == "source: for kind 'hvp' give x and v, then the other arguments"


@pytest.mark.parametrize(
    "f, text",
    [
        (as_plain_array, "as_plain_array must return a Tensor built from its arguments, got ndarray"),
        (lambda x: 1.0, "<lambda> must return a Tensor built from its arguments, got float"),
        (
            CallableWithoutName(returns=as_plain_array),
            "<a callable object> must return a Tensor built from its arguments, got ndarray",
        ),
    ],
    ids=["named", "lambda", "without a name"],
)
def test_calling_a_function_that_returns_no_tensor_names_the_function_and_what_it_returned(f, text):
    with pytest.raises(TypeError) as info:
        jit(f)(np.ones(2))
    assert str(info.value) == text


@pytest.mark.parametrize("method", ["value_and_grad", "grad", "hvp"])
def test_a_function_that_returns_no_scalar_is_named_by_every_gradient_method(method):
    """value_and_grad, grad and hvp need one element: the error names f and the shape it returned."""
    compiled = jit(named_vector)
    args = (np.ones(2), np.ones(2)) if method == "hvp" else (np.ones(2),)
    with pytest.raises(ValueError) as info:
        getattr(compiled, method)(*args)
    assert str(info.value) == "named_vector must return a scalar (one element), got shape (2,)"


@pytest.mark.parametrize(
    "argnums, error, text",
    [
        ("0", TypeError, "jit: argnums must be an int or a tuple of ints, got '0'"),
        ((), ValueError, "jit: argnums=() names no argument to differentiate"),
        ((0, 0), ValueError, "jit: argnums (0, 0) names an argument twice"),
    ],
    ids=["not an int", "empty", "twice"],
)
def test_a_wrong_argnums_is_refused_by_jit_by_name(argnums, error, text):
    with pytest.raises(error) as info:
        jit(named_vector, argnums=argnums)
    assert str(info.value) == text


@pytest.mark.parametrize(
    "x, v, text",
    [
        (np.ones(2), np.ones(3), "hvp: vector has shape (3,), the argument it goes with has shape (2,)"),
        (
            {"W": np.ones(2)},
            {"W": np.ones(3)},
            "hvp: vector['W'] has shape (3,), the argument it goes with has shape (2,)",
        ),
        (np.ones(2), [np.ones(2)], "hvp: the vector has the structure [*], the differentiated arguments have *"),
    ],
    ids=["shape", "shape in a tree", "structure"],
)
def test_hvp_with_a_vector_that_does_not_fit_x_says_where(x, v, text):
    f = jit(lambda x: (x["W"] ** 2).sum() if isinstance(x, dict) else (x**2).sum())
    with pytest.raises(ValueError) as info:
        f.hvp(x, v)
    assert str(info.value) == text


@pytest.mark.parametrize(
    "data, error, text",
    [
        (np.array(["a"]), TypeError, "jit: data of dtype <U1 (strings) is not supported; give real numbers"),
        (
            {"a": 1},
            TypeError,
            "jit: argument of type dict is neither an array nor hashable; pass arrays, numbers "
            "or other hashable values",
        ),
    ],
    ids=["strings", "unhashable"],
)
def test_an_argument_jit_cannot_take_is_named_by_its_type(data, error, text):
    """Array arguments must hold real numbers; any other argument is fixed into the trace, so must be hashable."""
    with pytest.raises(error) as info:
        jit(lambda x, d: (x * x).sum())(np.ones(2), data)
    assert str(info.value) == text
