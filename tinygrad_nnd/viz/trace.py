"""The backward pass, step by step, as data you can print, index and test.

:func:`trace_backward` runs the engine's own backpropagation
(:func:`~tinygrad_nnd.backpropagate`) and, through its ``on_step`` hook, records
what happened at every node: the gradient that arrived, ``g = dJ/d(node)``, and
what the op's backward rule passed on to each input. Nothing is written into any
tensor's ``.grad``: tracing a graph never changes a later ``backward()``.
For the series' network, :func:`tinygrad_nnd.viz.explain_network` sets the trace
beside the hand-written chain rule of Part IV.

Examples
--------
>>> from tinygrad_nnd import Tensor
>>> from tinygrad_nnd.viz import trace_backward
>>> x = Tensor([1.0, 2.0], requires_grad=True, name="x")
>>> y = (x * x).sum()
>>> y.name = "y"
>>> trace = trace_backward(y)
>>> [step.label for step in trace.steps]
['y', '%1']
>>> trace.gradient_of("%1")
array([1., 1.])
>>> trace.grads["x"]
array([2., 4.])
>>> x.grad is None
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Op, Tensor, backpropagate
from .graph import graph_nodes, node_labels

__all__ = [
    "BackwardStep",
    "BackwardTrace",
    "rule_explanation",
    "rule_terms",
    "trace_backward",
]


def rule_explanation(
    op: Op, input_labels: tuple[str, ...], output_label: str, input_requires_grad: tuple[bool, ...]
) -> str:
    """One line saying what ``op``'s backward rule passes to each input that needs a gradient.

    Parameters
    ----------
    op : Op
        The op of a graph node.
    input_labels : tuple of str
        The labels of its inputs, in argument order.
    output_label : str
        The label of the node the op made.
    input_requires_grad : tuple of bool
        Whether each input requires a gradient.

    Returns
    -------
    str
        For example ``"sigmoid backward: z_3 gets g * y_hat * (1 - y_hat)"``.

    Examples
    --------
    >>> from tinygrad_nnd.engine.ops import Dot
    >>> rule_explanation(Dot(), ("X", "W_1"), "z_2", (False, True))
    'dot backward: W_1 gets X.T @ g (X is a constant: no gradient)'
    """
    terms = rule_terms(op, input_labels, output_label)
    if terms is None:
        doc = (type(op).__doc__ or op.describe()).strip().splitlines()[0]
        return f"{op.name} backward: {doc}"
    parts = [f"{label} gets {term}" for label, term, need in zip(input_labels, terms, input_requires_grad) if need]
    constants = [label for label, need in zip(input_labels, input_requires_grad) if not need]
    text = f"{op.name} backward: " + "; ".join(parts)
    if constants:
        verb = "is a constant" if len(constants) == 1 else "are constants"
        text += f" ({', '.join(constants)} {verb}: no gradient)"
    return text


def rule_terms(op: Op, input_labels: tuple[str, ...], output_label: str, g: str = "g") -> tuple[str, ...] | None:
    """What ``op``'s backward rule passes to each input, as a formula in the graph's labels.

    Parameters
    ----------
    op : Op
        The op of a graph node.
    input_labels : tuple of str
        The labels of its inputs, in argument order.
    output_label : str
        The label of the node the op made.
    g : str, optional
        The name to write for the incoming gradient (``"delta_3"`` where the series names it).

    Returns
    -------
    tuple of str, or None
        One formula per input; None for an op with no formula here (see :func:`rule_explanation`).

    Examples
    --------
    >>> from tinygrad_nnd.engine.ops import Dot
    >>> rule_terms(Dot(), ("a_2", "W_2"), "z_3", g="delta_3")
    ('delta_3 @ W_2.T', 'a_2.T @ delta_3')
    """
    return op.rule_in_words(tuple(input_labels), output_label, g)  # the rule is written beside the op, in ops.py


def _array_text(head: str, a: np.ndarray | None, precision: int) -> str:
    """``head`` followed by ``a``, continuation lines aligned under the first value."""
    if a is None:
        return head + "None"
    return head + np.array2string(np.asarray(a), precision=precision, prefix=head)


@dataclass
class BackwardStep:
    """What happened at one node of the backward pass.

    Attributes
    ----------
    index : int
        0 for the first node processed (the output), then counting up.
    label : str
        The node's label (its name, or its id ``%k`` in :func:`~tinygrad_nnd.viz.graph_nodes` order).
    op : str
        The op that made the node, with parameters (``op.describe()``).
    op_name : str
        The op's registry name (``"dot"``, ``"sigmoid"``, ...).
    input_labels : tuple of str
        The labels of the op's inputs, in argument order.
    input_shapes : tuple of tuple of int
    output_shape : tuple of int
    input_requires_grad : tuple of bool
        Whether each input wanted a gradient (constants do not).
    grad_in : ndarray
        ``dJ/d(node)``: the gradient that arrived, summed over every path.
    input_grads : tuple of (ndarray or None)
        What the backward rule returned for each input (None where it skipped one).
        The engine then sums any broadcast axes away to fit the input's shape.
    rule : str
        The rule in words, e.g. ``"sigmoid backward: z_3 gets g * y_hat * (1 - y_hat)"``.
    """

    index: int
    label: str
    op: str
    op_name: str
    input_labels: tuple[str, ...]
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]
    input_requires_grad: tuple[bool, ...]
    grad_in: np.ndarray
    input_grads: tuple[np.ndarray | None, ...]
    rule: str

    def format(self, root_label: str = "J", precision: int = 4, note: str = "") -> str:
        """The step as a few indented lines (see :meth:`BackwardTrace.format`).

        ``note`` is added after the incoming gradient (e.g. ``"this is delta_3"``).
        """
        shapes = ", ".join(str(s) for s in self.input_shapes)
        header = f"step {self.index}: {self.label} = {self.op_name}({', '.join(self.input_labels)})"
        if self.op != self.op_name:  # an op with parameters: sum(axis=0, keepdims=False)
            header += f" with {self.op[len(self.op_name) :].strip('()')}"
        lines = [
            f"{header}    shapes {shapes} -> {self.output_shape}",
            _array_text(f"    gradient in  d{root_label}/d{self.label} = ", self.grad_in, precision),
        ]
        if note:
            lines.append(f"      ({note})")
        lines.append(f"    {self.rule}")
        for label, shape, need, g in zip(
            self.input_labels, self.input_shapes, self.input_requires_grad, self.input_grads
        ):
            if not need or g is None:
                continue
            line = _array_text(f"    to {label} = ", g, precision)
            if g.shape != shape:
                line += f"\n      (summed over the broadcast axes to {label}'s shape {shape})"
            lines.append(line)
        return "\n".join(lines)


@dataclass
class BackwardTrace:
    """The backward pass of one output, one :class:`BackwardStep` per op node, in the order run.

    Attributes
    ----------
    root_label : str
        The label of the output differentiated (``"J"``).
    steps : list of BackwardStep
        Reverse topological order: the output first, each node only after every
        node that uses it (so its incoming gradient is complete).
    grads : dict of str to ndarray
        ``dJ/d(leaf)`` for every leaf that requires a gradient, by label: what
        ``backward()`` would add to the leaves' ``.grad``.
    """

    root_label: str
    steps: list[BackwardStep] = field(default_factory=list)
    grads: dict[str, np.ndarray] = field(default_factory=dict)

    def step(self, label: str) -> BackwardStep:
        """The step of the node labelled ``label`` (KeyError listing the labels if none)."""
        for step in self.steps:
            if step.label == label:
                return step
        raise KeyError(f"no step for {label!r}; the steps are {[s.label for s in self.steps]}")

    def gradient_of(self, label: str) -> np.ndarray:
        """``d(root)/d(node)`` for the node labelled ``label``: an op node's incoming gradient, or a leaf's gradient.

        Raises
        ------
        KeyError
            If no node requiring a gradient has that label (the message lists them).
        """
        for step in self.steps:
            if step.label == label:
                return step.grad_in
        if label in self.grads:
            return self.grads[label]
        known = [s.label for s in self.steps] + list(self.grads)
        raise KeyError(f"no gradient recorded for {label!r}; the labels are {known}")

    def format(self, precision: int = 4, notes: dict[str, str] | None = None) -> str:
        """A readable listing: one block per step, then the leaf gradients.

        Parameters
        ----------
        precision : int, optional
            Digits after the decimal point for the arrays.
        notes : dict of str to str, optional
            A remark to print under the incoming gradient of the node with that label.
        """
        r = self.root_label
        notes = notes or {}
        lines = [f"Backward pass of {r}: {len(self.steps)} steps, starting from d{r}/d{r} = 1"]
        for step in self.steps:
            lines.append(step.format(r, precision, notes.get(step.label, "")))
        if self.grads:
            lines.append("leaf gradients (what backward() adds to .grad):")
            for label, g in self.grads.items():
                lines.append(_array_text(f"    d{r}/d{label} = ", g, precision))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def trace_backward(root: Tensor, seed: Any = None) -> BackwardTrace:
    """Run the backward pass from ``root`` and record every step, leaving all ``.grad`` untouched.

    Parameters
    ----------
    root : Tensor
        The output to differentiate; it must require a gradient.
    seed : array_like, optional
        ``dL/d(root)``; ones of ``root``'s shape by default (for a scalar cost, 1).

    Returns
    -------
    BackwardTrace
        Labels follow :func:`~tinygrad_nnd.viz.node_labels`, so they match
        :func:`~tinygrad_nnd.viz.format_graph`'s ids.

    Raises
    ------
    ValueError
        If ``root`` does not require a gradient, or ``seed`` has the wrong shape.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor
    >>> w = Tensor(3.0, requires_grad=True, name="w")
    >>> y = w.sigmoid()
    >>> y.name = "y"
    >>> print(trace_backward(y).steps[0].rule)
    sigmoid backward: w gets g * y * (1 - y)
    """
    if not root.requires_grad:
        raise ValueError(
            "trace_backward: the tensor does not require a gradient, so there is no backward pass to trace"
        )
    seed = np.ones_like(root.data) if seed is None else np.asarray(seed, dtype=root.data.dtype)
    if seed.shape != root.shape:
        raise ValueError(f"trace_backward: seed of shape {seed.shape} given for a tensor of shape {root.shape}")
    nodes = graph_nodes(root)
    labels = node_labels(nodes)
    steps: list[BackwardStep] = []

    def record(node: Tensor, g: Any, input_grads: tuple[Any, ...]) -> None:
        assert node.op is not None  # the engine calls the hook only for op nodes
        inputs = node.parents
        input_labels = tuple(labels[id(p)] for p in inputs)
        input_requires_grad = tuple(p.requires_grad for p in inputs)
        steps.append(
            BackwardStep(
                index=len(steps),
                label=labels[id(node)],
                op=node.op.describe(),
                op_name=node.op.name,
                input_labels=input_labels,
                input_shapes=tuple(tuple(p.shape) for p in inputs),
                output_shape=tuple(node.shape),
                input_requires_grad=input_requires_grad,
                # Copies: the engine may hand one array to several inputs or views
                # of the forward data; the record must not change afterwards.
                grad_in=np.array(g),
                input_grads=tuple(None if pg is None else np.array(pg) for pg in input_grads),
                rule=rule_explanation(node.op, input_labels, labels[id(node)], input_requires_grad),
            )
        )

    # backpropagate (not Tensor.backward): it returns the gradients instead of
    # adding them to the leaves' .grad.
    found = backpropagate(root, seed, on_step=record)
    # The leaves in graph order (W_1 before W_2), not in the order they were reached.
    grads = {labels[id(t)]: np.array(found[t]) for t in nodes if t.op is None and t in found}
    return BackwardTrace(root_label=labels[id(root)], steps=steps, grads=grads)
