"""Trees of parameters: nested tuples, lists and dicts of arrays, flattened and rebuilt.

A model's parameters are rarely one array. ``{"W_1": W_1, "W_2": W_2}`` or
``[(W_1, b_1), (W_2, b_2)]`` are *trees*: containers (tuples, lists, dicts, and
``None`` as an empty container) whose leaves are arrays. :func:`grad` and its
relatives take such trees and give back gradients of the same structure, as in
JAX; this module does the bookkeeping.

:func:`tree_flatten` lists a tree's leaves, depth first (a dict's keys in
sorted order, as JAX does), together with a :class:`TreeDef` that records the
structure; :func:`tree_unflatten` puts leaves back into that structure.
:func:`ravel_pytree` goes one step further, to one flat vector and back: the
form SciPy's optimizers want.

One exception keeps NumPy's reading of lists: a list or tuple that holds only
numbers (possibly nested) is *one* array leaf, as ``np.array([1.0, 2.0])``
reads it, so ``grad(f)([1.0, 2.0])`` differentiates a vector. A list that
holds an array, a Tensor, a dict or ``None`` anywhere is a container.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Number
from typing import Any

import numpy as np

from .tensor import Tensor, as_array

__all__ = ["TreeDef", "ravel_pytree", "tree_flatten", "tree_leaves", "tree_map", "tree_unflatten"]


@dataclass(frozen=True)
class TreeDef:
    """The structure of a tree, without its leaves.

    Attributes
    ----------
    kind : str
        ``"leaf"``, ``"tuple"``, ``"list"``, ``"dict"`` or ``"none"``.
    keys : tuple
        The sorted keys of a dict (empty otherwise).
    children : tuple of TreeDef
        One per element of a tuple or list, one per key of a dict.
    """

    kind: str
    keys: tuple[Any, ...] = ()
    children: tuple[TreeDef, ...] = ()

    @property
    def num_leaves(self) -> int:
        """How many leaves a tree of this structure has."""
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)

    def __str__(self) -> str:
        """The structure with ``*`` for each leaf: ``{'W_1': *, 'b': [*, *]}``."""
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = [str(c) for c in self.children]
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.keys, inner)) + "}"
        if self.kind == "tuple":
            return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
        return "[" + ", ".join(inner) + "]"


_LEAF = TreeDef("leaf")


def _is_numbers(x: Any) -> bool:
    """True for a number, or a (nested) list/tuple of numbers only: NumPy's array literal."""
    if isinstance(x, (list, tuple)):
        return all(_is_numbers(item) for item in x)
    return isinstance(x, (Number, np.generic)) and not isinstance(x, (np.ndarray, Tensor))


def _flatten(tree: Any, path: str, leaves: list[Any], paths: list[str]) -> TreeDef:
    if tree is None:
        return TreeDef("none")
    if isinstance(tree, dict):
        try:
            keys = tuple(sorted(tree))
        except TypeError:
            raise TypeError(
                f"tree: the keys of the dict at {path or 'the root'} cannot be sorted "
                f"({', '.join(sorted({type(k).__name__ for k in tree}))}); use keys of one type, e.g. strings"
            ) from None
        children = tuple(_flatten(tree[k], f"{path}[{k!r}]", leaves, paths) for k in keys)
        return TreeDef("dict", keys, children)
    if isinstance(tree, (list, tuple)) and not (tree and _is_numbers(tree)):
        kind = "tuple" if isinstance(tree, tuple) else "list"
        children = tuple(_flatten(item, f"{path}[{i}]", leaves, paths) for i, item in enumerate(tree))
        return TreeDef(kind, (), children)
    leaves.append(tree)
    paths.append(path)
    return _LEAF


def tree_flatten(tree: Any) -> tuple[list[Any], TreeDef]:
    """The leaves of ``tree`` in order, and its structure.

    Parameters
    ----------
    tree : Any
        Nested tuples, lists and dicts (``None`` is an empty node); anything
        else is a leaf, and so is a list or tuple of numbers only.

    Returns
    -------
    leaves : list
        Depth first; a dict's values in the sorted order of its keys.
    treedef : TreeDef
        Give it to :func:`tree_unflatten` to rebuild the tree.

    Examples
    --------
    >>> import numpy as np
    >>> leaves, treedef = tree_flatten({"W": np.ones((2, 2)), "b": [np.zeros(2), 3.0]})
    >>> len(leaves), str(treedef)
    (3, "{'W': *, 'b': [*, *]}")
    """
    leaves: list[Any] = []
    treedef = _flatten(tree, "", leaves, [])
    return leaves, treedef


