"""Several arguments (``argnums``) and trees of parameters for grad, value_and_grad and hvp; ravel_pytree.

Tolerances: a gradient taken with respect to a tree and the same gradient taken
with respect to one flat vector (cut into the same arrays with slices) run the
same backward rules on the same numbers, only with extra getitem/reshape nodes
whose rules copy values: they agree exactly (assert_array_equal) except that
sums over leaves may be grouped differently, which the tests avoid by comparing
leaf by leaf.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_nnd import (
    Tensor,
    grad,
    hvp,
    jit,
    ravel_pytree,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
    value_and_grad,
)
from tinygrad_nnd.testing import floats_arrays, shapes

# ---------------------------------------------------------------- strategies


def trees(leaves: st.SearchStrategy = floats_arrays(shapes(max_dims=2))) -> st.SearchStrategy:
    """Nested tuples, lists and dicts (string keys) of float arrays, up to a few levels deep."""
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.tuples(children, children),
            st.lists(children, min_size=1, max_size=3),
            st.dictionaries(st.sampled_from(["W_1", "W_2", "b", "a", "z"]), children, min_size=1, max_size=3),
        ),
        max_leaves=6,
    )


def weighted_sum_of_squares(tree) -> Tensor:
    """A function of every leaf with a distinct gradient per element: sum over leaves of sum(k * x**2 * c_leaf)."""
    total = Tensor(0.0)
    for k, leaf in enumerate(tree_leaves(tree), start=1):
        total = total + (leaf * leaf * float(k)).sum()
    return total


# ---------------------------------------------------------------- flatten / unflatten


@given(trees())
def test_tree_unflatten_inverts_tree_flatten(tree):
    """tree_unflatten(treedef, leaves) rebuilds a tree equal to the original, of the same types and structure."""
    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, leaves)
    assert tree_flatten(rebuilt)[1] == treedef
    for a, b in zip(tree_leaves(rebuilt), leaves):
        assert a is b


@given(trees())
def test_ravel_pytree_round_trips_and_lays_leaves_out_in_flatten_order(tree):
    """unravel(flat) gives the tree back (values and shapes); flat is the leaves' ravels concatenated."""
    flat, unravel = ravel_pytree(tree)
    leaves, treedef = tree_flatten(tree)
    assert flat.ndim == 1 and flat.dtype == np.float64
    np.testing.assert_array_equal(flat, np.concatenate([np.ravel(a) for a in leaves]))
    back = unravel(flat)
    back_leaves, back_def = tree_flatten(back)
    assert back_def == treedef
    for a, b in zip(back_leaves, leaves):
        assert a.shape == b.shape
        np.testing.assert_array_equal(a, b)
        assert not np.shares_memory(a, flat), "unravel must return fresh arrays"


def test_dict_keys_are_visited_in_sorted_order_and_treedef_prints_its_structure():
    """{'b': .., 'a': ..} flattens 'a' first, as JAX does; str(treedef) shows the structure with * leaves."""
    three = np.array(3.0)
    leaves, treedef = tree_flatten({"b": 2.0, "a": [np.ones(2), None], "c": (three,)})
    assert leaves[0].shape == (2,) and leaves[1] == 2.0 and leaves[2] is three
    assert str(treedef) == "{'a': [*, None], 'b': *, 'c': (*,)}"


def test_a_list_of_numbers_is_one_leaf_and_a_list_with_an_array_is_a_container():
    """[1.0, 2.0] is an array (NumPy's reading); [np.ones(2), 1.0] is a list of two leaves."""
    assert len(tree_leaves([1.0, 2.0])) == 1
    assert len(tree_leaves([[1, 2], [3, 4]])) == 1
    assert len(tree_leaves([np.ones(2), 1.0])) == 2


def test_unravel_refuses_a_vector_of_the_wrong_size():
    """unravel needs exactly as many numbers as the tree has; the message gives the count and the structure."""
    _, unravel = ravel_pytree({"W": np.ones((2, 3))})
    with pytest.raises(ValueError, match=r"6 numbers .*\{'W': \*\}.*\(5,\)"):
        unravel(np.ones(5))


def test_tree_map_refuses_trees_of_different_structures():
    """tree_map over a dict and a list is a ValueError naming both structures."""
    with pytest.raises(ValueError, match=r"structure"):
        tree_map(lambda a, b: a + b, {"a": np.ones(1)}, [np.ones(1)])


