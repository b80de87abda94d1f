"""Reverse-mode differentiation: walk the recorded graph from the output back to the leaves.

The chain rule, node by node: a node's gradient ``dL/d(node)`` is complete once
every node that used it has passed its share back. A topological order (each
node after all of its inputs), walked in reverse, guarantees that. The order
is found with an explicit stack, not recursion, so a chain of 100,000 ops
needs no deep Python call stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import numpy as np

from .modes import enable_grad, run_checked, state
from .ops import unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor

#: Called as ``on_step(node, g, input_grads)`` after each node's backward rule ran.
StepHook = Callable[["Tensor", Any, tuple[Any, ...]], None]


def topological_order(root: Tensor, inputs_of: Callable[[Tensor], Iterable[Tensor]] | None = None) -> list[Tensor]:
    """The nodes that ``root`` depends on and that require a gradient, inputs first.

    A depth-first search with an explicit stack: a node is appended after all of
    its inputs (post-order), each node once, however many paths lead to it.

    Parameters
    ----------
    root : Tensor
        Where the walk starts; it comes last.
    inputs_of : callable, optional
        ``inputs_of(node)``: the inputs of ``node`` to visit, in the order to visit
        them. By default the inputs that require a gradient, which is all the
        backward pass needs; the graph views pass one that gives every input,
        constants too (:func:`tinygrad_nnd.viz.graph_nodes`).
    """
    order: list[Tensor] = []
    visited = {root}
    # Each stack entry is a node and an iterator over its inputs not yet looked at.
    stack = [(root, iter(root._parents if inputs_of is None else inputs_of(root)))]
    while stack:
        node, inputs = stack[-1]
        for parent in inputs:
            if parent not in visited and (inputs_of is not None or parent.requires_grad):
                visited.add(parent)
                stack.append((parent, iter(parent._parents if inputs_of is None else inputs_of(parent))))
                break
        else:  # all inputs are in `order` already
            stack.pop()
            order.append(node)
    return order


def backpropagate(
    root: Tensor,
    seed: np.ndarray | Tensor,
    create_graph: bool = False,
    wanted: Iterable[Tensor] = (),
    on_step: StepHook | None = None,
) -> dict[Tensor, Any]:
    """Propagate ``seed = dL/d(root)`` back through the graph.

    Parameters
    ----------
    root : Tensor
        The output the gradient starts from.
    seed : ndarray
        ``dL/d(root)``, of ``root``'s shape.
    create_graph : bool
        If True, the backward rules run on Tensors with recording on, so the
        returned gradients are Tensors with a graph of their own.
    wanted : iterable of Tensor
        Inner nodes whose gradient should be returned too.
    on_step : callable, optional
        Called after each node's backward rule (used by the backward-pass trace).

    Returns
    -------
    dict
        ``{tensor: dL/d(tensor)}`` for every leaf reached and every wanted node.
        A node's gradient is freed as soon as it has been passed on.
    """
    wanted_set = set(wanted)
    results: dict[Tensor, Any] = {}
    # dL/d(node) for the nodes reached so far, summed over the paths found; freed once passed on.
    # A Tensor seed (create_graph only) stays in the graph: forward mode differentiates through it.
    if create_graph and not isinstance(seed, type(root)):
        seed = type(root)(seed)
    pending: dict[Tensor, Any] = {root: seed}
    # On arrays the rules record nothing; on Tensors (create_graph) recording must be on.
    with enable_grad() if create_graph else nullcontext():
        for node in reversed(topological_order(root)):
            g = pending.pop(node, None)
            if g is None:  # no path from this node to root carries a gradient
                continue
            op = node._op
            if op is None or (wanted_set and node in wanted_set):
                results[node] = g
            if op is None:
                continue
            parents = node._parents
            if state.anomaly:
                shapes = [p.data.shape for p in parents]
                input_grads = run_checked(op.name, "backward", shapes, _apply_rule, node, g, create_graph)
            else:
                input_grads = _apply_rule(node, g, create_graph)
            if on_step is not None:
                on_step(node, g, input_grads)
            for parent, pg in zip(parents, input_grads):
                if pg is not None and parent.requires_grad:
                    pending[parent] = accumulate(pending.get(parent), pg, parent.data.shape)
    return results


def accumulate(total: Any, g: Any, shape: tuple[int, ...]) -> Any:
    """``total + g``, with ``g`` first summed back to the input's ``shape`` (``g`` alone if no total yet).

    Where a node feeds several ops, its gradient is the sum of what each passes back.
    """
    if g.shape != shape:
        g = unbroadcast(g, shape)
    return g if total is None else total + g


def _apply_rule(node: Tensor, g: Any, create_graph: bool) -> tuple[Any, ...]:
    """Run the backward rule of ``node``'s op: on Tensors to record its graph, else on arrays."""
    op = node._op
    assert op is not None  # only nodes made by an op have a rule
    if create_graph:
        return op.backward(g, node, *node._parents)
    return op.backward(g, node.data, *[p.data for p in node._parents])