def flatten_with_paths(tree: Any) -> tuple[list[Any], list[str], TreeDef]:
    """:func:`tree_flatten` and :func:`tree_paths` in one walk: ``(leaves, paths, treedef)``."""
    leaves: list[Any] = []
    paths: list[str] = []
    treedef = _flatten(tree, "", leaves, paths)
    return leaves, paths, treedef


def tree_paths(tree: Any) -> list[str]:
    """Where each leaf of :func:`tree_flatten` sits: ``"['W_1']"``, ``"[0][1]"``, or ``""`` for a bare leaf."""
    paths: list[str] = []
    _flatten(tree, "", [], paths)
    return paths


def tree_leaves(tree: Any) -> list[Any]:
    """The leaves of ``tree``, in :func:`tree_flatten`'s order."""
    return tree_flatten(tree)[0]


def tree_unflatten(treedef: TreeDef, leaves: Sequence[Any]) -> Any:
    """Put ``leaves`` back into the structure ``treedef`` (the inverse of :func:`tree_flatten`).

    Raises
    ------
    ValueError
        If the number of leaves is not the structure's.

    Examples
    --------
    >>> leaves, treedef = tree_flatten((1.5, {"a": [2.0, None]}))
    >>> tree_unflatten(treedef, [x * 10 for x in leaves])
    (15.0, {'a': [20.0, None]})
    """
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"tree_unflatten: the structure {treedef} has {treedef.num_leaves} leaves, got {len(leaves)}")
    iterator = iter(leaves)

    def build(node: TreeDef) -> Any:
        if node.kind == "leaf":
            return next(iterator)
        if node.kind == "none":
            return None
        children = [build(c) for c in node.children]
        if node.kind == "dict":
            return dict(zip(node.keys, children))
        return tuple(children) if node.kind == "tuple" else children

    return build(treedef)


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """``f`` applied to every leaf (to corresponding leaves of several trees of one structure).

    Examples
    --------
    >>> tree_map(lambda w, g: w - 0.1 * g, {"a": 1.0, "b": (2.0, None)}, {"a": 10.0, "b": (0.0, None)})
    {'a': 0.0, 'b': (2.0, None)}
    """
    leaves, treedef = tree_flatten(tree)
    others = []
    for i, other in enumerate(rest, start=1):
        other_leaves, other_def = tree_flatten(other)
        if other_def != treedef:
            raise ValueError(f"tree_map: tree {i} has the structure {other_def}, tree 0 has {treedef}")
        others.append(other_leaves)
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])


def ravel_pytree(tree: Any) -> tuple[np.ndarray, Callable[[Any], Any]]:
    """A tree of arrays as one flat float64 vector, and the function that turns a vector back into the tree.

    For SciPy's optimizers, which work on one vector: ``flat, unravel = ravel_pytree(params)``,
    optimize over ``flat``, then ``unravel(result.x)`` (as ``jax.flatten_util.ravel_pytree``).

    Parameters
    ----------
    tree : Any
        Nested tuples, lists and dicts whose leaves are real numbers or arrays of them
        (Tensors give their values).

    Returns
    -------
    flat : ndarray
        Every leaf raveled and concatenated, in :func:`tree_flatten`'s order (a copy).
    unravel : callable
        ``unravel(vector)`` returns a tree of ``tree``'s structure with float64 arrays
        of the leaves' shapes (fresh copies, never views of ``vector``).

    Raises
    ------
    TypeError
        If a leaf is not real numbers (a string, a complex number, an object); the
        message names where it is in the tree.

    Examples
    --------
    >>> import numpy as np
    >>> flat, unravel = ravel_pytree({"W": np.ones((2, 2)), "b": np.zeros(2)})
    >>> flat
    array([1., 1., 1., 1., 0., 0.])
    >>> unravel(np.arange(6.0))["b"]
    array([4., 5.])
    """
    leaves, treedef = tree_flatten(tree)
    paths = tree_paths(tree)
    arrays = [as_array(leaf, f"ravel_pytree: leaf {path or '(the tree itself)'}") for leaf, path in zip(leaves, paths)]
    shapes = [a.shape for a in arrays]
    sizes = [a.size for a in arrays]
    total = int(sum(sizes))
    flat = np.concatenate([a.ravel() for a in arrays]).astype(np.float64) if arrays else np.zeros(0)

    def unravel(vector: Any) -> Any:
        vector = np.asarray(as_array(vector, "unravel"), dtype=np.float64)
        if vector.shape != (total,):
            raise ValueError(
                f"unravel: expected a vector of {total} numbers for the tree {treedef}, got shape {vector.shape}"
            )
        pieces, start = [], 0
        for shape, size in zip(shapes, sizes):
            pieces.append(vector[start : start + size].reshape(shape).copy())
            start += size
        return tree_unflatten(treedef, pieces)

    return flat, unravel