def test_ravel_pytree_names_a_non_numeric_leaf():
    """A string leaf is a TypeError that says where in the tree it is."""
    with pytest.raises(TypeError, match=r"\['name'\]"):
        ravel_pytree({"name": "W", "W": np.ones(2)})


# ---------------------------------------------------------------- grad with trees and argnums


@given(trees())
def test_grad_of_a_tree_has_the_tree_structure_and_each_leaf_gradient(tree):
    """grad with respect to a tree returns the same structure; leaf k's gradient of sum(k x**2) is 2 k x."""
    g = grad(weighted_sum_of_squares)(tree)
    leaves, treedef = tree_flatten(tree)
    g_leaves, g_def = tree_flatten(g)
    assert g_def == treedef
    for k, (x, gx) in enumerate(zip(leaves, g_leaves), start=1):
        assert isinstance(gx, np.ndarray) and gx.shape == np.shape(x)
        np.testing.assert_array_equal(gx, 2.0 * k * np.asarray(x))


@given(trees())
def test_grad_of_a_tree_equals_grad_of_its_raveled_vector(tree):
    """Differentiating with respect to a tree gives ravel_pytree-wise the gradient of f(unravel(flat)) over flat."""
    flat, _ = ravel_pytree(tree)

    def f_tree(t):
        return (weighted_sum_of_squares(t) + 1.0).log()

    def f_flat(v):
        # Rebuild the tree from the flat Tensor with slices, as a user without trees would.
        leaves, treedef = tree_flatten(tree)
        pieces, start = [], 0
        for leaf in leaves:
            size = int(np.size(leaf))
            pieces.append(v[start : start + size].reshape(np.shape(leaf)))
            start += size
        return f_tree(tree_unflatten(treedef, pieces))

    tree_gradient, _ = ravel_pytree(grad(f_tree)(tree))
    # The same rules on the same numbers; the flat version only adds getitem/reshape, which copy.
    np.testing.assert_array_equal(tree_gradient, grad(f_flat)(flat))


@given(floats_arrays((3,)), floats_arrays((3,)), floats_arrays(()))
def test_argnums_picks_the_arguments_and_a_tuple_returns_a_tuple(a, b, c):
    """f(a, b, c) = sum(a * b) * c: argnums=1 gives a*c, argnums=(2, 0) gives (sum(a*b), b*c), in that order."""

    def f(x, y, z):
        return (x * y).sum() * z

    np.testing.assert_array_equal(grad(f, argnums=1)(a, b, c), a * c)
    value, (g2, g0) = value_and_grad(f, argnums=(2, 0))(a, b, c)
    assert value == float(np.sum(a * b) * c)
    np.testing.assert_array_equal(g2, np.sum(a * b))
    np.testing.assert_array_equal(g0, b * c)
    np.testing.assert_array_equal(grad(f, argnums=-1)(a, b, c), np.sum(a * b))


def test_arguments_not_differentiated_pass_through_unchanged():
    """Arguments outside argnums reach f as given (here a Python string and a dict of options)."""
    seen = {}

    def f(x, label, options):
        seen["label"], seen["options"] = label, options
        return (x * options["scale"]).sum()

    options = {"scale": 2.0}
    np.testing.assert_array_equal(grad(f)(np.ones(2), "run 1", options), [2.0, 2.0])
    assert seen == {"label": "run 1", "options": options} and seen["options"] is options


def test_the_callers_tree_is_not_changed():
    """grad reads a dict of arrays and writes nothing into it or its arrays."""
    params = {"W": np.array([[1.0, 2.0]]), "b": [np.array(0.5)]}
    before = {"W": params["W"].copy(), "b": [params["b"][0].copy()]}
    grad(lambda p: (p["W"] * p["b"][0]).sum())(params)
    assert set(params) == {"W", "b"} and isinstance(params["b"], list)
    np.testing.assert_array_equal(params["W"], before["W"])
    np.testing.assert_array_equal(params["b"][0], before["b"][0])


# ---------------------------------------------------------------- hvp with trees and argnums


@given(floats_arrays((2,)), floats_arrays((2,)), floats_arrays((2,)), floats_arrays((2,)))
def test_hvp_over_a_tuple_of_arguments_equals_the_exact_hessian_product(a, b, va, vb):
    """f = sum(a**2 * b): H = [[2 diag(b), 2 diag(a)], [2 diag(a), 0]]; hvp with argnums=(0, 1) gives H @ (va, vb)."""
    ha, hb = hvp(lambda x, y: (x * x * y).sum(), argnums=(0, 1))(a, (va, vb), b)
    # Each element is a sum of at most two products: rounding only.
    np.testing.assert_allclose(ha, 2 * b * va + 2 * a * vb, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(hb, 2 * a * va, rtol=1e-14, atol=1e-14)


def test_hvp_over_a_dict_returns_a_dict():
    """hvp of a function of {'x': x, 'y': y} with a dict vector is a dict: f = x**2 y, H v = (2y vx + 2x vy, 2x vx)."""
    params = {"x": np.array(1.5), "y": np.array(-2.0)}
    v = {"x": np.array(1.0), "y": np.array(0.5)}
    result = hvp(lambda p: p["x"] * p["x"] * p["y"])(params, v)
    assert set(result) == {"x", "y"}
    np.testing.assert_allclose(result["x"], 2 * -2.0 * 1.0 + 2 * 1.5 * 0.5, rtol=1e-15)
    np.testing.assert_allclose(result["y"], 2 * 1.5 * 1.0, rtol=1e-15)


# ---------------------------------------------------------------- errors


def test_an_integer_leaf_is_refused_with_its_place_in_the_tree():
    """An int array leaf is a TypeError naming argument 0['W'] and its dtype (JAX refuses integer inputs too)."""
    with pytest.raises(TypeError, match=r"argument 0\['W'\].*int64"):
        grad(lambda p: p["W"].sum())({"W": np.arange(3), "b": np.ones(1)})
    with pytest.raises(TypeError, match=r"argument 1\[0\].*bool"):
        grad(lambda x, y: x.sum(), argnums=1)(np.ones(1), [np.array([True])])


def test_a_string_leaf_is_refused():
    """A string where an array is expected is a TypeError naming where it is."""
    with pytest.raises(TypeError, match=r"argument 0\['a'\].*strings"):
        grad(lambda p: p["a"].sum())({"a": "1.0"})


@pytest.mark.parametrize("argnums", [2, -3, (0, 2)])
def test_argnums_out_of_range_is_a_value_error(argnums):
    """argnums beyond the call's positional arguments is a ValueError that says how many there were."""
    with pytest.raises(ValueError, match=r"argnums .* out of range.* 2 positional arguments"):
        grad(lambda x, y: (x * y).sum(), argnums=argnums)(np.ones(2), np.ones(2))


@pytest.mark.parametrize(
    ("argnums", "error", "pattern"),
    [
        ("0", TypeError, "int or a tuple"),
        ([0, 1], TypeError, "int or a tuple"),
        ((0, 0), ValueError, "twice"),
        ((), ValueError, "no argument"),
        (True, TypeError, "int or a tuple"),
    ],
)
def test_malformed_argnums_are_refused_when_wrapping(argnums, error, pattern):
    """argnums must be an int or a tuple of distinct ints; the error comes from grad(f, argnums) itself."""
    for make in (grad, value_and_grad, hvp):
        with pytest.raises(error, match=pattern):
            make(lambda x: x.sum(), argnums=argnums)


def test_a_negative_and_a_positive_argnum_for_the_same_argument_are_refused():
    """argnums=(0, -2) for two arguments names argument 0 twice."""
    with pytest.raises(ValueError, match=r"twice"):
        grad(lambda x, y: (x * y).sum(), argnums=(0, -2))(np.ones(1), np.ones(1))


def test_hvp_refuses_a_vector_of_another_structure_or_shape():
    """The vector must have the gradient's structure (named in the message) and each leaf its shape."""
    f = hvp(lambda p: (p["a"] * p["b"]).sum())
    params = {"a": np.ones(2), "b": np.ones(2)}
    with pytest.raises(ValueError, match=r"structure \{'a': \*\}.*\{'a': \*, 'b': \*\}"):
        f(params, {"a": np.ones(2)})
    with pytest.raises(ValueError, match=r"vector\['b'\] has shape \(3,\).*\(2,\)"):
        f(params, {"a": np.ones(2), "b": np.ones(3)})


def test_no_arguments_is_a_type_error():
    """A function called with nothing to differentiate is refused."""
    with pytest.raises(TypeError, match=r"no arguments"):
        grad(lambda: Tensor(1.0))()


# ---------------------------------------------------------------- SciPy on a dict of weights


def test_scipy_minimize_trains_a_dict_of_weights_through_ravel_pytree():
    """minimize(jac=True) over ravel_pytree's vector fits XOR with a 2-4-1 tanh network given as a dict of weights."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    rng = np.random.default_rng(1)
    params = {"W_1": rng.normal(size=(2, 4)), "b_1": np.zeros(4), "W_2": rng.normal(size=(4, 1)), "b_2": np.zeros(1)}

    def cost(p, X, y):
        a_2 = (X @ p["W_1"] + p["b_1"]).tanh()
        y_hat = (a_2 @ p["W_2"] + p["b_2"]).sigmoid()
        return 0.5 * ((y - y_hat) ** 2).sum()

    flat, unravel = ravel_pytree(params)
    J_and_g = value_and_grad(cost)

    def J_and_flat_g(v):
        J, g = J_and_g(unravel(v), X, y)
        return J, ravel_pytree(g)[0]

    result = scipy.optimize.minimize(J_and_flat_g, flat, jac=True, method="BFGS")
    trained = unravel(result.x)
    assert set(trained) == set(params)
    # XOR is learnt: every prediction on the right side of 0.5 with a margin (the cost drops to ~0).
    predictions = np.tanh(X @ trained["W_1"] + trained["b_1"]) @ trained["W_2"] + trained["b_2"]
    assert np.all((predictions > 0) == (y > 0.5)), predictions
    assert result.fun < 1e-3


# ---------------------------------------------------------------- the compiled entry point


@given(trees(), floats_arrays((2,)))
def test_jit_with_trees_and_argnums_equals_the_eager_functions(tree, c):
    """jit(f, argnums=(0, 1)) on a tree and an array: value, gradient (same structure) and hvp equal eager's.

    Compiled code runs the same NumPy operations in the same order as the eager rules (1e-12, as tests/test_jit.py).
    """
    from tinygrad_nnd import jit

    def f(params, scale):
        return (weighted_sum_of_squares(params) + 1.0).log() * (scale * scale).sum()

    compiled = jit(f, argnums=(0, 1))
    J, (g_tree, g_c) = compiled.value_and_grad(tree, c)
    J_eager, (e_tree, e_c) = value_and_grad(f, argnums=(0, 1))(tree, c)
    assert pytest.approx(J_eager, rel=1e-12, abs=1e-300) == J
    assert tree_flatten(g_tree)[1] == tree_flatten(tree)[1]
    for a, b in zip(tree_leaves(g_tree) + [g_c], tree_leaves(e_tree) + [e_c]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
    v = (tree_map(np.ones_like, tree), np.ones(2))
    for a, b in zip(tree_leaves(compiled.hvp(tree, v, c)), tree_leaves(hvp(f, argnums=(0, 1))(tree, v, c))):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)


def test_jit_refuses_argnums_out_of_range_and_integer_leaves():
    """The compiled entry point checks its arguments as grad does."""
    from tinygrad_nnd import jit

    compiled = jit(lambda p, x: (p["W"] * x).sum(), argnums=1)
    with pytest.raises(ValueError, match=r"jit: argnums 1 is out of range"):
        compiled.grad({"W": np.ones(2)})
    with pytest.raises(TypeError, match=r"jit: cannot differentiate with respect to argument 0\['W'\]"):
        jit(lambda p: p["W"].sum()).grad({"W": np.arange(2)})


def test_jit_names_each_program_argument_after_its_parameter_and_a_tree_leaf_after_its_path():
    """The compiled source reads like the function: a plain array argument keeps its parameter's name,
    a leaf of a tree argument gets the parameter's name and its path, the data keeps its own."""

    def cost(w, X):
        return ((X @ w).sigmoid() ** 2).sum()

    def cost_of_tree(params, X):
        return ((X @ params["W_1"]).sigmoid() ** 2).sum() + (params["layers"][1] ** 2).sum()

    X = np.ones((3, 2))
    assert jit(cost).source(np.ones((2, 1)), X).splitlines()[0] == "def program(w, X, _buffers):"
    tree = {"W_1": np.ones((2, 1)), "layers": [np.ones(2), np.ones(3)]}
    first_line = jit(cost_of_tree).source(tree, X).splitlines()[0]
    assert first_line == "def program(params_W_1, params_layers_0, params_layers_1, X, _buffers):"
